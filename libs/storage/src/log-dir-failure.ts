import { open, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { ClusterView } from '@dms/cluster';
import type { Logger } from '@dms/platform';

/** What the broker's etcd registration says about its failed log dirs (see BrokerRegistration). */
export interface OfflineMarks {
  offlineLogDirs: string[];
  offlineReplicas: Record<string, number[]>;
}

export interface LogDirFailuresOptions {
  brokerId: number;
  /** This broker's log dirs (log.dirs). */
  logDirs: readonly string[];
  view: ClusterView;
  /** The log dir that holds, or would hold, a partition's log. */
  dirOf: (topic: string, partition: number) => string;
  /** Drops and closes every replica whose log is in the dir (ReplicaManager.dropReplicasIn). */
  dropReplicasIn: (dir: string) => Promise<number>;
  /** Re-applies etcd's view: replicas of a dir back online are reopened (and recovered). */
  reopen: () => void;
  /** Rewrites the broker's registration with these marks. */
  publish: (marks: OfflineMarks) => Promise<void>;
  /** Pause before retrying a registration write that failed. */
  retryMs?: number;
  logger: Logger;
}

/** Errno codes that mean the device, not the request, failed. */
const DISK_ERRNOS = new Set(['ENOSPC', 'EIO', 'EROFS', 'EDQUOT', 'ENODEV', 'ENXIO', 'EUCLEAN', 'EFBIG']);

/** Whether an error from opening or writing a log is the disk failing (then its log dir goes offline). */
export function isDiskError(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && DISK_ERRNOS.has(code)) return true;
  }
  return false;
}

/**
 * Kafka's log dir failure handling. When a write, fsync, checkpoint or open in a log dir fails
 * (ENOSPC, EIO, ...), the whole dir goes offline: every replica on it is closed (requests for them
 * answer KAFKA_STORAGE_ERROR), and the broker's etcd registration names the dir and the replicas
 * assigned to it, so the controller takes them out of the ISRs and elects other leaders, as for a
 * dead broker. The broker keeps serving its other dirs. A dir comes back through `bringOnline`
 * (an operator, once space is freed) or a restart; its replicas then reopen through recovery and
 * rejoin the ISRs as followers that catch up.
 */
export class LogDirFailures {
  /** The configured dirs as absolute paths: every path given to this class is compared resolved. */
  private readonly dirs: readonly string[];
  private readonly offline = new Map<string, { reason: string; sinceMs: number }>();
  private published = JSON.stringify(emptyMarks());
  private publishing: Promise<void> = Promise.resolve();
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly onChange = () => {
    // New assignments to an offline dir are offline replicas too.
    if (this.offline.size > 0) void this.publishMarks();
  };

  constructor(private readonly opts: LogDirFailuresOptions) {
    this.dirs = opts.logDirs.map((d) => resolve(d));
    opts.view.on('change', this.onChange);
  }

  close(): void {
    this.closed = true;
    this.opts.view.off('change', this.onChange);
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  get offlineCount(): number {
    return this.offline.size;
  }

  isOffline(dir: string): boolean {
    return this.offline.size > 0 && this.offline.has(resolve(dir));
  }

  /** Offline dirs with the error that took each offline. */
  offlineDirs(): Array<{ dir: string; reason: string; sinceMs: number }> {
    return [...this.offline].map(([dir, v]) => ({ dir, ...v }));
  }

  /** Whether this broker's replica of the partition is on an offline dir. */
  partitionOffline(topic: string, partition: number): boolean {
    return this.isOffline(this.opts.dirOf(topic, partition));
  }

  /** A log's storage error (its onStorageError hook): the partition dir's parent is the log dir. */
  logFailed(err: Error, partitionDir: string): void {
    this.fail(dirname(partitionDir), err);
  }

  /** Takes a log dir offline (once; later failures in it change nothing). */
  fail(logDir: string, err: Error): void {
    const dir = resolve(logDir);
    if (this.closed || !this.dirs.includes(dir) || this.offline.has(dir)) return;
    this.offline.set(dir, { reason: err.message, sinceMs: Date.now() });
    this.opts.logger.error({ err, logDir: dir }, 'log dir failed: taking it offline; its replicas stop here and move to other brokers');
    void this.publishMarks();
    void this.opts.dropReplicasIn(dir).then(
      (n) => this.opts.logger.warn({ logDir: dir, replicas: n }, 'closed the replicas of the offline log dir'),
      (e: unknown) => this.opts.logger.error({ err: e, logDir: dir }, 'could not close the replicas of the offline log dir'),
    );
  }

  /**
   * Brings an offline dir back once it takes writes again (a probe file is written, fsynced and
   * removed first): its replicas reopen, run recovery, and rejoin as followers.
   */
  async bringOnline(logDir: string): Promise<{ ok: boolean; message: string }> {
    const dir = resolve(logDir);
    if (!this.dirs.includes(dir)) return { ok: false, message: `${dir} is not a log dir of this broker` };
    if (!this.offline.has(dir)) return { ok: true, message: `${dir} is online` };
    try {
      await probeWritable(dir);
    } catch (err) {
      return { ok: false, message: `${dir} still fails writes: ${(err as Error).message}` };
    }
    this.offline.delete(dir);
    this.opts.logger.info({ logDir: dir }, 'log dir back online: reopening its replicas');
    this.opts.reopen();
    await this.publishMarks();
    return { ok: true, message: `${dir} is back online` };
  }

  /** The registration fields as of now. */
  marks(): OfflineMarks {
    const marks = emptyMarks();
    if (this.offline.size === 0) return marks;
    marks.offlineLogDirs = [...this.offline.keys()].sort();
    for (const { topic, partition, state } of this.opts.view.allPartitions()) {
      if (!state.replicas.includes(this.opts.brokerId) || !this.partitionOffline(topic, partition)) continue;
      (marks.offlineReplicas[topic] ??= []).push(partition);
    }
    for (const ps of Object.values(marks.offlineReplicas)) ps.sort((a, b) => a - b);
    return marks;
  }

  /** The registration now carries these marks (the broker registered with them). */
  markPublished(marks: OfflineMarks): void {
    this.published = JSON.stringify(marks);
  }

  /** Writes the marks into the registration when they changed; retries until etcd takes them. */
  private publishMarks(): Promise<void> {
    this.publishing = this.publishing.then(async () => {
      if (this.closed) return;
      const marks = this.marks();
      const text = JSON.stringify(marks);
      if (text === this.published) return;
      try {
        await this.opts.publish(marks);
        this.published = text;
      } catch (err) {
        this.opts.logger.warn({ err }, 'could not record the offline log dirs in etcd; retrying');
        if (!this.retryTimer && !this.closed) {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            void this.publishMarks();
          }, this.opts.retryMs ?? 1_000);
          this.retryTimer.unref();
        }
      }
    });
    return this.publishing;
  }
}

function emptyMarks(): OfflineMarks {
  return { offlineLogDirs: [], offlineReplicas: {} };
}

/** Writes, fsyncs and removes a small file: the dir takes writes again. */
async function probeWritable(dir: string): Promise<void> {
  const path = join(dir, '.log-dir-probe');
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(Buffer.alloc(64 << 10));
    await fh.sync();
  } finally {
    await fh.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
  }
}

