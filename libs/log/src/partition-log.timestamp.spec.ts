import { PartitionLog } from './partition-log';
import { testBatch, withTempDir } from './testing/test-batches';

/** Batches of 3 records; record i of batch b has timestamp starts[b] + i. */
async function logWith(dir: string, starts: { ts: bigint; unset?: boolean }[], segmentBatches = 100) {
  const size = (await testBatch({ records: 3, tag: 't00' })).length;
  const log = await PartitionLog.open(dir, { indexIntervalBytes: 1, segmentBytes: size * segmentBatches });
  for (const [i, s] of starts.entries()) {
    const batch = await testBatch({ records: 3, tag: `t${String(i).padStart(2, '0')}`, timestamp: s.ts, unsetMaxTimestamp: s.unset });
    await log.append(batch, { leaderEpoch: 0 });
  }
  log.highWatermark = log.logEndOffset;
  return log;
}

describe('PartitionLog.offsetForTimestamp', () => {
  it('finds the first record at or after a timestamp, inside batches too', () =>
    withTempDir(async (dir) => {
      const log = await logWith(dir, [{ ts: 1000n }, { ts: 2000n }, { ts: 3000n }, { ts: 4000n }]);
      expect(await log.offsetForTimestamp(0n)).toEqual({ offset: 0n, timestamp: 1000n });
      expect(await log.offsetForTimestamp(1500n)).toEqual({ offset: 3n, timestamp: 2000n });
      expect(await log.offsetForTimestamp(2001n)).toEqual({ offset: 4n, timestamp: 2001n });
      expect(await log.offsetForTimestamp(4002n)).toEqual({ offset: 11n, timestamp: 4002n });
      expect(await log.offsetForTimestamp(4003n)).toBeNull();
      expect(log.maxTimestampOffset()).toEqual({ offset: 11n, timestamp: 4002n });
      await log.close();
    }));

  it('does not trust an unset maxTimestamp: such batches are searched record by record', () =>
    withTempDir(async (dir) => {
      // Batch 0 holds late records but claims no max timestamp; batch 1's header is honest.
      const log = await logWith(dir, [{ ts: 5000n, unset: true }, { ts: 1000n }, { ts: 2000n }, { ts: 6000n, unset: true }]);
      expect(await log.offsetForTimestamp(4000n)).toEqual({ offset: 0n, timestamp: 5000n });
      expect(await log.offsetForTimestamp(5500n)).toEqual({ offset: 9n, timestamp: 6000n });
      expect(await log.offsetForTimestamp(6002n)).toEqual({ offset: 11n, timestamp: 6002n });
      expect(await log.offsetForTimestamp(7000n)).toBeNull();
      await log.close();
    }));

  it('uses the time index across segments, also after a reopen', () =>
    withTempDir(async (dir) => {
      const starts = Array.from({ length: 12 }, (_, i) => ({ ts: BigInt(1000 * (i + 1)), unset: i === 7 }));
      const log = await logWith(dir, starts, 3);
      const expectations: [bigint, bigint | null][] = [
        [500n, 0n],
        [4500n, 12n],
        [7999n, 21n],
        [8001n, 22n],
        [12002n, 35n],
        [12003n, null],
      ];
      for (const [ts, offset] of expectations) expect((await log.offsetForTimestamp(ts))?.offset ?? null).toBe(offset);
      await log.close();
      const size = (await testBatch({ records: 3, tag: 't00' })).length;
      const reopened = await PartitionLog.open(dir, { indexIntervalBytes: 1, segmentBytes: size * 3 });
      reopened.highWatermark = reopened.logEndOffset;
      for (const [ts, offset] of expectations) expect((await reopened.offsetForTimestamp(ts))?.offset ?? null).toBe(offset);
      await reopened.close();
    }));

  it('answers only below the upper bound (the high watermark by default)', () =>
    withTempDir(async (dir) => {
      const log = await logWith(dir, [{ ts: 1000n }, { ts: 2000n }, { ts: 3000n }]);
      log.highWatermark = 6n;
      expect(await log.offsetForTimestamp(2500n)).toBeNull();
      expect((await log.offsetForTimestamp(2000n))?.offset).toBe(3n);
      expect((await log.offsetForTimestamp(2500n, 9n))?.offset).toBe(6n);
      // A record below the bound counts even if its batch reaches past it.
      expect((await log.offsetForTimestamp(2500n, 7n))?.offset).toBe(6n);
      expect(await log.offsetForTimestamp(2500n, 6n)).toBeNull();
      await log.close();
    }));

  it('gives LogAppendTime batches their stamped time and respects the log start offset', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, {});
      await log.append(await testBatch({ records: 3, timestamp: 1n }), { leaderEpoch: 0, logAppendTime: 7000n });
      await log.append(await testBatch({ records: 3, timestamp: 2n }), { leaderEpoch: 0, logAppendTime: 8000n });
      log.highWatermark = 6n;
      expect(await log.offsetForTimestamp(7500n)).toEqual({ offset: 3n, timestamp: 8000n });
      await log.deleteRecordsBefore(4n);
      expect(await log.offsetForTimestamp(0n)).toEqual({ offset: 4n, timestamp: 8000n });
      await log.close();
    }));
});
