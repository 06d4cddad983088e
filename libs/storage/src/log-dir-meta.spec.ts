import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLogDirMeta, LogDirMetaError, parseMetaProperties, readLogDirMeta } from './log-dir-meta';

const ID_A = 'AAAAAAAAAAAAAAAAAAAAAA';
const ID_B = 'BBBBBBBBBBBBBBBBBBBBBB';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dms-meta-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const opts = (clusterId: string | undefined, brokerId = 1, waitMs = 50) => ({
  logDir: dir,
  brokerId,
  clusterId: () => clusterId,
  changed: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
  waitMs,
});

describe('meta.properties', () => {
  it('is written in Kafka format on a first start and read back', async () => {
    const meta = await ensureLogDirMeta(opts(ID_A, 3));
    const text = readFileSync(join(dir, 'meta.properties'), 'utf8');
    expect(text).toMatch(/^version=1$/m);
    expect(text).toMatch(new RegExp(`^cluster\\.id=${ID_A}$`, 'm'));
    expect(text).toMatch(/^node\.id=3$/m);
    expect(text).toMatch(/^directory\.id=[A-Za-z0-9_-]{22}$/m);
    expect(await readLogDirMeta(dir)).toEqual(meta);
    // Same cluster, same node: accepted, the directory id kept.
    expect(await ensureLogDirMeta(opts(ID_A, 3))).toEqual(meta);
  });

  it('refuses another cluster id in etcd, naming both', async () => {
    await ensureLogDirMeta(opts(ID_A));
    await expect(ensureLogDirMeta(opts(ID_B))).rejects.toThrow(LogDirMetaError);
    await expect(ensureLogDirMeta(opts(ID_B))).rejects.toThrow(new RegExp(`belongs to cluster ${ID_A}.*etcd holds cluster id ${ID_B}`));
  });

  it('refuses another node id', async () => {
    await ensureLogDirMeta(opts(ID_A, 1));
    await expect(ensureLogDirMeta(opts(ID_A, 2))).rejects.toThrow(/belongs to node.id 1 .* this broker is 2/);
  });

  it('refuses an etcd with no cluster id when the dir belongs to a cluster, after waiting', async () => {
    await ensureLogDirMeta(opts(ID_A));
    await expect(ensureLogDirMeta(opts(undefined))).rejects.toThrow(/etcd holds no cluster id .* belongs to cluster AAAA/);
  });

  it('waits for the cluster id to appear', async () => {
    let id: string | undefined;
    setTimeout(() => (id = ID_A), 100);
    const meta = await ensureLogDirMeta({ ...opts(undefined, 1, 10_000), clusterId: () => id });
    expect(meta.clusterId).toBe(ID_A);
  });

  it('rejects a malformed file rather than overwriting it', async () => {
    writeFileSync(join(dir, 'meta.properties'), 'version=0\ncluster.id=x\nnode.id=1\n');
    await expect(ensureLogDirMeta(opts(ID_A))).rejects.toThrow(/unsupported version/);
    expect(() => parseMetaProperties('garbage', 'f')).toThrow(LogDirMetaError);
    expect(readFileSync(join(dir, 'meta.properties'), 'utf8')).toContain('version=0');
  });
});
