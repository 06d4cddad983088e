import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { LogError } from './log-error';
import { PageCacheWrites } from './page-cache-writes';
import { PartitionLog } from './partition-log';
import { recordKeys, testBatch, withTempDir } from './testing/test-batches';

const all = { upperBound: 1n << 62n, minOneBatch: true };

describe('WriteQueue synchronous page-cache writes (fsync never)', () => {
  it('writes the appends of one turn with one write and completes them after it', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, {});
      await log.append(await testBatch({ records: 1, tag: 'first' }), { leaderEpoch: 0 }); // opens the files
      const before = log.stats().writeCalls;
      const batches = await Promise.all(Array.from({ length: 10 }, (_, i) => testBatch({ records: 2, tag: `t${i}` })));
      const pending = batches.map((b) => log.append(b, { leaderEpoch: 0 }));
      // Nothing is written (nor readable) before the turn ends.
      expect(log.logEndOffset).toBe(1n);
      const results = await Promise.all(pending);
      expect(results.map((r) => r.baseOffset)).toEqual(Array.from({ length: 10 }, (_, i) => 1n + BigInt(2 * i)));
      expect(log.stats().writeCalls - before).toBe(1);
      expect(log.logEndOffset).toBe(21n);
      // The bytes are in the file itself, not only in memory.
      const onDisk = await readFile(log.segmentList()[0]!.paths.log);
      expect((await recordKeys(onDisk)).map((k) => k.key)).toEqual(['first-0', ...batches.flatMap((_, i) => [`t${i}-0`, `t${i}-1`])]);
      const { records } = await log.read(0n, 1 << 20, all);
      expect(records.equals(onDisk)).toBe(true);
      await log.close();
    }));

  it('after a slow synchronous cycle writes go through the thread pool for the back-off, with the same bytes, and warn once', () =>
    withTempDir(async (dir) => {
      let now = 1_000;
      // Every synchronous cycle counts as slow (0 ms threshold): the first one starts a 1 s back-off.
      const pageCacheWrites = new PageCacheWrites({ slowMs: 0, minBackoffMs: 1_000, clock: () => now });
      const warnings: Array<[string, Record<string, unknown> | undefined]> = [];
      const log = await PartitionLog.open(dir, { pageCacheWrites, logger: (level, message, fields) => { if (level === 'warn') warnings.push([message, fields]); } });
      const append = async (tag: string) => log.append(await testBatch({ records: 1, tag }), { leaderEpoch: 0 });
      await append('opens'); // opens the files (an asynchronous cycle)
      await append('sync');
      expect(log.stats().syncCycles).toBe(1);
      expect(pageCacheWrites.slowCycles).toBe(1);
      expect(warnings).toEqual([[expect.stringMatching(/page-cache writes are slow/), expect.objectContaining({ dir, forMs: 1_000 })]]);
      const calls = log.stats().writeCalls;
      for (let i = 0; i < 3; i++) await append(`pool${i}`);
      expect(log.stats()).toMatchObject({ syncCycles: 1, writeCalls: calls + 3 });
      now += 1_000;
      await append('sync-again');
      expect(log.stats().syncCycles).toBe(2);
      expect(warnings).toHaveLength(2);
      const onDisk = await readFile(log.segmentList()[0]!.paths.log);
      expect((await recordKeys(onDisk)).map((k) => k.key)).toEqual(['opens-0', 'sync-0', 'pool0-0', 'pool1-0', 'pool2-0', 'sync-again-0']);
      const { records } = await log.read(0n, 1 << 20, all);
      expect(records.equals(onDisk)).toBe(true);
      await log.close();
    }));

  it('a failed write fails the append, every queued append and every later one', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, {});
      await log.append(await testBatch({ records: 1 }), { leaderEpoch: 0 });
      const seg = log.segmentList()[0]!;
      // A descriptor that refuses writes stands in for a failing disk.
      const readOnly = openSync(seg.paths.log, 'r');
      try {
        jest.spyOn(seg, 'openLogFd').mockReturnValue(readOnly);
        const a = log.append(await testBatch({ records: 1, tag: 'a' }), { leaderEpoch: 0 });
        const b = log.append(await testBatch({ records: 1, tag: 'b' }), { leaderEpoch: 0 });
        const errors = await Promise.all([a, b].map((p) => p.then(() => undefined, (e: unknown) => e)));
        for (const e of errors) {
          expect(e).toBeInstanceOf(LogError);
          expect((e as LogError).kind).toBe('storage');
        }
        expect(log.logEndOffset).toBe(1n);
        await expect(log.append(await testBatch({ records: 1, tag: 'c' }), { leaderEpoch: 0 })).rejects.toMatchObject({ kind: 'storage' });
      } finally {
        closeSync(readOnly);
        await log.close();
      }
    }));

  it('keeps the asynchronous path, one fsync per cycle, with fsync always', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, { fsync: 'always' });
      const seg = log.segmentList()[0]!;
      const fdSpy = jest.spyOn(seg, 'openLogFd');
      await Promise.all(Array.from({ length: 5 }, async (_, i) => log.append(await testBatch({ records: 1, tag: `s${i}` }), { leaderEpoch: 0 })));
      expect(fdSpy).not.toHaveBeenCalled();
      expect(log.logEndOffset).toBe(5n);
      expect((await recordKeys((await log.read(0n, 1 << 20, all)).records)).length).toBe(5);
      await log.close();
    }));

  it('rolls into a new segment within one turn (its files are opened asynchronously first)', () =>
    withTempDir(async (dir) => {
      const one = (await testBatch({ records: 1, valueBytes: 64, tag: 'r00' })).length;
      const log = await PartitionLog.open(dir, { segmentBytes: one * 3 });
      const batches = await Promise.all(Array.from({ length: 10 }, (_, i) => testBatch({ records: 1, valueBytes: 64, tag: `r${String(i).padStart(2, '0')}` })));
      for (const b of batches.slice(0, 2)) await log.append(b, { leaderEpoch: 0 });
      await Promise.all(batches.slice(2).map((b) => log.append(b, { leaderEpoch: 0 })));
      expect(log.stats().segments).toBe(4);
      const keys: string[] = [];
      for (let offset = 0n; offset < 10n; ) {
        const got = await recordKeys((await log.read(offset, 1 << 20, all)).records);
        keys.push(...got.map((k) => k.key));
        offset = got[got.length - 1]!.offset + 1n;
      }
      expect(keys).toEqual(batches.map((_, i) => `r${String(i).padStart(2, '0')}-0`));
      await log.close();
    }));
});
