// With log.flush.policy=always, every directory entry the log creates or renames is synced in
// its directory (a spy on fsyncDir asserts the calls are issued; the fsync itself is the OS's).
import { join } from 'node:path';
import { fsyncDir } from './fsync-dir';
import { PartitionLog } from './partition-log';
import { testBatch, withTempDir } from './testing/test-batches';

/** What each fsyncDir call found in the directory: proves a new file was there when it was synced. */
const listings: string[][] = [];
jest.mock('./fsync-dir', () => {
  const actual = jest.requireActual('./fsync-dir');
  const { readdirSync } = jest.requireActual('node:fs');
  return {
    fsyncDir: jest.fn((p: string) => {
      listings.push(readdirSync(p));
      return actual.fsyncDir(p);
    }),
  };
});

const spy = fsyncDir as jest.MockedFunction<typeof fsyncDir>;
const callsFor = (path: string) => spy.mock.calls.filter(([p]) => p === path).length;

beforeEach(() => {
  spy.mockClear();
  listings.length = 0;
});

describe('directory fsync', () => {
  it('syncs the parent of a new partition dir, and the dir after partition.metadata, a new segment and a checkpoint rename', () =>
    withTempDir(async (root) => {
      const dir = join(root, 't-0');
      const log = await PartitionLog.open(dir, { fsync: 'always', topicId: '0f8fad5b-d9cb-469f-a165-70867728950e', segmentBytes: 400 });
      expect(callsFor(root)).toBe(1); // the partition dir's entry
      const afterOpen = callsFor(dir);
      expect(afterOpen).toBeGreaterThanOrEqual(1); // partition.metadata renamed in

      await log.append(await testBatch({ records: 3, valueBytes: 100, tag: 'a' }), { leaderEpoch: 0 });
      const afterFirst = callsFor(dir);
      expect(afterFirst).toBeGreaterThan(afterOpen); // the first segment's files
      await log.append(await testBatch({ records: 3, valueBytes: 100, tag: 'b' }), { leaderEpoch: 0 });
      expect(log.segmentList().length).toBe(2);
      const afterRoll = callsFor(dir);
      expect(afterRoll).toBeGreaterThan(afterFirst);
      // The rolled-to segment's file existed when its directory was synced, before the append returned.
      const second = log.segmentList()[1]!.paths.log.split('/').pop()!;
      expect(listings.some((l) => l.includes(second))).toBe(true);

      await log.assignLeaderEpoch(3, log.logEndOffset);
      await log.flush();
      expect(callsFor(dir)).toBeGreaterThan(afterRoll); // leader-epoch-checkpoint renamed in
      await log.close();
    }));

  it('issues none with log.flush.policy=never', () =>
    withTempDir(async (root) => {
      const dir = join(root, 't-0');
      const log = await PartitionLog.open(dir, { fsync: 'never', topicId: '0f8fad5b-d9cb-469f-a165-70867728950e', segmentBytes: 400 });
      await log.append(await testBatch({ records: 3, valueBytes: 100, tag: 'a' }), { leaderEpoch: 0 });
      await log.assignLeaderEpoch(3, log.logEndOffset);
      expect(spy).not.toHaveBeenCalled();
      await log.close(); // a clean close syncs the log to its end, whatever the policy
    }));

  it('is a no-op error-free call on a real directory', () => withTempDir(async (root) => {
    await expect(jest.requireActual<typeof import('./fsync-dir')>('./fsync-dir').fsyncDir(root)).resolves.toBeUndefined();
  }));
});
