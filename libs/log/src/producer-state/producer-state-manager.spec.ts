import { LogError } from '../log-error';
import type { ProducerBatchFields } from './batch-producer-fields';
import { incrementSequence } from './batch-producer-fields';
import { ProducerStateManager } from './producer-state-manager';
import { decodeSnapshot, encodeSnapshot } from './snapshot-file';

function batch(seq: number, records: number, offset: bigint, o: Partial<ProducerBatchFields> = {}): ProducerBatchFields {
  return {
    producerId: 1n,
    producerEpoch: 0,
    baseSequence: seq,
    lastSequence: incrementSequence(seq, records - 1),
    baseOffset: offset,
    lastOffset: offset + BigInt(records - 1),
    maxTimestamp: 10n,
    transactional: false,
    control: false,
    ...o,
  };
}

const kind = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as LogError).kind;
  }
  return 'accepted';
};

describe('ProducerStateManager', () => {
  it('wraps sequences at Int32.MAX as Kafka does', () => {
    const s = new ProducerStateManager();
    const max = 0x7fffffff;
    s.apply(batch(max - 1, 2, 0n), 'replication');
    expect(s.entry(1n)?.batches[0]?.lastSeq).toBe(max);
    expect(kind(() => s.checkAppend([batch(0, 3, 2n)], 'client'))).toBe('accepted');
    expect(incrementSequence(max - 1, 3)).toBe(1);
  });

  it('checks the batches of one append against each other', () => {
    const s = new ProducerStateManager();
    expect(kind(() => s.checkAppend([batch(0, 2, 0n), batch(2, 2, 2n)], 'client'))).toBe('accepted');
    expect(kind(() => s.checkAppend([batch(0, 2, 0n), batch(3, 2, 2n)], 'client'))).toBe('out-of-order-sequence');
    // Nothing was recorded by the checks.
    expect(s.producerCount).toBe(0);
  });

  it('round-trips its state through a snapshot, open transactions included', () => {
    const s = new ProducerStateManager();
    s.apply(batch(0, 2, 0n), 'client');
    s.apply(batch(0, 1, 2n, { producerId: 2n, transactional: true, producerEpoch: 3 }), 'client');
    const restored = new ProducerStateManager();
    restored.load(decodeSnapshot(encodeSnapshot(s.entries()))!);
    expect([...restored.entries()]).toEqual([...s.entries()]);
    expect(restored.lastStableOffset(10n)).toBe(2n);
    const bytes = encodeSnapshot(s.entries());
    bytes[bytes.length - 1] ^= 1;
    expect(decodeSnapshot(bytes)).toBeUndefined();
  });
});
