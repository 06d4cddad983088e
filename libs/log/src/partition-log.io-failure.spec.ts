import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setIoFaultHook, type IoOperation } from './file-io';
import { LogError } from './log-error';
import { PartitionLog } from './partition-log';
import { recordKeys, testBatch, withTempDir } from './testing/test-batches';

const all = { upperBound: 1n << 62n, minOneBatch: true };

/** Makes the next `op` fail as a full disk would, once. */
function failNext(op: IoOperation, code = 'ENOSPC'): void {
  setIoFaultHook((o) => {
    if (o !== op) return;
    setIoFaultHook(undefined);
    throw Object.assign(new Error(`${code}: no space left on device (injected)`), { code });
  });
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(() => undefined, (e: unknown) => e);
}

describe('PartitionLog on a failing disk', () => {
  afterEach(() => setIoFaultHook(undefined));

  for (const fsync of ['never', 'always'] as const) {
    it(`a failed epoch checkpoint after the data write leaves the log end and the readable bytes unchanged (fsync ${fsync})`, () =>
      withTempDir(async (dir) => {
        const failures: LogError[] = [];
        const log = await PartitionLog.open(dir, { fsync, onStorageError: (err) => failures.push(err) });
        await log.append(await testBatch({ records: 3, tag: 'a' }), { leaderEpoch: 0 });
        const sizeBefore = (await stat(join(dir, '00000000000000000000.log'))).size;
        // A new leader epoch makes the append persist the epoch checkpoint after writing the data.
        failNext('checkpoint');
        const err = await rejection(log.append(await testBatch({ records: 2, tag: 'b' }), { leaderEpoch: 1 }));
        expect(err).toBeInstanceOf(LogError);
        expect((err as LogError).kind).toBe('storage');
        expect((err as LogError).message).toMatch(/ENOSPC/);
        expect(log.logEndOffset).toBe(3n);
        log.highWatermark = 100n;
        expect(log.highWatermark).toBe(3n);
        const { records } = await log.read(0n, 1 << 20, all);
        expect((await recordKeys(records)).map((r) => r.key)).toEqual(['a-0', 'a-1', 'a-2']);
        expect((await log.read(3n, 1 << 20, all)).records.length).toBe(0);
        // The failed batch is cut off the file too, so no reopen brings it back.
        expect((await stat(join(dir, '00000000000000000000.log'))).size).toBe(sizeBefore);
        expect(failures).toHaveLength(1);
        // The log refuses further appends until reopened.
        const next = await rejection(log.append(await testBatch({ records: 1, tag: 'c' }), { leaderEpoch: 1 }));
        expect((next as LogError).kind).toBe('storage');
        await log.close();

        const reopened = await PartitionLog.open(dir, { fsync });
        expect(reopened.logEndOffset).toBe(3n);
        expect(reopened.leaderEpochs.map((e) => e.epoch)).toEqual([0]);
        await reopened.close();
      }));
  }

  it('a failed data write in a cycle of several appends fails them all and publishes none', () =>
    withTempDir(async (dir) => {
      const failures: LogError[] = [];
      const log = await PartitionLog.open(dir, { onStorageError: (err) => failures.push(err) });
      await log.append(await testBatch({ records: 2, tag: 'a' }), { leaderEpoch: 0 });
      const [b, c] = [await testBatch({ records: 2, tag: 'b' }), await testBatch({ records: 2, tag: 'c' })];
      failNext('write', 'EIO');
      // Made in one turn: both join one group-commit cycle.
      const appends = [log.append(b, { leaderEpoch: 0 }), log.append(c, { leaderEpoch: 0 })];
      const errs = await Promise.all(appends.map(rejection));
      for (const e of errs) expect((e as LogError).kind).toBe('storage');
      expect(log.logEndOffset).toBe(2n);
      expect((await log.read(2n, 1 << 20, all)).records.length).toBe(0);
      expect(failures.map((f) => f.kind)).toEqual(['storage']);
      await log.close();
    }));

  it('with several segments in one failed cycle, the earlier segment\'s bytes are not served either', () =>
    withTempDir(async (dir) => {
      const one = await testBatch({ records: 2, tag: 'x' });
      // Room for two batches per segment: the third append of the cycle rolls.
      const log = await PartitionLog.open(dir, { segmentBytes: one.length * 2 + 1 });
      await log.append(await testBatch({ records: 2, tag: 'a' }), { leaderEpoch: 0 });
      let writes = 0;
      const [b, c] = [await testBatch({ records: 2, tag: 'b' }), await testBatch({ records: 2, tag: 'c' })];
      setIoFaultHook((op) => {
        // The first write (the rest of segment 0) succeeds, the next one (segment 1) fails.
        if (op === 'write' && ++writes === 2) throw Object.assign(new Error('EIO: i/o error (injected)'), { code: 'EIO' });
      });
      // One cycle: b completes segment 0, c rolls to segment 1 (a seal between makes it asynchronous).
      const appends = [log.append(b, { leaderEpoch: 0 }), log.append(c, { leaderEpoch: 0 })];
      const errs = await Promise.all(appends.map(rejection));
      setIoFaultHook(undefined);
      expect(errs.every((e) => e instanceof LogError && e.kind === 'storage')).toBe(true);
      expect(log.logEndOffset).toBe(2n);
      expect((await log.read(2n, 1 << 20, all)).records.length).toBe(0);
      await log.close();
      const reopened = await PartitionLog.open(dir, {});
      expect(reopened.logEndOffset).toBe(2n);
      await reopened.close();
    }));
});
