import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { applyStateChange, SharePartition } from './share-partition';
import { AcknowledgeType, RecordState, ShareAcquireMode } from './share-state';

const config = { recordLockDurationMs: 30_000, deliveryCountLimit: 3, maxRecordLocks: 100 };

function setup(start = 0n, cfg = config) {
  let time = 1_000;
  const sp = new SharePartition({ startOffset: start, stateBatches: [] }, cfg, () => time);
  return { sp, advance: (ms: number) => (time += ms) };
}

const ack = (first: bigint, last: bigint, type: number) => [{ firstOffset: first, lastOffset: last, acknowledgeTypes: [type] }];

describe('SharePartition (KIP-932 in-flight window, fake time)', () => {
  it('acquires new records up to MaxRecords with delivery count 1, each only once', () => {
    const { sp } = setup();
    const a = sp.acquire({ memberId: 'm1', fetchableEnd: 10n, maxRecords: 4, mode: ShareAcquireMode.RECORD_LIMIT });
    expect(a.acquired).toEqual([{ firstOffset: 0n, lastOffset: 3n, deliveryCount: 1 }]);
    const b = sp.acquire({ memberId: 'm2', fetchableEnd: 10n, maxRecords: 100 });
    expect(b.acquired).toEqual([{ firstOffset: 4n, lastOffset: 9n, deliveryCount: 1 }]);
    expect(sp.acquire({ memberId: 'm3', fetchableEnd: 10n, maxRecords: 100 }).acquired).toEqual([]);
    expect(sp.endOffset).toBe(9n);
    expect(a.change.stateBatches).toEqual([{ firstOffset: 0n, lastOffset: 3n, deliveryState: RecordState.ACQUIRED, deliveryCount: 1 }]);
  });

  it('batch-optimized mode finishes the batch it stops in; record-limit mode does not (KIP-1206)', () => {
    const batches = [4n, 9n];
    const opt = setup().sp.acquire({ memberId: 'm', fetchableEnd: 10n, maxRecords: 6, batchLastOffsets: batches, mode: ShareAcquireMode.BATCH_OPTIMIZED });
    expect(opt.acquired).toEqual([{ firstOffset: 0n, lastOffset: 9n, deliveryCount: 1 }]);
    const strict = setup().sp.acquire({ memberId: 'm', fetchableEnd: 10n, maxRecords: 6, batchLastOffsets: batches, mode: ShareAcquireMode.RECORD_LIMIT });
    expect(strict.acquired).toEqual([{ firstOffset: 0n, lastOffset: 5n, deliveryCount: 1 }]);
  });

  it('an unacknowledged record comes back after its lock expires, with a higher delivery count', () => {
    const { sp, advance } = setup();
    sp.acquire({ memberId: 'm1', fetchableEnd: 3n, maxRecords: 10 });
    expect(sp.nextLockDeadline()).toBe(31_000);
    advance(29_999);
    expect(sp.acquire({ memberId: 'm2', fetchableEnd: 3n, maxRecords: 10 }).acquired).toEqual([]);
    advance(1);
    const again = sp.acquire({ memberId: 'm2', fetchableEnd: 3n, maxRecords: 10 });
    expect(again.acquired).toEqual([{ firstOffset: 0n, lastOffset: 2n, deliveryCount: 2 }]);
    // The first holder's lock is gone: acknowledging now is refused.
    expect(() => sp.acknowledge('m1', ack(0n, 2n, AcknowledgeType.ACCEPT))).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_RECORD_STATE }));
  });

  it('the delivery count limit archives a record instead of redelivering it', () => {
    const { sp, advance } = setup();
    for (let i = 1; i <= 3; i++) {
      const r = sp.acquire({ memberId: 'm', fetchableEnd: 1n, maxRecords: 10 });
      expect(r.acquired).toEqual([{ firstOffset: 0n, lastOffset: 0n, deliveryCount: i }]);
      advance(30_000);
    }
    expect(sp.acquire({ memberId: 'm', fetchableEnd: 1n, maxRecords: 10 }).acquired).toEqual([]);
    expect(sp.startOffset).toBe(1n);
  });

  it('release makes a record available at once, archived at the limit', () => {
    const { sp } = setup();
    sp.acquire({ memberId: 'm', fetchableEnd: 2n, maxRecords: 10 });
    sp.acknowledge('m', ack(0n, 1n, AcknowledgeType.RELEASE));
    expect(sp.stateOf(0n)).toEqual({ state: RecordState.AVAILABLE, deliveryCount: 1 });
    sp.acquire({ memberId: 'm', fetchableEnd: 2n, maxRecords: 10 });
    sp.acknowledge('m', ack(0n, 1n, AcknowledgeType.RELEASE));
    const third = sp.acquire({ memberId: 'm', fetchableEnd: 2n, maxRecords: 10 });
    expect(third.acquired).toEqual([{ firstOffset: 0n, lastOffset: 1n, deliveryCount: 3 }]);
    const change = sp.acknowledge('m', ack(0n, 1n, AcknowledgeType.RELEASE));
    expect(change.startOffset).toBe(2n);
    expect(sp.acquire({ memberId: 'm', fetchableEnd: 2n, maxRecords: 10 }).acquired).toEqual([]);
  });

  it('a rejected record is archived and never comes back', () => {
    const { sp, advance } = setup();
    sp.acquire({ memberId: 'm', fetchableEnd: 3n, maxRecords: 10 });
    sp.acknowledge('m', [{ firstOffset: 0n, lastOffset: 2n, acknowledgeTypes: [AcknowledgeType.ACCEPT, AcknowledgeType.REJECT, AcknowledgeType.RELEASE] }]);
    expect(sp.stateOf(1n)).toEqual({ state: RecordState.ARCHIVED, deliveryCount: 0 });
    advance(60_000);
    expect(sp.acquire({ memberId: 'm', fetchableEnd: 3n, maxRecords: 10 }).acquired).toEqual([{ firstOffset: 2n, lastOffset: 2n, deliveryCount: 2 }]);
  });

  it('renew (KIP-1222) extends the lock without a new delivery', () => {
    const { sp, advance } = setup();
    sp.acquire({ memberId: 'm', fetchableEnd: 1n, maxRecords: 10 });
    advance(20_000);
    sp.acknowledge('m', ack(0n, 0n, AcknowledgeType.RENEW));
    advance(20_000);
    expect(sp.stateOf(0n)).toEqual({ state: RecordState.ACQUIRED, deliveryCount: 1, memberId: 'm' });
    expect(sp.acquire({ memberId: 'x', fetchableEnd: 1n, maxRecords: 10 }).acquired).toEqual([]);
    sp.acknowledge('m', ack(0n, 0n, AcknowledgeType.ACCEPT));
    expect(sp.startOffset).toBe(1n);
  });

  it('the start offset advances only past a leading run of finished records', () => {
    const { sp } = setup(5n);
    sp.acquire({ memberId: 'm', fetchableEnd: 10n, maxRecords: 10 });
    let c = sp.acknowledge('m', ack(6n, 7n, AcknowledgeType.ACCEPT));
    expect(c.startOffset).toBe(5n);
    c = sp.acknowledge('m', ack(5n, 5n, AcknowledgeType.REJECT));
    expect(c.startOffset).toBe(8n);
    expect(sp.snapshot()).toEqual({ startOffset: 8n, stateBatches: [{ firstOffset: 8n, lastOffset: 9n, deliveryState: RecordState.ACQUIRED, deliveryCount: 1 }] });
  });

  it('refuses acknowledgements of records the member does not hold, changing nothing', () => {
    const { sp } = setup();
    sp.acquire({ memberId: 'm1', fetchableEnd: 2n, maxRecords: 1 });
    sp.acquire({ memberId: 'm2', fetchableEnd: 2n, maxRecords: 1 });
    expect(() => sp.acknowledge('m1', ack(0n, 1n, AcknowledgeType.ACCEPT))).toThrow(KafkaError);
    expect(sp.stateOf(0n)?.state).toBe(RecordState.ACQUIRED);
    expect(() => sp.acknowledge('m1', [{ firstOffset: 0n, lastOffset: 1n, acknowledgeTypes: [1, 1, 1] }])).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_REQUEST }));
    expect(() => sp.acknowledge('m1', ack(0n, 0n, 9))).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_REQUEST }));
    // A range far outside the window is refused at once, not walked.
    expect(() => sp.acknowledge('m1', ack(0n, 1n << 62n, AcknowledgeType.ACCEPT))).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_RECORD_STATE }));
  });

  it('never has more than group.share.partition.max.record.locks records in flight', () => {
    const { sp } = setup(0n, { ...config, maxRecordLocks: 5 });
    expect(sp.acquire({ memberId: 'm', fetchableEnd: 100n, maxRecords: 50 }).acquired).toEqual([{ firstOffset: 0n, lastOffset: 4n, deliveryCount: 1 }]);
    expect(sp.acquire({ memberId: 'm', fetchableEnd: 100n, maxRecords: 50 }).acquired).toEqual([]);
    sp.acknowledge('m', ack(0n, 1n, AcknowledgeType.ACCEPT));
    expect(sp.acquire({ memberId: 'm', fetchableEnd: 100n, maxRecords: 50 }).acquired).toEqual([{ firstOffset: 5n, lastOffset: 6n, deliveryCount: 1 }]);
  });

  it('releaseMember frees what a departed member held', () => {
    const { sp } = setup();
    sp.acquire({ memberId: 'gone', fetchableEnd: 3n, maxRecords: 3 });
    sp.releaseMember('gone');
    expect(sp.acquire({ memberId: 'm', fetchableEnd: 3n, maxRecords: 3 }).acquired).toEqual([{ firstOffset: 0n, lastOffset: 2n, deliveryCount: 2 }]);
  });

  it('persisted changes rebuild the same state; a loaded acquisition is available with its count kept', () => {
    const { sp, advance } = setup();
    let durable = sp.snapshot();
    const persist = (c: { startOffset: bigint; stateBatches: any[] }) => (durable = applyStateChange(durable, c));
    persist(sp.acquire({ memberId: 'm', fetchableEnd: 6n, maxRecords: 6 }).change);
    persist(sp.acknowledge('m', [{ firstOffset: 0n, lastOffset: 3n, acknowledgeTypes: [1, 3, 2, 1] }]));
    advance(1);
    persist(sp.acquire({ memberId: 'm', fetchableEnd: 6n, maxRecords: 6 }).change);
    expect(durable).toEqual(sp.snapshot());
    // A leader failover: the new leader loads the durable state; locks are gone, counts are kept.
    const reloaded = new SharePartition(durable, config, () => 5_000);
    expect(reloaded.startOffset).toBe(2n);
    expect(reloaded.stateOf(2n)).toEqual({ state: RecordState.AVAILABLE, deliveryCount: 2 });
    expect(reloaded.acquire({ memberId: 'n', fetchableEnd: 6n, maxRecords: 10 }).acquired).toEqual([
      { firstOffset: 2n, lastOffset: 2n, deliveryCount: 3 },
      { firstOffset: 4n, lastOffset: 5n, deliveryCount: 2 },
    ]);
  });

  it('resetTo moves the window (AlterShareGroupOffsets)', () => {
    const { sp } = setup();
    sp.acquire({ memberId: 'm', fetchableEnd: 3n, maxRecords: 3 });
    expect(sp.resetTo(10n)).toEqual({ startOffset: 10n, stateBatches: [] });
    expect(sp.acquire({ memberId: 'm', fetchableEnd: 12n, maxRecords: 5 }).acquired).toEqual([{ firstOffset: 10n, lastOffset: 11n, deliveryCount: 1 }]);
  });
});
