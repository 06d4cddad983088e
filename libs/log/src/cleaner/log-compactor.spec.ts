import { cp, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ATTR_DELETE_HORIZON, BATCH, batchCrcMatches, buildRecordBatch, CompressionType, decodeRecordBatches, endTxnMarker } from '@dms/kafka-codec';
import { PartitionLog } from '../partition-log';
import { segmentPaths } from '../file-names';
import { withTempDir } from '../testing/test-batches';
import { cleanableRange, isCleanable, type CompactionSettings } from './cleanable-range';
import { compactLog } from './log-compactor';
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
const all = { upperBound: 1n << 62n, minOneBatch: true };

type Rec = [key: string | null, value: string | null];

interface PutOptions {
  transactional?: boolean;
  control?: boolean;
  compression?: CompressionType;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
}

async function put(log: PartitionLog, recs: Rec[], ts = T0, extra: PutOptions = {}) {
  const batch = await buildRecordBatch({
    ...extra,
    baseOffset: log.logEndOffset,
    records: recs.map(([key, value], i) => ({ key, value, timestamp: ts + i })),
  });
  // Clients cannot write control batches: they arrive as a leader wrote them (replication path).
  if (extra.control) await log.appendWithOffsets(batch);
  else await log.append(batch, { leaderEpoch: 0 });
  log.highWatermark = log.logEndOffset;
}

interface Seen {
  offset: bigint;
  key: string | null;
  value: string | null;
  attributes: number;
}

async function readAllRecords(log: PartitionLog): Promise<Seen[]> {
  const out: Seen[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const { records } = await log.read(offset, 1 << 20, all);
    if (records.length === 0) break;
    for (const b of await decodeRecordBatches(records)) {
      offset = b.header.baseOffset + BigInt(b.header.lastOffsetDelta) + 1n;
      for (const r of b.records) out.push({ offset: r.offset, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null, attributes: b.header.attributes });
    }
  }
  return out;
}

/** The key -> value view a consumer rebuilding a table gets (tombstones delete). */
function table(records: Seen[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const r of records) {
    if (r.key === null || (r.attributes & 0x20) !== 0) continue;
    if (r.value === null) m.delete(r.key);
    else m.set(r.key, r.value);
  }
  return m;
}

async function clean(log: PartitionLog, now: number, checkpoint?: bigint, s = settings, sweepTombstones = false) {
  const range = await cleanableRange(log, checkpoint, s, now);
  return compactLog(log, new OffsetMap(1 << 20), range, s, now, { indexIntervalBytes: 4096, sweepTombstones });
}

/** 20 rounds of updates to k0..k4, one batch of 5 records each, in segments of about 3 batches. */
async function updates(log: PartitionLog, rounds = 20, ts = T0) {
  for (let i = 0; i < rounds; i++) await put(log, [0, 1, 2, 3, 4].map((k) => [`k${k}`, `v${i}`]), ts + i * 10);
}

describe('log compaction', () => {
  it('keeps only the latest record per key below the active segment, at its original offset', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, { segmentBytes: 400 });
      await updates(log);
      const before = await readAllRecords(log);
      const activeBase = log.activeSegmentBaseOffset;
      const range = await cleanableRange(log, undefined, settings, T0 + 10_000);
      expect(range.firstDirtyOffset).toBe(0n);
      expect(range.firstUncleanableOffset).toBe(activeBase);
      expect(isCleanable(range, settings)).toBe(true);

      const stats = await clean(log, T0 + 10_000);
      expect(stats.endOffset).toBe(activeBase);
      const after = await readAllRecords(log);
      const closed = after.filter((r) => r.offset < activeBase);
      // One record per key in the cleaned part: the latest one below the active segment.
      expect(closed.map((r) => r.key).sort()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
      for (const r of closed) {
        const latest = before.filter((b) => b.key === r.key && b.offset < activeBase).pop()!;
        expect(r).toEqual(latest);
      }
      // The active segment is untouched; offsets only grow; the log reads the same table.
      expect(after.filter((r) => r.offset >= activeBase)).toEqual(before.filter((r) => r.offset >= activeBase));
      expect(after.map((r) => r.offset)).toEqual([...after.map((r) => r.offset)].sort((a, b) => (a < b ? -1 : 1)));
      expect(table(after)).toEqual(table(before));
      expect(log.logEndOffset).toBe(100n);
      expect(log.closedSegments().length).toBe(1);

      // Reopening finds the same log (indexes written by the cleaner are sound).
      await log.close();
      const again = await PartitionLog.open(dir, { segmentBytes: 400 });
      again.highWatermark = again.logEndOffset;
      expect(await readAllRecords(again)).toEqual(after);
      expect((await readdir(dir)).filter((n) => n.endsWith('.deleted') || n.endsWith('.swap') || n.endsWith('.cleaned'))).toEqual([]);
      await again.close();
    }));

  it('never cleans at or past the high watermark, nor segments younger than min.compaction.lag.ms', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, { segmentBytes: 400 });
      await updates(log);
      const segs = log.closedSegments();
      log.highWatermark = segs[2]!.baseOffset + 1n;
      const range = await cleanableRange(log, undefined, settings, T0 + 10_000);
      expect(range.firstUncleanableOffset).toBe(segs[2]!.baseOffset);
      await clean(log, T0 + 10_000);
      const after = await readAllRecords(log);
      expect(after.filter((r) => r.offset >= segs[2]!.baseOffset)).toHaveLength(100 - Number(segs[2]!.baseOffset));

      // Records written at T0 + 10*i: with a lag of 100 ms at T0 + 150 only the oldest segments qualify.
      log.highWatermark = log.logEndOffset;
      const lagged = { ...settings, minCompactionLagMs: 100 };
      const r2 = await cleanableRange(log, undefined, lagged, T0 + 150);
      const qualifying = log.closedSegments().filter((s) => Number(s.maxTimestampSoFar) <= T0 + 50);
      expect(r2.firstUncleanableOffset).toBe(log.closedSegments()[qualifying.length]!.baseOffset);
      await log.close();
    }));

  it('is due by max.compaction.lag.ms however clean the log is, and not before', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, { segmentBytes: 400 });
      await updates(log);
      await clean(log, T0 + 10_000);
      await put(log, [['k9', 'x']], T0 + 500);
      for (let i = 0; i < 4; i++) await put(log, [['filler', 'y'.repeat(100)]], T0 + 600);
      const checkpoint = 100n;
      const strict = { ...settings, minCleanableDirtyRatio: 0.99, maxCompactionLagMs: 60_000 };
      const early = await cleanableRange(log, checkpoint, strict, T0 + 1_000);
      expect(early.needCompactionNow).toBe(false);
      expect(isCleanable(early, strict)).toBe(false);
      const late = await cleanableRange(log, checkpoint, strict, T0 + 120_000);
      expect(late.needCompactionNow).toBe(true);
      expect(isCleanable(late, strict)).toBe(true);
      await log.close();
    }));

  it('keeps a tombstone for delete.retention.ms after the round that first kept it, then drops it', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, { segmentBytes: 400 });
      await updates(log, 10);
      await put(log, [['k1', null], ['k3', null]], T0 + 200);
      await updates(log, 6, T0 + 300);
      await put(log, [['k0', null]], T0 + 400);
      await put(log, [['k2', 'late']], T0 + 500);
      for (let i = 0; i < 4; i++) await put(log, [['pad', 'p'.repeat(100)]], T0 + 600);
      const before = await readAllRecords(log);
      const s1 = await clean(log, T0 + 10_000);
      const first = await readAllRecords(log);
      expect(table(first)).toEqual(table(before));
      // k0's tombstone is the latest record for k0 and is kept, stamped with a horizon.
      const k0 = first.filter((r) => r.key === 'k0' && r.offset < s1.endOffset);
      expect(k0).toHaveLength(1);
      expect(k0[0]!.value).toBeNull();
      expect(k0[0]!.attributes & ATTR_DELETE_HORIZON).toBe(ATTR_DELETE_HORIZON);
      expect(s1.nextDeleteHorizonMs).toBe(T0 + 10_000 + settings.deleteRetentionMs);

      // Before the horizon the tombstone stays; after it, it goes (a sweep: nothing new is dirty).
      await clean(log, T0 + 10_500, s1.endOffset, settings, true);
      expect((await readAllRecords(log)).some((r) => r.key === 'k0' && r.value === null)).toBe(true);
      await clean(log, T0 + 11_001, s1.endOffset, settings, true);
      const last = await readAllRecords(log);
      expect(last.some((r) => r.key === 'k0' && r.offset < s1.endOffset)).toBe(false);
      expect(table(last)).toEqual(table(before));
      await log.close();
    }));

  it('drops keyless records and keeps control and transactional batches whole', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, { segmentBytes: 400 });
      await put(log, [[null, 'no key'], ['a', '1']]);
      await put(log, [['a', 'txn']], T0, { transactional: true, producerId: 3n, producerEpoch: 0, baseSequence: 0 });
      await put(log, [endTxnMarker('commit', 0)].map((r) => [r.key as unknown as string, r.value as unknown as string]), T0, {
        transactional: true,
        control: true,
        producerId: 3n,
        producerEpoch: 0,
      });
      await updates(log, 10);
      const stats = await clean(log, T0 + 10_000);
      const after = await readAllRecords(log);
      expect(after.some((r) => r.key === null)).toBe(false);
      expect(after.find((r) => r.value === 'txn')?.offset).toBe(2n);
      expect(after.some((r) => (r.attributes & 0x20) !== 0 && r.offset === 3n)).toBe(true);
      // The transactional record does not shadow the plain one it follows (conservative rule).
      expect(after.find((r) => r.value === '1')?.offset).toBe(1n);
      expect(stats.endOffset).toBe(log.activeSegmentBaseOffset);
      await log.close();
    }));

  it("keeps each producer's last batch in producer state whole, so its sequences survive", () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, { segmentBytes: 400 });
      const idem = async (pid: bigint, seq: number, key: string, value: string) => {
        await log.append(await buildRecordBatch({ producerId: pid, producerEpoch: 0, baseSequence: seq, records: [{ key, value, timestamp: T0 }] }), { leaderEpoch: 0 });
        log.highWatermark = log.logEndOffset;
      };
      await idem(5n, 0, 'k0', 'p5-last'); // shadowed later, but producer 5's last batch
      await idem(6n, 0, 'k1', 'p6-first'); // shadowed and not producer 6's last batch
      await idem(6n, 1, 'k1', 'p6-second');
      await updates(log, 10);
      await clean(log, T0 + 10_000);
      const after = await readAllRecords(log);
      expect(after.find((r) => r.value === 'p5-last')?.offset).toBe(0n);
      expect(after.some((r) => r.value === 'p6-first')).toBe(false);
      expect(after.find((r) => r.value === 'p6-second')?.offset).toBe(2n);
      // The state rebuilt from the cleaned log still knows both producers' last sequences.
      await log.close();
      for (const f of await readdir(dir)) if (f.endsWith('.snapshot')) await rm(join(dir, f));
      const again = await PartitionLog.open(dir, { segmentBytes: 400 });
      expect(again.producers.entry(5n)?.batches.at(-1)).toMatchObject({ lastSeq: 0, lastOffset: 0n });
      expect(again.producers.entry(6n)?.batches.at(-1)).toMatchObject({ lastSeq: 1, lastOffset: 2n });
      await again.close();
    }));

  it('keeps aborted transactions indexed through the swap and a reopen', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, { segmentBytes: 400 });
      await log.append(await buildRecordBatch({ producerId: 2n, producerEpoch: 0, baseSequence: 0, transactional: true, records: [{ key: 'k0', value: 'aborted', timestamp: T0 }] }), { leaderEpoch: 0 });
      await log.appendControl({ producerId: 2n, producerEpoch: 0, committed: false, coordinatorEpoch: 0 }, { leaderEpoch: 0, timestamp: BigInt(T0) });
      log.highWatermark = log.logEndOffset;
      await updates(log, 10);
      const expected = [{ producerId: 2n, firstOffset: 0n, lastOffset: 1n, lastStableOffset: 2n }];
      expect(log.abortedTransactions(0n, 100n)).toEqual(expected);
      const stats = await clean(log, T0 + 10_000);
      expect(stats.segmentsReplaced).toBeGreaterThan(0);
      expect(log.abortedTransactions(0n, 100n)).toEqual(expected);
      // One live index; the replaced one may still wait for its deferred unlink as `.deleted`.
      const names = await readdir(dir);
      expect(names.filter((n) => n.endsWith('.txnindex'))).toEqual(['00000000000000000000.txnindex']);
      await log.close();
      // Without snapshots the state is rebuilt from the log; with them the index file is trusted.
      const again = await PartitionLog.open(dir, { segmentBytes: 400 });
      expect(again.abortedTransactions(0n, 100n)).toEqual(expected);
      await again.close();
    }));

  it('keeps batch offsets: a batch keeps its base and last offset, so fetches continue past gaps', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, { segmentBytes: 400 });
      await updates(log);
      await clean(log, T0 + 10_000);
      const { records } = await log.read(0n, 1 << 20, all);
      const batches = await decodeRecordBatches(records);
      for (const b of batches) {
        expect(Number(b.header.baseOffset) % 5).toBe(0);
        expect(b.header.lastOffsetDelta).toBe(4);
        expect(b.records.length).toBeLessThanOrEqual(5);
      }
      // A read from inside a gap starts at the next batch that holds the offset or follows it.
      const mid = await log.read(7n, 1 << 20, all);
      expect(mid.records.readBigInt64BE(BATCH.baseOffset)).toBeGreaterThanOrEqual(0n);
      await log.close();
    }));

  it.each([CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd])(
    'cleans compressed batches (codec %i) and recompresses what they keep with the same codec',
    (compression) =>
      withTempDir(async (dir) => {
        const log = await PartitionLog.open(dir, { segmentBytes: 300 });
        for (let i = 0; i < 20; i++) {
          await put(log, [[`a`, `a${i}`], [`b${i % 3}`, `b${i}`], [`c`, i === 12 ? null : `c${i}`]], T0 + i, { compression });
        }
        const before = await readAllRecords(log);
        await clean(log, T0 + 10_000);
        const after = await readAllRecords(log);
        expect(table(after)).toEqual(table(before));
        expect(after.length).toBeLessThan(before.length);
        const { records } = await log.read(0n, 1 << 20, { upperBound: log.activeSegmentBaseOffset, minOneBatch: true });
        const batches = await decodeRecordBatches(records);
        for (const b of batches) expect(b.header.compression).toBe(compression);
        let pos = 0;
        while (pos < records.length) {
          expect(batchCrcMatches(records, pos)).toBe(true);
          pos += records.readInt32BE(pos + BATCH.batchLength) + 12;
        }
        // Timestamps of kept records are unchanged.
        for (const r of after) {
          const was = before.find((x) => x.offset === r.offset)!;
          expect(r).toEqual(was);
        }
        await log.close();
      }),
  );

  describe('crash safety of the swap', () => {
    /** A log closed before cleaning (`old`) and the same log after one cleaning (`cleaned`). */
    async function prepare(root: string) {
      const old = join(root, 'old');
      const log = await PartitionLog.open(old, { segmentBytes: 400 });
      await updates(log);
      const expected = table(await readAllRecords(log));
      const bases = log.closedSegments().map((s) => s.baseOffset);
      await log.close();
      const cleanedDir = join(root, 'cleaned');
      await cp(old, cleanedDir, { recursive: true });
      const c = await PartitionLog.open(cleanedDir, { segmentBytes: 400 });
      c.highWatermark = c.logEndOffset;
      await clean(c, T0 + 10_000);
      await c.close();
      return { old, cleanedDir, expected, bases };
    }

    /** Reopens `dir` and checks it reads as a sound log with the expected table. */
    async function check(dir: string, expected: Map<string, string>, wantCleaned: boolean) {
      const log = await PartitionLog.open(dir, { segmentBytes: 400 });
      log.highWatermark = log.logEndOffset;
      const recs = await readAllRecords(log);
      const offsets = recs.map((r) => r.offset);
      expect(new Set(offsets).size).toBe(offsets.length);
      expect(offsets).toEqual([...offsets].sort((a, b) => (a < b ? -1 : 1)));
      expect(table(recs)).toEqual(expected);
      expect(log.logEndOffset).toBe(100n);
      const closedKeys = recs.filter((r) => r.offset < log.activeSegmentBaseOffset).length;
      if (wantCleaned) expect(closedKeys).toBe(5);
      else expect(closedKeys).toBeGreaterThan(5);
      const left = (await readdir(dir)).filter((n) => /\.(cleaned|swap|deleted)$/.test(n));
      expect(left).toEqual([]);
      await log.close();
    }

    const base0 = 0n;
    async function stageCleaned(old: string, cleanedDir: string) {
      const src = segmentPaths(cleanedDir, base0);
      const dst = cleanedPaths(old, base0);
      await cp(src.log, dst.log);
      await cp(src.index, dst.index);
      await cp(src.timeIndex, dst.timeIndex);
    }

    it('drops a cleaning that crashed before its .log.swap existed', () =>
      withTempDir(async (root) => {
        const { old, cleanedDir, expected } = await prepare(root);
        await stageCleaned(old, cleanedDir);
        const c = cleanedPaths(old, base0);
        const f = segmentPaths(old, base0);
        await rename(c.index, f.index + '.swap'); // step 2 half done: the log is still .cleaned
        await check(old, expected, false);
      }));

    it('completes a swap that crashed after the .log.swap, with some old segments already .deleted', () =>
      withTempDir(async (root) => {
        const { old, cleanedDir, expected, bases } = await prepare(root);
        await stageCleaned(old, cleanedDir);
        const c = cleanedPaths(old, base0);
        const f = segmentPaths(old, base0);
        await rename(c.index, f.index + '.swap');
        await rename(c.timeIndex, f.timeIndex + '.swap');
        await rename(c.log, f.log + '.swap');
        // step 3 half done: the first two old segments renamed, the rest still in place
        for (const b of bases.slice(0, 2)) {
          const p = segmentPaths(old, b);
          for (const path of [p.log, p.index, p.timeIndex]) await rename(path, path + '.deleted');
        }
        await check(old, expected, true);
      }));

    it('completes a swap that crashed while renaming the .swap files to their final names', () =>
      withTempDir(async (root) => {
        const { old, cleanedDir, expected, bases } = await prepare(root);
        await stageCleaned(old, cleanedDir);
        const c = cleanedPaths(old, base0);
        const f = segmentPaths(old, base0);
        for (const b of bases) {
          const p = segmentPaths(old, b);
          for (const path of [p.log, p.index, p.timeIndex]) await rename(path, path + '.deleted');
        }
        await rename(c.index, f.index);
        await rename(c.timeIndex, f.timeIndex + '.swap');
        await rename(c.log, f.log + '.swap');
        await check(old, expected, true);
      }));
  });
});
