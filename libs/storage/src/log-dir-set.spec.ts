import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readHwCheckpoint, writeHwCheckpoint } from './hw-checkpoint';
import { LogDirSet, parseLogDirs } from './log-dir-set';

describe('LogDirSet', () => {
  let root: string;
  let a: string;
  let b: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'log-dir-set-'));
    a = join(root, 'a');
    b = join(root, 'b');
    mkdirSync(a);
    mkdirSync(b);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('finds existing partitions where they are and places new ones in the dir with the fewest partitions', () => {
    mkdirSync(join(a, 't-0'));
    mkdirSync(join(a, 't-1'));
    mkdirSync(join(b, 'u-0'));
    const set = new LogDirSet([a, b]);
    expect(set.scan()).toEqual([]);
    expect(set.dirOf('t', 1)).toBe(a);
    expect(set.dirOf('u', 0)).toBe(b);
    // a holds 2, b holds 1: the next goes to b; then ties go to the first listed.
    expect(set.pathOf('v', 0)).toBe(join(b, 'v-0'));
    expect(set.dirOf('v', 1)).toBe(a);
    expect(set.dirOf('v', 2)).toBe(b);
    expect(set.dirOf('v', 0)).toBe(b); // placed once, stays
    expect(set.counts()).toEqual(new Map([[a, 3], [b, 3]]));
  });

  it('never places a new replica on an offline dir, and reports a partition present in two dirs', () => {
    mkdirSync(join(a, 't-0'));
    mkdirSync(join(b, 't-0'));
    const offline = new Set([a]);
    const set = new LogDirSet([a, b], (d) => offline.has(d));
    expect(set.scan()).toEqual([{ name: 't-0', kept: a, ignored: b }]);
    expect(set.dirOf('t', 0)).toBe(a); // where it is, even offline: its replica is then offline
    expect(set.dirOf('n', 0)).toBe(b);
    expect(set.dirOf('n', 1)).toBe(b);
    offline.add(b);
    expect(set.dirOf('n', 2)).toBe(a); // none online: the first dir, whose replica stays offline
  });

  it('keeps one checkpoint file per dir with its own partitions and reads them back together', async () => {
    mkdirSync(join(a, 't-0'));
    mkdirSync(join(b, 't-1'));
    const set = new LogDirSet([a, b]);
    set.scan();
    const errors: string[] = [];
    await set.writeCheckpoints(
      [{ topic: 't', partition: 0, offset: 5n }, { topic: 't', partition: 1, offset: 7n }, { topic: 'gone', partition: 0, offset: 1n }],
      (dir, es) => writeHwCheckpoint(dir, es),
      (dir) => errors.push(dir),
    );
    expect(errors).toEqual([]);
    expect([...(await readHwCheckpoint(a)).values()]).toEqual([5n, 1n]);
    expect([...(await readHwCheckpoint(b)).values()]).toEqual([7n]);
    expect((await set.readCheckpoints((d) => readHwCheckpoint(d))).size).toBe(3);
    // An offline dir is neither written nor read.
    const offline = new LogDirSet([a, b], (d) => d === b);
    expect((await offline.readCheckpoints((d) => readHwCheckpoint(d))).size).toBe(2);
  });

  it('parses log.dirs (comma-separated) before log.dir', () => {
    expect(parseLogDirs(' /x , /y,', '/z', '/d')).toEqual(['/x', '/y']);
    expect(parseLogDirs('', '/z', '/d')).toEqual(['/z']);
    expect(parseLogDirs('', '', '/d')).toEqual(['/d']);
  });
});
