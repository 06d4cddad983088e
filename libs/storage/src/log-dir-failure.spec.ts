import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterView, PartitionState } from '@dms/cluster';
import { LogError } from '@dms/log';
import { isDiskError, LogDirFailures, type OfflineMarks } from './log-dir-failure';

const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined } as never;
const state = (replicas: number[]): PartitionState => ({ replicas, leader: replicas[0]!, leaderEpoch: 0, isr: replicas, partitionEpoch: 0 });

/** What LogDirFailures reads of etcd's view: partition assignments, and change events. */
class Assignments extends EventEmitter {
  parts: Array<{ topic: string; partition: number; state: PartitionState }> = [];
  allPartitions() {
    return this.parts;
  }
}

describe('isDiskError', () => {
  it('recognises the errno of a failing device, also as the cause of a log error', () => {
    const enospc = Object.assign(new Error('no space'), { code: 'ENOSPC' });
    expect(isDiskError(enospc)).toBe(true);
    expect(isDiskError(new LogError('storage', 'log write failed', { cause: Object.assign(new Error('io'), { code: 'EIO' }) }))).toBe(true);
    expect(isDiskError(Object.assign(new Error('missing'), { code: 'ENOENT' }))).toBe(false);
    expect(isDiskError(new LogError('corrupt', 'bad checkpoint'))).toBe(false);
    expect(isDiskError(undefined)).toBe(false);
  });
});

describe('LogDirFailures', () => {
  let root: string;
  let a: string;
  let b: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'log-dir-failure-'));
    a = join(root, 'a');
    b = join(root, 'b');
    mkdirSync(a);
    mkdirSync(b);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function setup() {
    const view = new Assignments();
    view.parts = [
      { topic: 't', partition: 0, state: state([1, 2, 3]) },
      { topic: 't', partition: 1, state: state([2, 3, 1]) },
      { topic: 'u', partition: 0, state: state([1, 2, 3]) },
      { topic: 'v', partition: 0, state: state([2, 3, 4]) }, // not ours
    ];
    const published: OfflineMarks[] = [];
    const dropped: string[] = [];
    let reopened = 0;
    const failures = new LogDirFailures({
      brokerId: 1,
      logDirs: [a, b],
      view: view as unknown as ClusterView,
      dirOf: (topic) => (topic === 't' ? a : b),
      dropReplicasIn: async (dir) => {
        dropped.push(dir);
        return 2;
      },
      reopen: () => reopened++,
      publish: async (marks) => void published.push(marks),
      logger: quiet,
    });
    return { view, failures, published, dropped, reopened: () => reopened };
  }

  it('takes the failing dir offline once: its replicas are dropped and named in the registration', async () => {
    const { failures, published, dropped } = setup();
    const err = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    failures.logFailed(err, join(a, 't-0'));
    failures.logFailed(err, join(a, 't-1'));
    failures.fail(join(root, 'elsewhere'), err); // not a log dir of ours: ignored
    await new Promise((r) => setImmediate(r));
    expect(dropped).toEqual([a]);
    expect(published).toEqual([{ offlineLogDirs: [a], offlineReplicas: { t: [0, 1] } }]);
    expect(failures.isOffline(a)).toBe(true);
    expect(failures.isOffline(b)).toBe(false);
    expect(failures.partitionOffline('t', 1)).toBe(true);
    expect(failures.partitionOffline('u', 0)).toBe(false);
    expect(failures.offlineCount).toBe(1);
    failures.close();
  });

  it('names replicas assigned later to the offline dir too', async () => {
    const { view, failures, published } = setup();
    failures.fail(a, new Error('EIO'));
    await new Promise((r) => setImmediate(r));
    view.parts.push({ topic: 't', partition: 2, state: state([3, 1, 2]) });
    view.emit('change');
    await new Promise((r) => setImmediate(r));
    expect(published.at(-1)).toEqual({ offlineLogDirs: [a], offlineReplicas: { t: [0, 1, 2] } });
    failures.close();
  });

  it('brings a dir back only once it takes writes again, then reopens and clears the marks', async () => {
    const { failures, published, reopened } = setup();
    failures.fail(a, new Error('EIO'));
    await new Promise((r) => setImmediate(r));
    // The dir is gone and a file stands in its place: the probe write fails, the dir stays offline.
    rmSync(a, { recursive: true });
    writeFileSync(a, 'not a dir');
    const refused = await failures.bringOnline(a);
    expect(refused.ok).toBe(false);
    expect(failures.isOffline(a)).toBe(true);
    expect(reopened()).toBe(0);
    rmSync(a);
    mkdirSync(a);
    expect(await failures.bringOnline(a)).toEqual({ ok: true, message: `${a} is back online` });
    expect(failures.isOffline(a)).toBe(false);
    expect(reopened()).toBe(1);
    expect(published.at(-1)).toEqual({ offlineLogDirs: [], offlineReplicas: {} });
    expect((await failures.bringOnline(join(root, 'nope'))).ok).toBe(false);
    failures.close();
  });
});
