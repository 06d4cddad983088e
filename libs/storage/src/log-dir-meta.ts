import { randomUUID } from 'node:crypto';
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir } from '@dms/log';

/** Kafka's `meta.properties`: which cluster and which broker a log dir belongs to. */
export const META_PROPERTIES_FILE = 'meta.properties';

export interface LogDirMeta {
  clusterId: string;
  nodeId: number;
  /** Kafka's directory.id: a random Uuid in unpadded base64url, fixed for the dir's life. */
  directoryId: string;
}

/** A log dir that does not belong here: the broker refuses to start and says why. */
export class LogDirMetaError extends Error {
  override readonly name = 'LogDirMetaError';
}

/** Kafka's properties text: `version=1`, `cluster.id`, `node.id`, `directory.id`. */
export function encodeMetaProperties(meta: LogDirMeta): string {
  return ['#', `#${new Date().toUTCString()}`, `cluster.id=${meta.clusterId}`, `directory.id=${meta.directoryId}`, `node.id=${meta.nodeId}`, 'version=1', ''].join('\n');
}

export function parseMetaProperties(text: string, where: string): LogDirMeta {
  const props = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('!')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new LogDirMetaError(`${where}: malformed line '${line.slice(0, 80)}'`);
    props.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  const version = props.get('version');
  if (version !== '1') throw new LogDirMetaError(`${where}: unsupported version '${version ?? ''}' (expected 1)`);
  const clusterId = props.get('cluster.id');
  const nodeId = props.get('node.id');
  const directoryId = props.get('directory.id') ?? '';
  if (!clusterId) throw new LogDirMetaError(`${where}: no cluster.id`);
  if (!nodeId || !/^\d{1,10}$/.test(nodeId)) throw new LogDirMetaError(`${where}: no valid node.id`);
  return { clusterId, nodeId: Number(nodeId), directoryId };
}

/** A new directory id like Kafka's Uuid.randomUuid().toString(): 16 random bytes, base64url. */
export function newDirectoryId(): string {
  return Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url');
}

export async function readLogDirMeta(logDir: string): Promise<LogDirMeta | undefined> {
  const path = join(logDir, META_PROPERTIES_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return parseMetaProperties(text, path);
}

/** Temp file, fsync, rename, fsync of the dir: a crash leaves no file or the whole file. */
export async function writeLogDirMeta(logDir: string, meta: LogDirMeta): Promise<void> {
  const path = join(logDir, META_PROPERTIES_FILE);
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(encodeMetaProperties(meta));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  await fsyncDir(logDir);
}

export interface EnsureLogDirMetaOptions {
  logDir: string;
  brokerId: number;
  /** The cluster id etcd holds now (undefined: none yet). */
  clusterId: () => string | undefined;
  /** Resolves when etcd's cluster id may have changed (a view change), or after at most `ms`. */
  changed: (ms: number) => Promise<void>;
  /** How long to wait for etcd to hold a cluster id. */
  waitMs: number;
  onWait?: (meta: LogDirMeta | undefined) => void;
}

/**
 * Kafka's start-up check of a log dir. A dir with meta.properties belongs to the cluster and
 * node named there: a broker configured with another id, or an etcd holding another cluster id,
 * refuses to start (its data is not this cluster's; serving or deleting it would be wrong). An
 * etcd holding no cluster id is waited for and, if it stays empty, refused as well: an etcd that
 * lost its data must be restored, not silently replaced. A dir without the file gets one with
 * etcd's cluster id (a new dir, or one written before the file existed).
 */
export async function ensureLogDirMeta(opts: EnsureLogDirMetaOptions): Promise<LogDirMeta> {
  const { logDir, brokerId } = opts;
  const path = join(logDir, META_PROPERTIES_FILE);
  const meta = await readLogDirMeta(logDir);
  if (meta && meta.nodeId !== brokerId) {
    throw new LogDirMetaError(
      `log dir ${logDir} belongs to node.id ${meta.nodeId} (${path}) but this broker is ${brokerId}; refusing to start. Configure broker.id=${meta.nodeId} or point log.dirs at this broker's own dir.`,
    );
  }
  const deadline = Date.now() + opts.waitMs;
  let clusterId = opts.clusterId();
  if (!clusterId) opts.onWait?.(meta);
  while (!clusterId && Date.now() < deadline) {
    await opts.changed(Math.min(500, Math.max(1, deadline - Date.now())));
    clusterId = opts.clusterId();
  }
  if (!clusterId) {
    throw new LogDirMetaError(
      meta
        ? `etcd holds no cluster id after ${opts.waitMs} ms, but log dir ${logDir} belongs to cluster ${meta.clusterId}; refusing to start. If etcd lost its data, restore it from a backup.`
        : `etcd holds no cluster id after ${opts.waitMs} ms (no controller has created one); refusing to start.`,
    );
  }
  if (meta) {
    if (meta.clusterId !== clusterId) {
      throw new LogDirMetaError(
        `log dir ${logDir} belongs to cluster ${meta.clusterId} (${path}) but etcd holds cluster id ${clusterId}; refusing to start. ` +
          'The etcd was wiped or replaced: restore its data, or move this log dir away if it really belongs to another cluster.',
      );
    }
    return meta;
  }
  const fresh: LogDirMeta = { clusterId, nodeId: brokerId, directoryId: newDirectoryId() };
  await writeLogDirMeta(logDir, fresh);
  return fresh;
}
