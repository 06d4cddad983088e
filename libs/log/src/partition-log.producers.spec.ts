import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { buildRecordBatch } from '@dms/kafka-codec';
import { LogError } from './log-error';
import { PartitionLog } from './partition-log';
import { recordKeys, withTempDir } from './testing/test-batches';
import { TXN_INDEX_ENTRY_SIZE, decodeEntries } from './txn-index';

const all = { upperBound: 1n << 62n, minOneBatch: true };

interface Idem {
  pid?: bigint;
  epoch?: number;
  seq: number;
  records?: number;
  transactional?: boolean;
  tag?: string;
}

function idem(o: Idem): Promise<Buffer> {
  const n = o.records ?? 2;
  return buildRecordBatch({
    producerId: o.pid ?? 7n,
    producerEpoch: o.epoch ?? 0,
    baseSequence: o.seq,
    transactional: o.transactional,
    records: Array.from({ length: n }, (_, i) => ({ key: `${o.tag ?? 's' + o.seq}-${i}`, value: 'v', timestamp: 1_700_000_000_000n })),
  });
}

async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(LogError);
  return (err as LogError).kind;
}

const leader = { leaderEpoch: 0 };

describe('PartitionLog producer state', () => {
  it('answers a duplicate of one of the last five batches with its original offsets and writes nothing', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir);
      for (let i = 0; i < 6; i++) await log.append(await idem({ seq: i * 2 }), leader);
      expect(log.logEndOffset).toBe(12n);
      const dup = await log.append(await idem({ seq: 4 }), leader);
      expect(dup).toMatchObject({ baseOffset: 4n, lastOffset: 5n, duplicate: true });
      expect(log.logEndOffset).toBe(12n);
      // The first batch left the cache of five: its retry is out of order, not a duplicate.
      expect(await refusal(log.append(await idem({ seq: 0 }), leader))).toBe('out-of-order-sequence');
      await log.close();
    }));

  it('refuses gaps, old epochs and unknown producers as Kafka does, and restarts sequences on a new epoch', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir);
      expect(await refusal(log.append(await idem({ seq: 5 }), leader))).toBe('unknown-producer-id');
      await log.append(await idem({ seq: 0 }), leader);
      expect(await refusal(log.append(await idem({ seq: 3 }), leader))).toBe('out-of-order-sequence');
      await log.append(await idem({ seq: 2 }), leader);
      expect(await refusal(log.append(await idem({ epoch: 1, seq: 4 }), leader))).toBe('out-of-order-sequence');
      await log.append(await idem({ epoch: 1, seq: 0 }), leader);
      expect(await refusal(log.append(await idem({ epoch: 0, seq: 4 }), leader))).toBe('invalid-producer-epoch');
      expect(log.logEndOffset).toBe(6n);
      expect(log.producers.entry(7n)).toMatchObject({ epoch: 1, batches: [{ firstSeq: 0, lastSeq: 1, firstOffset: 4n }] });
      const orphan = await buildRecordBatch({ transactional: true, records: [{ value: 'x' }] });
      expect(await refusal(log.append(orphan, leader))).toBe('invalid-record');
      await log.close();
    }));

  it('rebuilds producer state on open and after truncation, so a retry is still recognised', () =>
    withTempDir(async (dir) => {
      const first = await PartitionLog.open(dir);
      for (let i = 0; i < 3; i++) await first.append(await idem({ seq: i * 2 }), leader);
      await first.close();
      const log = await PartitionLog.open(dir);
      expect(await log.append(await idem({ seq: 2 }), leader)).toMatchObject({ baseOffset: 2n, duplicate: true });
      await log.truncateTo(4n);
      // The batch at 4 is gone: its retry is appended again, at 4.
      expect(await log.append(await idem({ seq: 4 }), leader)).toMatchObject({ baseOffset: 4n });
      expect((await recordKeys((await log.read(0n, 1 << 20, all)).records)).map((r) => r.key)).toEqual(['s0-0', 's0-1', 's2-0', 's2-1', 's4-0', 's4-1']);
      await log.close();
    }));

  it('keeps state on the follower path so a new leader deduplicates', () =>
    withTempDir(async (dir) => {
      const leaderLog = await PartitionLog.open(join(dir, 'a'));
      const follower = await PartitionLog.open(join(dir, 'b'));
      await leaderLog.append(await idem({ seq: 0 }), leader);
      await leaderLog.append(await idem({ seq: 2 }), leader);
      await follower.appendWithOffsets((await leaderLog.read(0n, 1 << 20, all)).records);
      expect(await follower.append(await idem({ seq: 2 }), { leaderEpoch: 1 })).toMatchObject({ baseOffset: 2n, duplicate: true });
      await leaderLog.close();
      await follower.close();
    }));

  it('lets a coordinator append unsequenced transactional batches on internal topics', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir);
      const batch = await idem({ seq: -1, transactional: true });
      expect(await refusal(log.append(batch, leader))).toBe('unknown-producer-id');
      await log.append(await idem({ seq: -1, transactional: true }), { ...leader, origin: 'coordinator' });
      await log.append(await idem({ seq: -1, transactional: true }), { ...leader, origin: 'coordinator' });
      expect(log.producers.entry(7n)?.currentTxnFirstOffset).toBe(0n);
      log.highWatermark = log.logEndOffset;
      expect(log.lastStableOffset()).toBe(0n);
      await log.close();
    }));
});

describe('PartitionLog transactions', () => {
  it('tracks the last stable offset and indexes aborted transactions', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir);
      await log.append(await idem({ pid: 1n, seq: 0 }), leader); // 0-1 plain idempotent
      await log.append(await idem({ pid: 2n, seq: 0, transactional: true }), leader); // 2-3
      await log.append(await idem({ pid: 3n, seq: 0, transactional: true }), leader); // 4-5
      log.highWatermark = log.logEndOffset;
      expect(log.lastStableOffset()).toBe(2n);
      expect(await refusal(log.append(await idem({ pid: 2n, seq: 2 }), leader))).toBe('invalid-txn-state');
      const abort = await log.appendControl({ producerId: 2n, producerEpoch: 0, committed: false, coordinatorEpoch: 3 }, { leaderEpoch: 0, timestamp: 5n });
      expect(abort.baseOffset).toBe(6n);
      // The marker is not below the high watermark yet: the transaction still holds the LSO.
      expect(log.lastStableOffset()).toBe(2n);
      log.highWatermark = log.logEndOffset;
      expect(log.lastStableOffset()).toBe(4n);
      expect(log.abortedTransactions(0n, 7n)).toEqual([{ producerId: 2n, firstOffset: 2n, lastOffset: 6n, lastStableOffset: 4n }]);
      expect(log.abortedTransactions(7n, 8n)).toEqual([]);
      expect(log.abortedTransactions(0n, 2n)).toEqual([]);
      await log.appendControl({ producerId: 3n, producerEpoch: 0, committed: true, coordinatorEpoch: 3 }, { leaderEpoch: 0, timestamp: 6n });
      log.highWatermark = log.logEndOffset;
      expect(log.lastStableOffset()).toBe(8n);
      // Fenced markers.
      expect(await refusal(log.appendControl({ producerId: 3n, producerEpoch: 0, committed: true, coordinatorEpoch: 2 }, { leaderEpoch: 0, timestamp: 6n }))).toBe('coordinator-fenced');
      await log.append(await idem({ pid: 3n, epoch: 1, seq: 0 }), leader);
      expect(await refusal(log.appendControl({ producerId: 3n, producerEpoch: 0, committed: false, coordinatorEpoch: 3 }, { leaderEpoch: 0, timestamp: 6n }))).toBe('invalid-producer-epoch');
      // The control batches reach readers as Kafka writes them.
      const read = await log.read(6n, 1 << 20, all);
      expect(read.records.length).toBeGreaterThan(0);
      await log.flush();
      const files = await readdir(dir);
      const txnFile = files.find((f) => f.endsWith('.txnindex'))!;
      const bytes = await readFile(join(dir, txnFile));
      expect(bytes.length).toBe(TXN_INDEX_ENTRY_SIZE);
      expect(decodeEntries(bytes)).toEqual([{ producerId: 2n, firstOffset: 2n, lastOffset: 6n, lastStableOffset: 4n }]);
      await log.close();

      // Recovery rebuilds the open transactions and the index from the log.
      const again = await PartitionLog.open(dir);
      again.highWatermark = again.logEndOffset;
      expect(again.lastStableOffset()).toBe(again.logEndOffset);
      expect(again.abortedTransactions(0n, 100n)).toHaveLength(1);
      // Truncating below the abort marker reopens the transaction and empties the index.
      await again.truncateTo(6n);
      again.highWatermark = again.logEndOffset;
      expect(again.lastStableOffset()).toBe(2n);
      expect(again.abortedTransactions(0n, 100n)).toEqual([]);
      expect((await readdir(dir)).some((f) => f.endsWith('.txnindex'))).toBe(false);
      await again.close();
    }));

  it('copies markers on the follower path: transactions complete and aborts are indexed', () =>
    withTempDir(async (dir) => {
      const a = await PartitionLog.open(join(dir, 'a'));
      const b = await PartitionLog.open(join(dir, 'b'));
      await a.append(await idem({ pid: 2n, seq: 0, transactional: true }), leader);
      await a.appendControl({ producerId: 2n, producerEpoch: 0, committed: false, coordinatorEpoch: 0 }, { leaderEpoch: 0, timestamp: 1n });
      await b.appendWithOffsets((await a.read(0n, 1 << 20, all)).records);
      b.highWatermark = b.logEndOffset;
      expect(b.lastStableOffset()).toBe(3n);
      expect(b.abortedTransactions(0n, 3n)).toEqual([{ producerId: 2n, firstOffset: 0n, lastOffset: 2n, lastStableOffset: 3n }]);
      await a.close();
      await b.close();
    }));
});
