// The mutable state of one partition log, shared by the modules that make up PartitionLog
// (loader, appends, reads, truncation, flushing, segment replacement). Internal to libs/log.
import { findOffsetByTimestamp as codecFindOffsetByTimestamp } from '@dms/kafka-codec';
import { FlushPolicy } from './flush-policy';
import { KeyIndexer } from './key-index/key-indexer';
import { type EpochEntry, LeaderEpochCache } from './leader-epoch-cache';
import type { FindOffsetByTimestamp, ResolvedLogConfig } from './log-config';
import { LogError } from './log-error';
import { persistEpochsIfDirty } from './epoch-checkpoint';
import { segmentRolled } from './log-flush';
import { ProducerStateManager } from './producer-state/producer-state-manager';
import { ProducerSnapshots } from './producer-state/snapshots';
import { RecoveryPoint } from './recovery-point';
import type { Segment } from './segment';
import { drawJitter } from './segment-list';
import { WriteQueue } from './write-queue';

export class LogState {
  /** Oldest first, the last one active. Replaced (not mutated) by a cleaner swap or a full truncation. */
  segments: Segment[];
  /** Next offset to hand out: past `writtenEnd` while writes are queued. */
  nextOffset: bigint;
  /** Next offset after the last batch whose write completed. */
  writtenEnd: bigint;
  startOffset: bigint;
  hw: bigint;
  readonly epochs: LeaderEpochCache;
  readonly queue: WriteQueue;
  epochsDirty = false;
  epochWrite: Promise<void> = Promise.resolve();
  closed = false;
  /** A truncation or reset holds the log: appends fail with 'busy'. */
  exclusive = false;
  /** A cleaner swap in progress (replaceSegments): truncation and segment deletion wait for it. */
  swapping: Promise<unknown> | undefined;
  /** Truncations so far: a cleaning that read segments before one must not swap its result in. */
  truncations = 0;
  readonly findInBatch: FindOffsetByTimestamp;
  /** This log's draw from segment.jitter.ms (Kafka draws one per segment; one per log suffices). */
  rollJitterMs = 0;
  readonly flushPolicy: FlushPolicy;
  /** Kafka's recovery point: below it the log is on stable storage (see recovery-point.ts). */
  readonly recovery: RecoveryPoint;
  rollSyncs: Promise<void> = Promise.resolve();
  /** Producer ids, their sequences and open transactions (see producer-state/). */
  readonly producers = new ProducerStateManager();
  readonly snapshots: ProducerSnapshots;
  /** False while producer state is (re)loading or after a load failed: no snapshot may capture it then. */
  producerStateLoaded = false;
  /** Key hash -> batches, per segment (see key-index/); `keyIndex.enabled` follows the topic config. */
  readonly keyIndex: KeyIndexer;

  constructor(
    readonly dir: string,
    readonly config: ResolvedLogConfig,
    segments: Segment[],
    epochs: EpochEntry[],
    readonly topicId: string | undefined,
  ) {
    this.segments = segments;
    const active = segments[segments.length - 1]!;
    this.nextOffset = this.writtenEnd = active.writtenEnd;
    this.startOffset = maxBig(segments[0]!.baseOffset, minBig(config.logStartOffset ?? 0n, this.nextOffset));
    this.hw = this.startOffset;
    this.epochs = new LeaderEpochCache(epochs);
    this.findInBatch = config.findOffsetByTimestamp ?? codecFindOffsetByTimestamp;
    this.queue = new WriteQueue({
      fsync: config.fsync === 'always',
      afterCycle: () => persistEpochsIfDirty(this),
      onFailure: (err) => config.onStorageError?.(err, dir),
      onWritten: (end, segment) => {
        if (end > this.writtenEnd) this.writtenEnd = end;
        this.flushPolicy.segmentWritten(segment);
        // With fsync every cycle is synced before it completes (and open synced what it recovered).
        if (config.fsync === 'always') this.recovery.flushedTo(end);
      },
      onSealed: (segment) => segmentRolled(this, segment),
      pageCache: config.pageCacheWrites,
      onSlowWrites: (ms, backoffMs) =>
        config.logger('warn', 'page-cache writes are slow (the kernel is throttling writers); writing through the thread pool for a while', {
          dir, writeMs: Math.round(ms), forMs: backoffMs,
        }),
    });
    this.flushPolicy = new FlushPolicy(
      () => this.config,
      (err) => this.config.logger('warn', 'scheduled flush failed', { dir: this.dir, err: err.message }),
    );
    this.snapshots = new ProducerSnapshots(dir, config.fsync === 'always', config.logger);
    // The loader verified and synced everything past the owner's recovery point, or trusted a clean close.
    this.recovery = new RecoveryPoint(this.writtenEnd);
    active.keepTail(config.tailCacheBytes, config.tailCacheBudget);
    this.rollJitterMs = drawJitter(config);
    this.keyIndex = new KeyIndexer({ segments: () => this.segments, fsync: config.fsync === 'always', logger: config.logger });
    this.keyIndex.enabled = config.keyIndex;
  }

  checkOpen(): void {
    if (this.closed) throw new LogError('closed', `log ${this.dir} is closed`);
  }

  checkWritable(): void {
    this.checkOpen();
    if (this.queue.failure) throw this.queue.failure;
    if (this.exclusive) throw new LogError('busy', `log ${this.dir} is being truncated`);
  }

  /** Waits for a cleaner swap in progress; callers then change the segment list synchronously. */
  async swapSettled(): Promise<void> {
    while (this.swapping) await this.swapping.catch(() => undefined);
  }
}

export function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

export function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
