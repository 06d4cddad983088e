// A corrupt, empty or missing leader-epoch checkpoint is rebuilt from the batch headers at open
// instead of failing it (which would take the partition offline).
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LeaderEpochCache } from './leader-epoch-cache';
import { PartitionLog } from './partition-log';
import { testBatch, withTempDir } from './testing/test-batches';

const CHECKPOINT = 'leader-epoch-checkpoint';

/** Three epochs over two segments: 0 at 0, 2 at 6, 5 at 12. */
async function writeEpochs(dir: string) {
  const log = await PartitionLog.open(dir, { segmentBytes: 500 });
  for (const epoch of [0, 2, 5]) {
    for (let i = 0; i < 2; i++) await log.append(await testBatch({ records: 3, valueBytes: 30, tag: `e${epoch}-${i}` }), { leaderEpoch: epoch });
  }
  const entries = [...log.leaderEpochs];
  expect(log.segmentList().length).toBeGreaterThan(1);
  await log.close();
  return entries;
}

describe('leader-epoch checkpoint rebuild', () => {
  for (const [what, damage] of [
    ['a corrupt', (p: string) => writeFile(p, '0\n3\n0 0\ngarbage')],
    ['an empty', (p: string) => writeFile(p, '')],
    ['a missing', (p: string) => rm(p)],
  ] as const) {
    it(`rebuilds ${what} checkpoint from batch headers and persists it`, () =>
      withTempDir(async (dir) => {
        const expected = await writeEpochs(dir);
        expect(expected).toEqual([
          { epoch: 0, startOffset: 0n },
          { epoch: 2, startOffset: 6n },
          { epoch: 5, startOffset: 12n },
        ]);
        await damage(join(dir, CHECKPOINT));
        const warnings: string[] = [];
        const log = await PartitionLog.open(dir, { segmentBytes: 500, logger: (level, msg) => void (level === 'warn' && warnings.push(msg)) });
        expect([...log.leaderEpochs]).toEqual(expected);
        expect(log.endOffsetForEpoch(2)).toEqual({ epoch: 2, endOffset: 12n });
        expect(warnings).toContain('rebuilt the leader-epoch checkpoint from batch headers');
        await log.close();
        expect(LeaderEpochCache.parseCheckpoint(await readFile(join(dir, CHECKPOINT), 'utf8'))).toEqual(expected);
      }));
  }

  it('keeps a missing checkpoint of an empty log empty', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, {});
      expect([...log.leaderEpochs]).toEqual([]);
      await log.close();
    }));
});
