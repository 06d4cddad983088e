import { buildRecordBatch, decodeRecordBatches } from '@dms/kafka-codec';
import { PartitionLog } from '../partition-log';
import { withTempDir } from '../testing/test-batches';
import { ActiveIndexTrailer } from './active-trailer';
import { KeyIndexCache } from './key-index-cache';
import { KeyIndexer } from './key-indexer';

const everything = { fromOffset: 0n, upperBound: 1n << 62n, maxBytes: 1 << 30 };
/** Everything stays in the active segment. */
const oneSegment = { segmentBytes: 64 << 20, fileDeleteDelayMs: 0 };
const quiet = () => {};

/** `batches` batches of 5 records keyed `<prefix>-<n % 7>`; returns each key's offsets. */
async function fill(log: PartitionLog, batches: number, prefix = 'user'): Promise<Map<string, bigint[]>> {
  const expected = new Map<string, bigint[]>();
  for (let b = 0; b < batches; b++) {
    const keys = Array.from({ length: 5 }, (_, i) => `${prefix}-${(b * 5 + i) % 7}`);
    const base = log.logEndOffset;
    await log.append(await buildRecordBatch({ records: keys.map((key, i) => ({ key, value: `${key}#${b}`, timestamp: 1_700_000_000_000 + b * 5 + i })) }), { leaderEpoch: 0 });
    keys.forEach((k, i) => expected.set(k, [...(expected.get(k) ?? []), base + BigInt(i)]));
  }
  log.highWatermark = log.logEndOffset;
  return expected;
}

async function offsetsWithKey(indexer: KeyIndexer, key: string): Promise<bigint[]> {
  const res = (await indexer.lookup(Buffer.from(key), everything))!;
  const decoded = await decodeRecordBatches(Buffer.concat(res.batches));
  return decoded.flatMap((b) => b.records.filter((r) => r.key?.toString() === key).map((r) => r.offset));
}

/** A second indexer over the log's segments, on its own trailer driven by hand (no timer ticks). */
function trailed(log: PartitionLog, settings: { budgetMs: number; stepBytes: number }) {
  log.keyIndex.enabled = false; // the log's own indexer stays out of the way
  const trailer = new ActiveIndexTrailer({ intervalMs: 3_600_000, ...settings });
  const indexer = new KeyIndexer({ segments: () => log.segmentList(), fsync: false, logger: quiet }, new KeyIndexCache(1 << 20), trailer);
  indexer.startTrailing();
  return { trailer, indexer };
}

async function tickUntilCaughtUp(trailer: ActiveIndexTrailer, indexers: KeyIndexer[], maxTicks = 10_000): Promise<number> {
  for (let t = 1; t <= maxTicks; t++) {
    await trailer.tick();
    if (indexers.every((i) => i.activeBacklog() === 0)) return t;
  }
  throw new Error('the trailer did not catch up');
}

describe('active segment key index trailer', () => {
  it('leaves a log taken off (a follower) alone; taken back, it goes on from what was indexed', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, oneSegment);
      const { trailer, indexer } = trailed(log, { budgetMs: 10_000, stepBytes: 1024 });
      await fill(log, 20, 'first');
      await trailer.tick();
      expect(indexer.activeBacklog()).toBe(0);
      const indexed = trailer.totals.bytes;
      indexer.stopTrailing();
      const more = await fill(log, 20, 'second');
      const backlog = indexer.activeBacklog();
      expect(backlog).toBeGreaterThan(0);
      await trailer.tick();
      expect([indexer.activeBacklog(), trailer.totals.bytes]).toEqual([backlog, indexed]);
      // A lookup meanwhile catches up by itself.
      for (const [key, offsets] of more) expect(await offsetsWithKey(indexer, key)).toEqual(offsets);
      expect(indexer.activeBacklog()).toBe(0);
      // Trailing again: only what is new since is indexed by the trailer.
      indexer.startTrailing();
      const last = await fill(log, 5, 'third');
      await trailer.tick();
      expect(indexer.activeBacklog()).toBe(0);
      expect(trailer.totals.bytes - indexed).toBe(log.segmentList()[0]!.writtenSize - indexed - backlog);
      for (const [key, offsets] of last) expect(await offsetsWithKey(indexer, key)).toEqual(offsets);
      await indexer.close();
      await log.close();
    }));

  it('after a reopen indexes the active segment in the background, then trails new appends', () =>
    withTempDir(async (dir) => {
      let log = await PartitionLog.open(dir, oneSegment);
      const expected = await fill(log, 60);
      await log.close();
      log = await PartitionLog.open(dir, oneSegment);
      log.highWatermark = log.logEndOffset;
      expect(log.segmentList()).toHaveLength(1);
      const { trailer, indexer } = trailed(log, { budgetMs: 10_000, stepBytes: 1024 });
      const written = log.segmentList()[0]!.writtenSize;
      expect(indexer.activeBacklog()).toBe(written);
      await trailer.tick();
      // One generous tick goes the whole way, a step of about 1 KiB at a time.
      expect(indexer.activeBacklog()).toBe(0);
      expect(trailer.totals.bytes).toBe(written);
      expect(trailer.totals.steps).toBeGreaterThanOrEqual(Math.floor(written / 1024));
      for (const [key, offsets] of expected) expect(await offsetsWithKey(indexer, key)).toEqual(offsets);

      // New appends: behind again, caught up by the next tick.
      const more = await fill(log, 10, 'late');
      expect(indexer.activeBacklog()).toBeGreaterThan(0);
      await trailer.tick();
      expect(indexer.activeBacklog()).toBe(0);
      for (const [key, offsets] of more) expect(await offsetsWithKey(indexer, key)).toEqual(offsets);
      // Nothing new: a tick does no work.
      const steps = trailer.totals.steps;
      await trailer.tick();
      expect(trailer.totals.steps).toBe(steps);
      await indexer.close();
      await log.close();
    }));

  it('spends at most its budget per tick, yields between steps and goes round the logs that are behind', async () => {
    /** A log with `backlog` bytes to go whose steps each burn `stepMs` of CPU. */
    const fake = (backlog: number, stepMs: number) => ({
      backlog,
      steps: 0,
      activeBacklog() {
        return this.backlog;
      },
      async trailActive(maxBytes: number) {
        const started = performance.now();
        while (performance.now() < started + stepMs);
        const done = Math.min(maxBytes, this.backlog);
        this.backlog -= done;
        this.steps++;
        return { bytes: done, busyMs: performance.now() - started };
      },
    });
    const trailer = new ActiveIndexTrailer({ intervalMs: 3_600_000, budgetMs: 10, stepBytes: 100 });
    const [a, b, idle] = [fake(10_000, 1), fake(10_000, 1), fake(0, 1)];
    for (const f of [a, b, idle]) trailer.add(f);
    let turns = 0;
    const counting = setInterval(() => turns++, 0);
    const started = performance.now();
    await trailer.tick();
    const tookMs = performance.now() - started;
    clearInterval(counting);
    // About 10 steps of 1 ms, shared by the two logs behind; one step past the budget at most.
    expect(a.steps + b.steps).toBeGreaterThanOrEqual(2);
    expect(a.steps + b.steps).toBeLessThanOrEqual(11);
    expect(Math.abs(a.steps - b.steps)).toBeLessThanOrEqual(1);
    expect(idle.steps).toBe(0);
    expect(trailer.totals.budgetExhausted).toBe(1);
    expect(turns).toBeGreaterThan(0); // timers ran while the tick worked
    expect(tookMs).toBeGreaterThanOrEqual(10);
    // Over ticks both get there; then a tick does nothing.
    for (let t = 0; t < 1000 && a.backlog + b.backlog > 0; t++) await trailer.tick();
    expect(a.backlog + b.backlog).toBe(0);
    const steps = trailer.totals.steps;
    await trailer.tick();
    expect(trailer.totals.steps).toBe(steps);
    for (const f of [a, b, idle]) trailer.remove(f);
  });

  it('catches a real log up over several budget-limited ticks', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, oneSegment);
      const expected = await fill(log, 1000);
      const { trailer, indexer } = trailed(log, { budgetMs: 2, stepBytes: 512 });
      const ticks = await tickUntilCaughtUp(trailer, [indexer]);
      expect(ticks).toBeGreaterThan(1);
      expect(trailer.totals.budgetExhausted).toBeGreaterThanOrEqual(1);
      expect(trailer.totals.bytes).toBe(log.segmentList()[0]!.writtenSize);
      for (const [key, offsets] of expected) expect(await offsetsWithKey(indexer, key)).toEqual(offsets);
      await indexer.close();
      await log.close();
    }));

  it('a lookup racing a background step answers in full; truncation and a roll are followed', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, { segmentBytes: 16 << 10, fileDeleteDelayMs: 0 });
      const { trailer, indexer } = trailed(log, { budgetMs: 10_000, stepBytes: 256 });
      const expected = await fill(log, 40);
      const racing = trailer.tick();
      expect(await offsetsWithKey(indexer, 'user-3')).toEqual(expected.get('user-3'));
      await racing;
      await tickUntilCaughtUp(trailer, [indexer]);

      // Cut the active segment and write other keys over the same bytes.
      const cut = log.logEndOffset - 10n;
      await log.truncateTo(cut);
      const end = log.logEndOffset;
      const rewritten = await fill(log, 4, 'other');
      await tickUntilCaughtUp(trailer, [indexer]);
      expect(await offsetsWithKey(indexer, 'other-2')).toEqual(rewritten.get('other-2'));
      expect((await offsetsWithKey(indexer, 'user-3')).every((o) => o < end)).toBe(true);

      // Past a roll the trailer follows the new active segment.
      const segments = log.segmentList().length;
      const later = await fill(log, 200, 'later');
      expect(log.segmentList().length).toBeGreaterThan(segments);
      await tickUntilCaughtUp(trailer, [indexer]);
      expect(await offsetsWithKey(indexer, 'later-5')).toEqual(later.get('later-5'));
      await indexer.close();
      await log.close();
    }));

  it('does nothing when the index is off or the log closed', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, oneSegment);
      const { trailer, indexer } = trailed(log, { budgetMs: 10_000, stepBytes: 1024 });
      await fill(log, 20);
      indexer.enabled = false;
      expect(indexer.activeBacklog()).toBe(0);
      await trailer.tick();
      expect(trailer.totals.bytes).toBe(0);
      indexer.enabled = true;
      await indexer.close();
      expect(indexer.activeBacklog()).toBe(0);
      await trailer.tick();
      expect(trailer.totals.bytes).toBe(0);
      await log.close();
    }));
});
