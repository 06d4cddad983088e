import { readdir, unlink } from 'node:fs/promises';
import { buildRecordBatch, decodeRecordBatches } from '@dms/kafka-codec';
import { PartitionLog } from '../partition-log';
import { withTempDir } from '../testing/test-batches';
import { cleanableRange, type CompactionSettings } from './cleanable-range';
import { compactLog } from './log-compactor';
import { CleanedSegmentWriter } from './cleaned-segment-writer';
import { OffsetMap } from './offset-map';
import { cleanedPaths } from './segment-swap';

const T0 = 1_700_000_000_000;
const settings: CompactionSettings = {
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
  deleteRetentionMs: 1_000,
  segmentBytes: 1 << 20,
  fileDeleteDelayMs: 0,
};

async function put(log: PartitionLog, round: number) {
  const batch = await buildRecordBatch({ records: [0, 1, 2, 3, 4].map((k) => ({ key: `k${k}`, value: `v${round}`, timestamp: T0 + round })) });
  const r = await log.append(batch, { leaderEpoch: 0 });
  log.highWatermark = log.logEndOffset;
  return r;
}

async function offsets(log: PartitionLog): Promise<bigint[]> {
  const out: bigint[] = [];
  let offset = 0n;
  while (offset < log.logEndOffset) {
    const { records } = await log.read(offset, 1 << 20, { upperBound: log.logEndOffset, minOneBatch: true });
    if (records.length === 0) break;
    for (const b of await decodeRecordBatches(records)) {
      offset = b.header.baseOffset + BigInt(b.header.lastOffsetDelta) + 1n;
      out.push(...b.records.map((r) => r.offset));
    }
  }
  return out;
}

describe('log compaction alongside appends, reads and truncation', () => {
  it('never blocks appends, and a read holding a replaced segment still reads its bytes', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, { segmentBytes: 400 });
      for (let i = 0; i < 30; i++) await put(log, i);
      const old = log.closedSegments()[1]!;
      const oldBytes = await old.read(0, old.writtenSize);
      const range = await cleanableRange(log, undefined, settings, T0 + 10_000);
      const cleaning = compactLog(log, new OffsetMap(1 << 20), range, { ...settings, fileDeleteDelayMs: 60_000 }, T0 + 10_000, {
        indexIntervalBytes: 4096,
      });
      // Appends made while the cleaner works complete and get the next offsets.
      const appended = [];
      for (let i = 30; i < 40; i++) appended.push((await put(log, i)).baseOffset);
      await cleaning;
      expect(appended).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(150 + 5 * i)));
      expect(log.closedSegments()).not.toContain(old);
      // The replaced segment's descriptor is still open for readers that hold it.
      expect((await old.read(0, old.writtenSize)).equals(oldBytes)).toBe(true);
      expect((await readdir(dir)).some((n) => n.endsWith('.log.deleted'))).toBe(true);
      const all = await offsets(log);
      expect(all.slice(-50)).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(150 + i)));
      await log.close();
    }));

  it('drops a round whose log was truncated meanwhile, leaving no cleaned files', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, { segmentBytes: 400 });
      for (let i = 0; i < 30; i++) await put(log, i);
      const range = await cleanableRange(log, undefined, settings, T0 + 10_000);
      const cut = log.closedSegments()[3]!.baseOffset + 2n;
      let truncation: Promise<void> | undefined;
      const result = await compactLog(log, new OffsetMap(1 << 20), range, settings, T0 + 10_000, {
        indexIntervalBytes: 4096,
        shouldAbort: () => {
          // A follower truncating under the cleaner, as replication may do at any time.
          truncation ??= log.truncateTo(cut);
          return false;
        },
      }).then(
        () => 'swapped',
        (e: Error) => e.name,
      );
      await truncation;
      expect(result).not.toBe('swapped');
      expect((await readdir(dir)).filter((n) => n.endsWith('.cleaned') || n.endsWith('.swap'))).toEqual([]);
      expect(log.logEndOffset).toBeLessThanOrEqual(cut);
      const all = await offsets(log);
      expect(all).toEqual(Array.from({ length: Number(log.logEndOffset) }, (_, i) => BigInt(i)));
      await log.close();
    }));

  it('refuses a swap prepared before a truncation even when the same segments are back in place', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, { segmentBytes: 400 });
      for (let i = 0; i < 12; i++) await put(log, i);
      const run = log.closedSegments();
      const last = run[run.length - 1]!;
      const seen = log.truncationCount;
      const writer = new CleanedSegmentWriter(dir, run[0]!.baseOffset, 4096);
      await writer.open();
      const { records } = await log.read(0n, 1 << 20, { upperBound: 5n, minOneBatch: true });
      await writer.append(records);
      await writer.finish();
      // Truncate into the last closed segment (it becomes active) and append until it is closed again.
      await log.truncateTo(last.baseOffset + 5n);
      while (log.activeSegmentBaseOffset === last.baseOffset) await put(log, 99);
      expect(log.closedSegments().slice(0, run.length)).toEqual(run);
      expect(await log.replaceSegments(run, 0, seen)).toBe(false);
      expect((await readdir(dir)).filter((n) => n.endsWith('.cleaned'))).toEqual([]);
      expect(log.closedSegments().slice(0, run.length)).toEqual(run);
      await log.close();
    }));

  it('a swap that fails before its commit point leaves the old segments serving and no stray files', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, { segmentBytes: 400 });
      for (let i = 0; i < 12; i++) await put(log, i);
      const run = log.closedSegments();
      const writer = new CleanedSegmentWriter(dir, run[0]!.baseOffset, 4096);
      await writer.open();
      await writer.append((await log.read(0n, 1 << 20, { upperBound: 5n, minOneBatch: true })).records);
      await writer.finish();
      await unlink(cleanedPaths(dir, run[0]!.baseOffset).log); // the rename of the .log.cleaned will fail
      await expect(log.replaceSegments(run, 0)).rejects.toThrow();
      expect(log.closedSegments()).toEqual(run);
      expect((await readdir(dir)).filter((n) => /\.(cleaned|swap|deleted)$/.test(n))).toEqual([]);
      await put(log, 12);
      expect(await offsets(log)).toEqual(Array.from({ length: 65 }, (_, i) => BigInt(i)));
      await log.close();
    }));
});
