import {
  cleanableRange,
  CleaningAborted,
  compactLog,
  isCleanable,
  isLogError,
  OffsetMap,
  type CleanableRange,
  type CompactionSettings,
  type CompactionStats,
} from '@dms/log';
import type { Logger } from '@dms/platform';
import { CleanerThrottle } from './cleaner-throttle';
import { COMPACTION_DEFAULTS, topicCompaction } from './compaction-settings';
import { hwKey, readOffsetCheckpoint, writeOffsetCheckpoint } from './hw-checkpoint';
import { LogDirSet } from './log-dir-set';
import type { PartitionReplica } from './partition-replica';
import type { ReplicaManager } from './replica-manager';

/** Kafka's name for the per-log-dir file of where each compacted log's dirty section starts. */
export const CLEANER_CHECKPOINT_FILE = 'cleaner-offset-checkpoint';

export interface LogCleanerOptions {
  logDir: string;
  /** Every log dir (log.dirs), each with its own checkpoint file; default: `logDir` alone. */
  logDirSet?: LogDirSet;
  /** log.cleaner.threads: rounds that may run at once, each with its share of the buffer. */
  threads: number;
  /** log.cleaner.backoff.ms: the pause after a pass that found nothing to clean. */
  backoffMs: number;
  /** log.cleaner.dedupe.buffer.size: memory for the offset maps of all threads. */
  dedupeBufferSize: number;
  /** log.cleaner.io.max.bytes.per.second over all threads; absent or 0: unlimited. */
  ioMaxBytesPerSecond?: number;
  /** log.index.interval.bytes of the cleaned segments' offset indexes. */
  indexIntervalBytes: number;
  /** Settings for topic configs that are absent (Kafka's defaults, the broker's segment size). */
  defaults?: CompactionSettings;
  logger: Logger;
  now?: () => number;
}

/** Totals since start, for metrics and the benchmark. */
export interface CleanerTotals {
  rounds: number;
  bytesRead: number;
  bytesWritten: number;
  recordsRead: number;
  recordsKept: number;
  busyMs: number;
}

interface Candidate {
  replica: PartitionReplica;
  range: CleanableRange;
  settings: CompactionSettings;
  sweep: boolean;
}

/**
 * Kafka's LogCleaner on one broker: every replica here compacts its own log (leader or follower),
 * for partitions whose cleanup.policy holds `compact`. Each pass picks the filthiest cleanable log
 * (dirty ratio above min.cleanable.dirty.ratio, or due by max.compaction.lag.ms), runs one round
 * (cleaner/log-compactor.ts in @dms/log) and records where its dirty section now starts in the log
 * dir's cleaner-offset-checkpoint, so a restart does not recompact from scratch. Appends and reads
 * never wait for it: the log swaps cleaned segments in under its own serialization.
 *
 * Beyond Kafka: a quiet log whose kept tombstones passed their delete horizon is swept without
 * waiting for new writes (horizons are remembered in memory only, so not across restarts).
 */
export class LogCleaner {
  private checkpoints = new Map<string, bigint>();
  private readonly inProgress = new Set<PartitionReplica>();
  private readonly uncleanable = new WeakSet<PartitionReplica>();
  private readonly horizons = new WeakMap<PartitionReplica, number>();
  private readonly topicIds = new Map<string, string>();
  private workers: Promise<void>[] = [];
  private stopped = false;
  private wake: (() => void)[] = [];
  private checkpointWrite: Promise<void> = Promise.resolve();
  private readonly throttle: CleanerThrottle;
  private readonly dirs: LogDirSet;
  readonly totals: CleanerTotals = { rounds: 0, bytesRead: 0, bytesWritten: 0, recordsRead: 0, recordsKept: 0, busyMs: 0 };

  constructor(
    private readonly replicas: ReplicaManager,
    private readonly opts: LogCleanerOptions,
  ) {
    this.throttle = new CleanerThrottle(opts.ioMaxBytesPerSecond ?? 0);
    this.dirs = opts.logDirSet ?? new LogDirSet([opts.logDir]);
  }

  private get now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  async start(): Promise<void> {
    this.checkpoints = await this.dirs.readCheckpoints((dir) => readOffsetCheckpoint(dir, CLEANER_CHECKPOINT_FILE));
    const threads = Math.max(1, this.opts.threads);
    const share = Math.floor(this.opts.dedupeBufferSize / threads);
    for (let i = 0; i < threads; i++) this.workers.push(this.loop(new OffsetMap(share)));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.wake.splice(0)) w();
    await Promise.all(this.workers);
    await this.checkpointWrite;
  }

  /** The checkpointed start of a partition's dirty section, if any. */
  checkpoint(topic: string, partition: number): bigint | undefined {
    return this.checkpoints.get(hwKey(topic, partition));
  }

  private async loop(map: OffsetMap): Promise<void> {
    while (!this.stopped) {
      let cleaned = false;
      try {
        cleaned = await this.cleanFilthiest(map);
      } catch (err) {
        this.opts.logger.error({ err }, 'log cleaner pass failed');
      }
      if (!cleaned && !this.stopped) await this.sleep(this.opts.backoffMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(1, ms));
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake.push(done);
    });
  }

  /** One pass: cleans the filthiest log; false when none needed it. */
  async cleanFilthiest(map: OffsetMap): Promise<boolean> {
    const chosen = await this.choose();
    // Another thread may have picked the same log while this one was measuring: checked and
    // claimed with no await between, so two rounds never write the same log's cleaned files.
    if (!chosen || this.inProgress.has(chosen.replica)) return false;
    const { replica: r, range, settings, sweep } = chosen;
    this.inProgress.add(r);
    const started = Date.now();
    const now = this.now;
    try {
      const stats = await compactLog(r.log, map, range, settings, now, {
        indexIntervalBytes: this.opts.indexIntervalBytes,
        sweepTombstones: sweep,
        throttle: this.throttle.unlimited ? undefined : (bytes) => this.throttle.maybeThrottle(bytes),
        shouldAbort: () => this.stopped || this.replicas.getNow(r.topic, r.partition) !== r,
      });
      this.record(r, range, stats, Date.now() - started, sweep);
      await this.saveCheckpoint(r, stats.endOffset > range.firstDirtyOffset ? stats.endOffset : range.firstDirtyOffset);
    } catch (err) {
      const gone = this.stopped || this.replicas.getNow(r.topic, r.partition) !== r;
      if (gone || err instanceof CleaningAborted || isLogError(err, 'offset-out-of-range') || isLogError(err, 'closed')) {
        this.opts.logger.info({ topic: r.topic, partition: r.partition, reason: (err as Error).message }, 'log cleaning aborted; will retry');
      } else {
        // Kafka marks such a partition uncleanable rather than failing on it forever.
        this.uncleanable.add(r);
        this.opts.logger.error({ err, topic: r.topic, partition: r.partition }, 'log cleaning failed; partition marked uncleanable');
      }
    } finally {
      this.inProgress.delete(r);
      this.totals.busyMs += Date.now() - started;
    }
    return true;
  }

  private async choose(): Promise<Candidate | undefined> {
    const now = this.now;
    let best: Candidate | undefined;
    let sweep: Candidate | undefined;
    for (const r of [...this.replicas.all()]) {
      if (this.stopped) return undefined;
      if (this.inProgress.has(r) || this.uncleanable.has(r)) continue;
      const { compact, settings } = topicCompaction(r.configs, this.opts.defaults ?? COMPACTION_DEFAULTS);
      if (!compact) continue;
      const key = hwKey(r.topic, r.partition);
      if (this.topicIds.get(key) !== r.topicId) {
        // A topic deleted and created again under the same name starts from a clean slate.
        if (this.topicIds.has(key)) this.checkpoints.delete(key);
        this.topicIds.set(key, r.topicId);
      }
      let range: CleanableRange;
      try {
        range = await cleanableRange(r.log, this.checkpoints.get(key), settings, now);
      } catch (err) {
        this.opts.logger.warn({ err, topic: r.topic, partition: r.partition }, 'could not measure a compacted log');
        continue;
      }
      if (range.checkpointReset) await this.saveCheckpoint(r, range.firstDirtyOffset);
      if (isCleanable(range, settings)) {
        if (!best || range.ratio > best.range.ratio) best = { replica: r, range, settings, sweep: false };
      } else if (!sweep && (this.horizons.get(r) ?? Infinity) <= now) {
        sweep = { replica: r, range, settings, sweep: true };
      }
    }
    return best ?? sweep;
  }

  private record(r: PartitionReplica, range: CleanableRange, stats: CompactionStats, ms: number, sweep: boolean): void {
    const t = this.totals;
    t.rounds++;
    t.bytesRead += stats.bytesRead;
    t.bytesWritten += stats.bytesWritten;
    t.recordsRead += stats.recordsRead;
    t.recordsKept += stats.recordsKept;
    if (stats.nextDeleteHorizonMs !== undefined) this.horizons.set(r, stats.nextDeleteHorizonMs);
    else this.horizons.delete(r);
    this.opts.logger.info(
      {
        topic: r.topic,
        partition: r.partition,
        sweep,
        dirtyRatio: Number(range.ratio.toFixed(3)),
        firstDirtyOffset: String(range.firstDirtyOffset),
        endOffset: String(stats.endOffset),
        segmentsReplaced: stats.segmentsReplaced,
        bytesRead: stats.bytesRead,
        bytesWritten: stats.bytesWritten,
        recordsRead: stats.recordsRead,
        recordsKept: stats.recordsKept,
        ms,
      },
      'cleaned compacted log',
    );
  }

  /** Updates one entry and rewrites the file; entries of partitions gone from this dir are dropped. */
  private saveCheckpoint(r: PartitionReplica, offset: bigint): Promise<void> {
    this.checkpoints.set(hwKey(r.topic, r.partition), offset);
    const write = async () => {
      const entries: { topic: string; partition: number; offset: bigint }[] = [];
      for (const [key, value] of this.checkpoints) {
        const [topic, partition] = key.split('\0') as [string, string];
        const here = this.replicas.getNow(topic, Number(partition)) ?? this.dirs.locate(topic, Number(partition)) !== undefined;
        if (here) entries.push({ topic, partition: Number(partition), offset: value });
        else this.checkpoints.delete(key);
      }
      await this.dirs.writeCheckpoints(entries, (dir, es) => writeOffsetCheckpoint(dir, CLEANER_CHECKPOINT_FILE, es), (dir, err) => {
        this.opts.logger.warn({ err, logDir: dir }, 'could not write the cleaner offset checkpoint');
      });
    };
    this.checkpointWrite = this.checkpointWrite.then(write, write).catch((err) => {
      this.opts.logger.warn({ err }, 'could not write the cleaner offset checkpoint');
    });
    return this.checkpointWrite;
  }
}
