import { readdir } from 'node:fs/promises';
import { PartitionLog } from './partition-log';
import { decideRetention, enforceRetention, type SegmentFacts } from './retention';
import { testBatch, withTempDir } from './testing/test-batches';

const seg = (base: number, end: number, sizeBytes: number, ts: number): SegmentFacts => ({
  baseOffset: BigInt(base),
  endOffset: BigInt(end),
  sizeBytes,
  largestTimestampMs: BigInt(ts),
});

describe('decideRetention', () => {
  const closed = [seg(0, 10, 100, 1_000), seg(10, 20, 100, 2_000), seg(20, 30, 100, 3_000)];

  it('deletes the closed segments older than retention.ms, oldest first', () => {
    expect(decideRetention(closed, 50, { retentionMs: 1_500, retentionBytes: -1 }, 100n, 4_000)).toEqual({
      deleteCount: 2,
      newLogStartOffset: 20n,
      reason: 'retention.ms',
    });
  });

  it('keeps everything with unlimited retention or nothing expired', () => {
    expect(decideRetention(closed, 50, { retentionMs: -1, retentionBytes: -1 }, 100n, 1e12).deleteCount).toBe(0);
    expect(decideRetention(closed, 50, { retentionMs: 10_000, retentionBytes: -1 }, 100n, 4_000).deleteCount).toBe(0);
  });

  it('stops at the first segment that must stay, even if a later one expired', () => {
    const mixed = [seg(0, 10, 100, 5_000), seg(10, 20, 100, 1_000)];
    expect(decideRetention(mixed, 0, { retentionMs: 2_000, retentionBytes: -1 }, 100n, 6_000).deleteCount).toBe(0);
  });

  it('never deletes a segment reaching past the high watermark', () => {
    expect(decideRetention(closed, 50, { retentionMs: 0, retentionBytes: -1 }, 15n, 1e12)).toEqual({
      deleteCount: 1,
      newLogStartOffset: 10n,
      reason: 'retention.ms',
    });
  });

  it('deletes while the partition exceeds retention.bytes without the segment, active one counted', () => {
    // 350 bytes, 150 over: one 100-byte segment fits in the excess, a second would overshoot (Kafka).
    expect(decideRetention(closed, 50, { retentionMs: -1, retentionBytes: 200 }, 100n, 0)).toEqual({
      deleteCount: 1,
      newLogStartOffset: 10n,
      reason: 'retention.bytes',
    });
    expect(decideRetention(closed, 50, { retentionMs: -1, retentionBytes: 150 }, 100n, 0).deleteCount).toBe(2);
    // Deleting any segment would go below the limit only when the excess covers it whole.
    expect(decideRetention(closed, 50, { retentionMs: -1, retentionBytes: 300 }, 100n, 0).deleteCount).toBe(0);
    // All closed segments may go: the start moves to the active segment's base.
    expect(decideRetention(closed, 50, { retentionMs: -1, retentionBytes: 0 }, 100n, 0).newLogStartOffset).toBe(30n);
  });

  it('applies size after time, over what time left', () => {
    // Time takes the first (3 s old); 250 bytes remain, 150 over 100: size takes one more.
    const d = decideRetention(closed, 50, { retentionMs: 2_500, retentionBytes: 100 }, 100n, 4_000);
    expect(d).toEqual({ deleteCount: 2, newLogStartOffset: 20n, reason: 'retention.bytes' });
  });
});

async function append(log: PartitionLog, n: number, timestamp: bigint) {
  for (let i = 0; i < n; i++) await log.append(await testBatch({ records: 2, timestamp, tag: `r${i}` }), { leaderEpoch: 0 });
}

const logFiles = async (dir: string) => (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();

describe('enforceRetention on a PartitionLog', () => {
  it('rolls an aged active segment by segment.ms, then deletes it by retention.ms', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, { segmentMs: 1_000, fileDeleteDelayMs: 0 });
      const now = Date.now();
      await append(log, 3, BigInt(now - 10_000));
      log.highWatermark = log.logEndOffset;
      // The first batch is 10 s old: the next append rolls (Kafka rolls on append).
      await append(log, 1, BigInt(now));
      expect(log.segmentList().map((s) => s.baseOffset)).toEqual([0n, 6n]);
      log.highWatermark = log.logEndOffset;

      const out = await enforceRetention(log, { retentionMs: 5_000, retentionBytes: -1 }, now);
      expect(out).toMatchObject({ deletedSegments: 1, logStartOffset: 6n, reason: 'retention.ms' });
      expect(log.logStartOffset).toBe(6n);
      expect(await logFiles(dir)).toEqual(['00000000000000000006.log']);
      await expect(log.read(0n, 1 << 20, { upperBound: 100n, minOneBatch: true })).rejects.toMatchObject({ kind: 'offset-out-of-range' });

      // An idle partition: the check itself rolls the aged active segment, and the next one deletes it.
      const later = now + 20_000;
      const idle = await enforceRetention(log, { retentionMs: 5_000, retentionBytes: -1 }, later);
      expect(idle.rolled).toBe(true);
      expect(idle.deletedSegments).toBe(1);
      expect(log.logStartOffset).toBe(8n);
      expect(log.logEndOffset).toBe(8n);
      await log.close();
    }));

  it('deletes by retention.bytes, never the active segment nor beyond the high watermark', () =>
    withTempDir(async (dir) => {
      const one = (await testBatch({ records: 2, tag: 'r0' })).length;
      const log = await PartitionLog.open(dir, { segmentBytes: one * 2, fileDeleteDelayMs: 0 });
      await append(log, 7, BigInt(Date.now()));
      expect(log.segmentList()).toHaveLength(4);
      log.highWatermark = 4n; // only the first segment [0, 4) is wholly committed
      let out = await enforceRetention(log, { retentionMs: -1, retentionBytes: 0 });
      expect(out.deletedSegments).toBe(1);
      expect(log.logStartOffset).toBe(4n);
      log.highWatermark = log.logEndOffset;
      out = await enforceRetention(log, { retentionMs: -1, retentionBytes: one * 2 });
      // 5 batches left (2+2+1), 3 over the limit: the next segment (2) goes, the one after would overshoot.
      expect(out.deletedSegments).toBe(1);
      expect(log.logStartOffset).toBe(8n);
      out = await enforceRetention(log, { retentionMs: -1, retentionBytes: 0 });
      expect(out.deletedSegments).toBe(1);
      expect(log.logStartOffset).toBe(12n);
      out = await enforceRetention(log, { retentionMs: -1, retentionBytes: 0 });
      expect(out.deletedSegments).toBe(0); // only the active segment is left
      expect(log.size()).toBe(one);
      await log.close();
    }));

  it('renames deleted segments to .deleted and unlinks them after file.delete.delay.ms, reads in flight finishing', () =>
    withTempDir(async (dir) => {
      const one = (await testBatch({ records: 2, tag: 'r0' })).length;
      const log = await PartitionLog.open(dir, { segmentBytes: one * 2, fileDeleteDelayMs: 300 });
      await append(log, 5, BigInt(Date.now()));
      log.highWatermark = log.logEndOffset;
      const inFlight = log.read(0n, 1 << 20, { upperBound: 100n, minOneBatch: true });
      await log.deleteRecordsBefore(4n);
      expect((await inFlight).records.length).toBe(one * 2);
      const names = (await readdir(dir)).sort();
      expect(names).toEqual(expect.arrayContaining(['00000000000000000000.log.deleted', '00000000000000000000.index.deleted', '00000000000000000000.timeindex.deleted']));
      expect(names).not.toContain('00000000000000000000.log');
      const deadline = Date.now() + 5_000;
      while ((await readdir(dir)).some((f) => f.endsWith('.deleted')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect((await readdir(dir)).filter((f) => f.endsWith('.deleted'))).toEqual([]);
      await log.close();
    }));

  it('removes leftover .deleted files at open', () =>
    withTempDir(async (dir) => {
      const one = (await testBatch({ records: 2, tag: 'r0' })).length;
      const log = await PartitionLog.open(dir, { segmentBytes: one * 2, fileDeleteDelayMs: 60_000 });
      await append(log, 5, BigInt(Date.now()));
      log.highWatermark = log.logEndOffset;
      await log.deleteRecordsBefore(4n);
      await log.close();
      expect((await readdir(dir)).some((f) => f.endsWith('.deleted'))).toBe(true);
      const reopened = await PartitionLog.open(dir, { logStartOffset: 4n });
      expect((await readdir(dir)).some((f) => f.endsWith('.deleted'))).toBe(false);
      expect(reopened.logStartOffset).toBe(4n);
      expect(reopened.logEndOffset).toBe(10n);
      await reopened.close();
    }));

  it('keeps a log start offset inside a segment across a reopen when the owner passes it', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, {});
      await append(log, 3, BigInt(Date.now()));
      log.highWatermark = log.logEndOffset;
      await log.deleteRecordsBefore(3n);
      await log.close();
      const reopened = await PartitionLog.open(dir, { logStartOffset: 3n });
      expect(reopened.logStartOffset).toBe(3n);
      await expect(reopened.read(2n, 1 << 20, { upperBound: 100n, minOneBatch: true })).rejects.toMatchObject({ kind: 'offset-out-of-range' });
      await reopened.close();
    }));

  it('a follower reset drops everything and restarts empty at the leader log start offset', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, { fileDeleteDelayMs: 0 });
      await append(log, 2, BigInt(Date.now()));
      await log.assignLeaderEpoch(3, 4n);
      await log.resetTo(50n);
      expect(log.logStartOffset).toBe(50n);
      expect(log.logEndOffset).toBe(50n);
      expect(log.highWatermark).toBe(50n);
      expect(log.leaderEpochs).toEqual([]);
      expect(await logFiles(dir)).toEqual(['00000000000000000050.log']);
      // Leader batches continue from there with their own offsets.
      const b = await testBatch({ records: 2 });
      b.writeBigInt64BE(50n, 0);
      await log.appendWithOffsets(b);
      expect(log.logEndOffset).toBe(52n);
      await log.close();
    }));

  it('takes segment.bytes and segment.ms changes at run time', () =>
    withTempDir(async (dir) => {
      const one = (await testBatch({ records: 2, tag: 'r0' })).length;
      const log = await PartitionLog.open(dir, {});
      await append(log, 3, BigInt(Date.now()));
      expect(log.segmentList()).toHaveLength(1);
      log.updateSettings({ segmentBytes: one * 2 });
      await append(log, 3, BigInt(Date.now()));
      expect(log.segmentList().length).toBeGreaterThan(1);
      expect(() => log.updateSettings({ segmentBytes: 1 })).toThrow(/segmentBytes/);
      expect(log.settings.segmentBytes).toBe(one * 2);
      await log.close();
    }));

  it('fsyncs after flush.messages records and after flush.ms', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, { flushMessages: 4 });
      const active = log.segmentList()[0]!;
      const sync = jest.spyOn(active, 'sync');
      await append(log, 1, BigInt(Date.now())); // 2 records
      expect(sync).not.toHaveBeenCalled();
      await append(log, 1, BigInt(Date.now())); // 4 records: flush
      expect(sync).toHaveBeenCalledTimes(1);
      log.updateSettings({ flushMessages: Infinity, flushMs: 50 });
      await append(log, 1, BigInt(Date.now()));
      const deadline = Date.now() + 5_000;
      while (sync.mock.calls.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(sync).toHaveBeenCalledTimes(2);
      await log.close();
    }));
});
