import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ATTR_TIMESTAMP_TYPE,
  BATCH,
  BATCH_HEADER_SIZE,
  BATCH_LOG_OVERHEAD,
  findOffsetByTimestamp as codecFindOffsetByTimestamp,
  rewriteBatchCrc,
  validateBatches,
} from '@dms/kafka-codec';
import { type BatchInfo, batchInfoAt, hasTrustedMaxTimestamp } from './batch-scan';
import { writeCheckpointFile } from './file-io';
import { checkTopicId, createPartitionDir } from './log-files';
import { loadLeaderEpochs } from './leader-epoch-rebuild';
import { RecoveryPoint } from './recovery-point';
import { fsyncDir } from './fsync-dir';
import { loadSegments } from './segment-loader';
import { LEADER_EPOCH_CHECKPOINT } from './file-names';
import { FlushPolicy } from './flush-policy';
import { type EpochEntry, LeaderEpochCache } from './leader-epoch-cache';
import {
  type FindOffsetByTimestamp,
  type LogConfig,
  type MutableLogSettings,
  type ResolvedLogConfig,
  resolveLogConfig,
  resolveMutable,
} from './log-config';
import { LogError } from './log-error';
import { Segment } from './segment';
import { discardCleaned, recoverInterruptedSwaps, swapInCleaned, SwapIncomplete } from './cleaner/segment-swap';
import { searchSegments, type TimestampOffset } from './timestamp-search';
import { ioMessage, type QueueItem, WriteQueue } from './write-queue';
import { producerFieldsAt } from './producer-state/batch-producer-fields';
import { buildMarkerBatch, planProducerAppend } from './producer-state/leader-append';
import { type AppendOrigin, ProducerStateManager } from './producer-state/producer-state-manager';
import { abortedEntry, applyBatch, collectAborted, replaySegments } from './producer-state/replay';
import { ProducerSnapshots } from './producer-state/snapshots';
import { KeyIndexer } from './key-index/key-indexer';
import type { AbortedTxn } from './txn-index';
import type { ReadBufferPool } from './read-buffer-pool';

export type { TimestampOffset, AbortedTxn };

export interface AppendOptions {
  leaderEpoch: number;
  /** When set, the batches are stamped with LogAppendTime = this value. */
  logAppendTime?: bigint;
  /**
   * 'coordinator': a coordinator of this cluster writing to an internal topic, whose
   * transactional batches carry no sequence (Kafka's AppendOrigin.COORDINATOR). Default 'client'.
   */
  origin?: Exclude<AppendOrigin, 'replication'>;
}

export interface AppendResult {
  baseOffset: bigint;
  lastOffset: bigint;
  /** -1 unless the batches were stamped with LogAppendTime. */
  logAppendTime: bigint;
  logStartOffset: bigint;
  /** The append repeated one of its producer's last five batches: nothing was written, the offsets are the original's. */
  duplicate?: boolean;
}

/** An end-transaction marker for appendControl (WriteTxnMarkers). */
export interface TxnMarker {
  producerId: bigint;
  producerEpoch: number;
  committed: boolean;
  coordinatorEpoch: number;
}

export interface ReadOptions {
  /** Exclusive: batches reaching this offset are not returned (the high watermark). */
  upperBound: bigint;
  /** Return the first batch even when it alone exceeds maxBytes. */
  minOneBatch: boolean;
  /**
   * Disk reads, and in-memory tail reads that span several tail blocks, go into buffers leased
   * from this pool; the caller releases `records` (any view of it) once its bytes are copied out.
   * A tail read within one block is a view of the block, not leased (releasing it is a no-op).
   */
  pool?: ReadBufferPool;
}

export interface ReadResult {
  /** Whole batches, possibly none; one contiguous slice of one segment. */
  records: Buffer;
  logStartOffset: bigint;
  logEndOffset: bigint;
  highWatermark: bigint;
}

const INT32_MAX = 0x7fffffffn;
const EMPTY = Buffer.alloc(0);

/**
 * One partition's log in Kafka's on-disk layout. Batches are opaque: the log touches only
 * their headers (offsets, leader epoch, and for LogAppendTime the timestamp and CRC).
 *
 * Offsets are assigned synchronously in call order; writes go through a group-commit
 * queue. `logEndOffset` is the end of what is written; offsets handed out but still queued
 * are past it.
 */
export class PartitionLog {
  private segments: Segment[];
  private nextOffset: bigint;
  private writtenEnd: bigint;
  private startOffset: bigint;
  private hw: bigint;
  private readonly epochs: LeaderEpochCache;
  private readonly queue: WriteQueue;
  private epochsDirty = false;
  private epochWrite: Promise<void> = Promise.resolve();
  private closed = false;
  private exclusive = false;
  /** A cleaner swap in progress (replaceSegments): truncation and segment deletion wait for it. */
  private swapping: Promise<unknown> | undefined;
  /** Truncations so far: a cleaning that read segments before one must not swap its result in. */
  private truncations = 0;
  private readonly findInBatch: FindOffsetByTimestamp;
  /** This log's draw from segment.jitter.ms (Kafka draws one per segment; one per log suffices). */
  private rollJitterMs = 0;
  private readonly flushPolicy: FlushPolicy;
  /** Kafka's recovery point: below it the log is on stable storage (see recovery-point.ts). */
  private readonly recovery: RecoveryPoint;
  private rollSyncs: Promise<void> = Promise.resolve();
  /** Producer ids, their sequences and open transactions (see producer-state/). */
  readonly producers = new ProducerStateManager();
  private readonly snapshots: ProducerSnapshots;
  /** False while producer state is (re)loading or after a load failed: no snapshot may capture it then. */
  private producerStateLoaded = false;
  /** Key hash -> batches, per segment (see key-index/); `keyIndex.enabled` follows the topic config. */
  readonly keyIndex: KeyIndexer;

  private constructor(
    readonly dir: string,
    private readonly config: ResolvedLogConfig,
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
      afterCycle: () => this.persistEpochsIfDirty(),
      onFailure: (err) => config.onStorageError?.(err, dir),
      onWritten: (end, segment) => {
        if (end > this.writtenEnd) this.writtenEnd = end;
        this.flushPolicy.segmentWritten(segment);
        // With fsync every cycle is synced before it completes (and open synced what it recovered).
        if (config.fsync === 'always') this.recovery.flushedTo(end);
      },
      onSealed: (segment) => this.segmentRolled(segment),
    });
    this.flushPolicy = new FlushPolicy(
      () => this.config,
      (err) => this.config.logger('warn', 'scheduled flush failed', { dir: this.dir, err: err.message }),
    );
    this.snapshots = new ProducerSnapshots(dir, config.fsync === 'always', config.logger);
    // The loader verified and synced everything past the owner's recovery point, or trusted a clean close.
    this.recovery = new RecoveryPoint(this.writtenEnd);
    active.keepTail(config.tailCacheBytes, config.tailCacheBudget);
    this.drawJitter();
    this.keyIndex = new KeyIndexer({ segments: () => this.segments, fsync: config.fsync === 'always', logger: config.logger });
    this.keyIndex.enabled = config.keyIndex;
  }

  /** Opens the partition directory, creating it or recovering what is there. */
  static async open(dir: string, config: LogConfig = {}): Promise<PartitionLog> {
    const cfg = resolveLogConfig(config);
    await createPartitionDir(dir, cfg.fsync === 'always');
    const topicId = await checkTopicId(dir, cfg.topicId, cfg.fsync === 'always');
    await recoverInterruptedSwaps(dir, cfg.logger);
    const segments = await loadSegments(dir, cfg);

    const { epochs, rebuilt } = await loadLeaderEpochs(dir, segments, cfg.logger);
    const log = new PartitionLog(dir, cfg, segments, epochs, topicId);
    // Epochs past the recovered end or below the start describe data that is gone.
    const changedEnd = log.epochs.truncateFromEnd(log.nextOffset);
    const changedStart = log.epochs.truncateFromStart(log.startOffset);
    if (changedEnd || changedStart || rebuilt) await log.persistEpochs();
    try {
      for (const seg of segments) await seg.txnIndex.load();
      await log.loadProducerState();
    } catch (e) {
      await log.close().catch(() => {});
      throw e instanceof LogError ? e : new LogError('storage', `cannot load producer state of ${dir}: ${(e as Error).message}`, { cause: e });
    }
    log.keyIndex.buildMissing();
    log.keyIndex.startTrailing();
    return log;
  }

  /** Removes a partition directory and everything in it. */
  static async delete(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
  }

  get logStartOffset(): bigint {
    return this.startOffset;
  }

  /** Next offset after the last batch whose write completed. */
  get logEndOffset(): bigint {
    return this.writtenEnd;
  }

  get highWatermark(): bigint {
    return this.hw;
  }

  /** Owned by replication; kept within [logStartOffset, logEndOffset]. */
  set highWatermark(offset: bigint) {
    this.hw = maxBig(this.startOffset, minBig(offset, this.writtenEnd));
  }

  get leaderEpochs(): readonly EpochEntry[] {
    return this.epochs.entries;
  }

  /** Records that a new leader epoch starts at startOffset and persists the checkpoint. */
  async assignLeaderEpoch(epoch: number, startOffset: bigint): Promise<void> {
    if (this.epochs.assign(epoch, startOffset)) await this.persistEpochs();
  }

  /** Kafka's OffsetForLeaderEpoch lookup. */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: bigint } {
    return this.epochs.endOffsetFor(epoch, this.writtenEnd);
  }

  /**
   * Changes the settings a topic config may change at run time (segment.bytes, segment.ms,
   * segment.jitter.ms, file.delete.delay.ms, flush.messages, flush.ms); they apply from the next
   * append or retention check. Throws 'invalid-config' and changes nothing on a bad value.
   */
  updateSettings(changes: MutableLogSettings): void {
    const next = resolveMutable(changes, this.config);
    const jitterChanged = next.segmentJitterMs !== this.config.segmentJitterMs || next.segmentMs !== this.config.segmentMs;
    Object.assign(this.config, next);
    if (jitterChanged) this.drawJitter();
    this.flushPolicy.settingsChanged();
  }

  /** The current run-time settings (see updateSettings). */
  get settings(): Readonly<Required<{ [K in keyof MutableLogSettings]: number }>> {
    const { segmentBytes, segmentMs, segmentJitterMs, fileDeleteDelayMs, flushMessages, flushMs } = this.config;
    return { segmentBytes, segmentMs, segmentJitterMs, fileDeleteDelayMs, flushMessages, flushMs };
  }

  /**
   * The segments, oldest first, the last one active. A snapshot: retention and cleaners read
   * their facts (base offset, size, timestamps) and never change the list through it.
   */
  segmentList(): readonly Segment[] {
    return [...this.segments];
  }

  /**
   * Rolls the active segment when it holds data and has aged past segment.ms (minus jitter):
   * Kafka rolls on the next append; the retention check also calls this so an idle partition's
   * data can age out. Returns whether it rolled.
   */
  rollIfAged(nowMs: number = Date.now()): boolean {
    if (this.closed || this.exclusive || this.queue.failure) return false;
    const active = this.segments[this.segments.length - 1]!;
    if (active.isEmpty || !this.segmentAged(active, nowMs)) return false;
    active.seal();
    this.queue.push([{ kind: 'seal', segment: active }]);
    this.segments.push(this.newActiveSegment(this.nextOffset));
    this.snapshotProducers(this.nextOffset, this.queue.idle());
    return true;
  }

  /** Counters for metrics and tests. */
  stats(): { segments: number; writeCalls: number } {
    return { segments: this.segments.length, writeCalls: this.queue.writeCalls };
  }

  /** Every segment but the active one, oldest first: what the log cleaner may rewrite. */
  closedSegments(): readonly Segment[] {
    return this.segments.slice(0, -1);
  }

  /** Changes whenever the log is truncated (the cleaner checks it did not read a stale log). */
  get truncationCount(): number {
    return this.truncations;
  }

  /** Base offset of the active segment (the end of the closed ones). */
  get activeSegmentBaseOffset(): bigint {
    return this.segments[this.segments.length - 1]!.baseOffset;
  }

  /**
   * Swaps the cleaner's `.cleaned` files (named by run[0]'s base offset) in for `run`, a run of
   * consecutive closed segments, as Kafka's replaceSegments does; see cleaner/segment-swap.ts for
   * the crash-safe order. Old files are renamed `.deleted` and unlinked after deleteDelayMs; reads
   * in flight keep their descriptors. Resolves false, removing the cleaned files, when the run
   * changed meanwhile (deleted, or the log truncated since `truncationsSeen`) or the log is busy
   * or closed.
   */
  async replaceSegments(run: readonly Segment[], deleteDelayMs: number, truncationsSeen = this.truncations): Promise<boolean> {
    const stillThere = (): number => {
      const at = this.segments.indexOf(run[0]!);
      const ok = at >= 0 && at + run.length < this.segments.length && run.every((s, i) => this.segments[at + i] === s);
      return ok ? at : -1;
    };
    const changed = this.truncations !== truncationsSeen || stillThere() < 0;
    if (run.length === 0 || this.closed || this.exclusive || this.swapping || changed) {
      if (run[0]) await discardCleaned(this.dir, run[0].baseOffset);
      return false;
    }
    const nextBase = this.segments[stillThere() + run.length]!.baseOffset;
    const swap = swapInCleaned(this.dir, run, nextBase, this.config.indexIntervalBytes, deleteDelayMs).then((fresh) => {
      // Appends may have rolled new segments meanwhile; nothing else changes the list during a swap.
      const at = stillThere();
      this.segments = [...this.segments.slice(0, at), fresh, ...this.segments.slice(at + run.length)];
      if (this.closed) void fresh.close();
    }, (e: unknown) => {
      // Past the commit point the files and this log's view disagree: stop until a reopen
      // (whose recovery completes the swap), as after a failed write.
      if (e instanceof SwapIncomplete) this.queue.fail(new LogError('storage', e.message, { cause: e }));
      throw e;
    });
    this.swapping = swap;
    try {
      await swap;
      return true;
    } finally {
      this.swapping = undefined;
    }
  }

  /** Waits for a cleaner swap in progress; callers then change the segment list synchronously. */
  private async swapSettled(): Promise<void> {
    while (this.swapping) await this.swapping.catch(() => undefined);
  }

  /** Bytes on disk in all segments. */
  size(): number {
    let n = 0;
    for (const s of this.segments) n += s.writtenSize;
    return n;
  }

  /**
   * Appends producer batches: assigns offsets and the leader epoch in place, optionally
   * stamps LogAppendTime, and resolves once the bytes are written (and synced if configured).
   */
  append(batches: Buffer, opts: AppendOptions): Promise<AppendResult> {
    try {
      this.checkWritable();
      const infos = walkBatches(batches);
      const latest = this.epochs.latest();
      if (latest && opts.leaderEpoch < latest.epoch) {
        throw new LogError('fenced-leader-epoch', `leader epoch ${opts.leaderEpoch} is older than ${latest.epoch}`);
      }
      const plan = planProducerAppend(this.producers, batches, infos, opts.origin ?? 'client');
      if (plan.duplicate) return this.duplicateResult(plan.duplicate.firstOffset, plan.duplicate.lastOffset);
      const baseOffset = this.nextOffset;
      let next = baseOffset;
      for (const info of infos) {
        const at = info.position;
        const delta = info.lastOffset - info.baseOffset;
        batches.writeBigInt64BE(next, at + BATCH.baseOffset);
        batches.writeInt32BE(opts.leaderEpoch, at + BATCH.partitionLeaderEpoch);
        if (opts.logAppendTime !== undefined) {
          info.attributes |= ATTR_TIMESTAMP_TYPE;
          batches.writeInt16BE(info.attributes, at + BATCH.attributes);
          batches.writeBigInt64BE(opts.logAppendTime, at + BATCH.maxTimestamp);
          info.maxTimestamp = opts.logAppendTime;
          rewriteBatchCrc(batches, at);
        }
        info.baseOffset = next;
        info.lastOffset = next + delta;
        info.partitionLeaderEpoch = opts.leaderEpoch;
        next = info.lastOffset + 1n;
      }
      if (this.epochs.assign(opts.leaderEpoch, baseOffset)) this.epochsDirty = true;
      const written = this.enqueue(batches, infos, plan.apply);
      const logAppendTime = opts.logAppendTime ?? -1n;
      const answer = (): AppendResult => ({ baseOffset, lastOffset: next - 1n, logAppendTime, logStartOffset: this.startOffset });
      // Without flush.messages / flush.ms the completion needs no second step.
      if (!this.flushPolicy.active) return written.then(answer);
      return written.then(() => this.flushPolicy.recordsWritten(next - baseOffset)).then(answer);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Appends batches that already carry offsets and leader epochs (a follower copying its
   * leader). Offsets must start at or after the log end and strictly increase.
   */
  appendWithOffsets(batches: Buffer): Promise<{ baseOffset: bigint; lastOffset: bigint }> {
    try {
      this.checkWritable();
      const infos = walkBatches(batches);
      let expected = this.nextOffset;
      for (const info of infos) {
        if (info.baseOffset < expected) {
          throw new LogError('unexpected-offset', `batch at offset ${info.baseOffset} does not continue the log at ${expected}`);
        }
        expected = info.lastOffset + 1n;
      }
      for (const info of infos) {
        const latest = this.epochs.latest();
        if (!latest || info.partitionLeaderEpoch > latest.epoch) {
          if (this.epochs.assign(info.partitionLeaderEpoch, info.baseOffset)) this.epochsDirty = true;
        }
      }
      // Followers keep producer state as their leader wrote it, so as new leader they deduplicate.
      let aborted: AbortedTxn[] | undefined;
      const applyProducer = (i: number) => {
        const fields = producerFieldsAt(batches, infos[i]!.position);
        if (!fields) return;
        const entry = applyBatch(this.producers, fields, 'replication');
        if (entry) (aborted ??= []).push(entry);
      };
      const result = { baseOffset: infos[0]!.baseOffset, lastOffset: expected - 1n };
      const written = this.enqueue(batches, infos, applyProducer);
      const indexed = aborted ? this.indexAborted(aborted, written) : written;
      if (!this.flushPolicy.active) return indexed.then(() => result);
      return indexed.then(() => this.flushPolicy.recordsWritten(expected - result.baseOffset)).then(() => result);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Kafka's appendAsLeader for an end-transaction marker: checks it against the producer's state
   * (older producer epoch: 'invalid-producer-epoch'; older coordinator epoch: 'coordinator-fenced'),
   * appends one control batch (control + transactional, the producer's id and epoch, one
   * COMMIT/ABORT record carrying the coordinator epoch) and completes the producer's open
   * transaction, indexing it when aborted. A producer without an open transaction still gets its
   * marker, as in Kafka.
   */
  async appendControl(marker: TxnMarker, opts: { leaderEpoch: number; timestamp: bigint }): Promise<AppendResult> {
    const batch = await buildMarkerBatch(marker, opts.timestamp);
    // From here to the enqueue nothing awaits: the check, the offset and the state change are one step.
    this.checkWritable();
    const latest = this.epochs.latest();
    if (latest && opts.leaderEpoch < latest.epoch) {
      throw new LogError('fenced-leader-epoch', `leader epoch ${opts.leaderEpoch} is older than ${latest.epoch}`);
    }
    const fields = { committed: marker.committed, coordinatorEpoch: marker.coordinatorEpoch };
    this.producers.checkMarker(marker.producerId, marker.producerEpoch, fields);
    const [info] = walkBatches(batch);
    const offset = this.nextOffset;
    batch.writeBigInt64BE(offset, BATCH.baseOffset);
    batch.writeInt32BE(opts.leaderEpoch, BATCH.partitionLeaderEpoch);
    rewriteBatchCrc(batch, 0);
    info!.baseOffset = info!.lastOffset = offset;
    info!.partitionLeaderEpoch = opts.leaderEpoch;
    let entry: AbortedTxn | undefined;
    if (this.epochs.assign(opts.leaderEpoch, offset)) this.epochsDirty = true;
    const written = this.enqueue(batch, [info!], () => {
      entry = abortedEntry(this.producers, this.producers.applyMarker(marker.producerId, marker.producerEpoch, fields, offset, opts.timestamp));
    });
    await (entry ? this.indexAborted([entry], written) : written);
    this.flushPolicy.recordsWritten(1n);
    return { baseOffset: offset, lastOffset: offset, logAppendTime: -1n, logStartOffset: this.startOffset };
  }

  /**
   * Kafka's last stable offset: below every open transaction (and every completed one whose
   * marker the ISR does not have yet), never above the high watermark nor below the log start.
   */
  lastStableOffset(highWatermark: bigint = this.hw): bigint {
    return maxBig(this.startOffset, this.producers.lastStableOffset(highWatermark));
  }

  /**
   * Aborted transactions a read_committed fetch of [fromOffset, upToOffset) must know about:
   * those whose last offset (marker) is >= fromOffset and first offset < upToOffset.
   */
  abortedTransactions(fromOffset: bigint, upToOffset: bigint): AbortedTxn[] {
    if (upToOffset <= fromOffset) return [];
    return collectAborted(this.segments, this.segmentIndexFor(fromOffset), fromOffset, upToOffset);
  }

  /** Adds aborted-index entries to the segments holding their markers once the markers are written. */
  private indexAborted(entries: AbortedTxn[], written: Promise<void>): Promise<void> {
    const touched = new Set<Segment>();
    for (const e of entries) {
      const seg = this.segments[this.segmentIndexFor(e.lastOffset)]!;
      seg.txnIndex.append(e);
      touched.add(seg);
    }
    return written.then(async () => {
      for (const seg of touched) await seg.txnIndex.persist();
    });
  }

  /** A duplicate append answers once the original batch is written. */
  private duplicateResult(baseOffset: bigint, lastOffset: bigint): Promise<AppendResult> {
    const written = lastOffset < this.writtenEnd ? Promise.resolve() : this.queue.idle();
    return written.then(() => {
      if (this.queue.failure) throw this.queue.failure;
      return { baseOffset, lastOffset, logAppendTime: -1n, logStartOffset: this.startOffset, duplicate: true };
    });
  }

  /**
   * Producer state from the newest snapshot not beyond the log end, then the batches after it
   * replayed from their headers (rebuilding those segments' aborted-transaction indexes).
   */
  private async loadProducerState(): Promise<void> {
    this.producerStateLoaded = false;
    this.producers.clear();
    try {
      const snapshot = await this.snapshots.loadLatest(this.writtenEnd);
      let from = this.segments[0]!.baseOffset;
      if (snapshot) {
        this.producers.load(snapshot.entries);
        if (snapshot.offset > from) from = snapshot.offset;
      }
      await replaySegments(this.producers, this.segments, from);
    } catch (e) {
      // Appends must not run on a partial state: the log stops until reopened, as after a failed write.
      const err = e instanceof LogError ? e : new LogError('storage', `cannot load producer state of ${this.dir}: ${(e as Error).message}`, { cause: e });
      this.queue.failure ??= err;
      throw err;
    }
    this.producerStateLoaded = true;
  }

  /** Snapshot of the producer state as of `offset`, written once the batches below it are. */
  private snapshotProducers(offset: bigint, written: Promise<unknown>): void {
    if (!this.producerStateLoaded) return;
    const segments = this.segments;
    this.snapshots.take(this.producers, offset, written, async () => {
      for (const seg of segments) await seg.txnIndex.persist();
    });
  }

  /**
   * Whole batches from the one containing fetchOffset, within maxBytes (but at least one
   * batch if minOneBatch), never reaching upperBound, never bytes still being written.
   */
  read(fetchOffset: bigint, maxBytes: number, opts: ReadOptions): Promise<ReadResult> {
    const held = this.closed ? undefined : this.readHeld(fetchOffset, maxBytes, opts);
    if (held) return Promise.resolve(held);
    return this.readBatches(fetchOffset, maxBytes, opts).catch(asLogError);
  }

  /**
   * readBatches without a promise, for reads of the active segment that its in-memory tail
   * answers whole (followers and tailing consumers); undefined when the disk must be asked.
   */
  private readHeld(fetchOffset: bigint, maxBytes: number, opts: ReadOptions): ReadResult | undefined {
    if (fetchOffset < this.startOffset || fetchOffset > this.nextOffset) return undefined;
    const limit = minBig(opts.upperBound, this.writtenEnd);
    if (fetchOffset >= limit) return this.readResult(EMPTY);
    const seg = this.segments[this.segments.length - 1]!;
    if (fetchOffset < seg.baseOffset) return undefined;
    const first = seg.findInTail(fetchOffset);
    if (first === undefined) return undefined;
    if (first === null || first.lastOffset >= limit) return this.readResult(EMPTY);
    const budget = Math.min(Math.max(0, Math.floor(maxBytes)) || 0, this.config.maxReadBytes);
    if (first.size > budget) {
      if (!opts.minOneBatch) return this.readResult(EMPTY);
      const one = seg.heldBytes(first.position, first.size, opts.pool);
      return one && this.readResult(one);
    }
    const buf = seg.heldBytes(first.position, Math.min(budget, seg.writtenSize - first.position), opts.pool);
    return buf && this.readResult(buf.subarray(0, wholeBatchesBelow(buf, limit)));
  }

  private readResult(records: Buffer): ReadResult {
    return { records, logStartOffset: this.startOffset, logEndOffset: this.writtenEnd, highWatermark: this.hw };
  }

  private async readBatches(fetchOffset: bigint, maxBytes: number, opts: ReadOptions): Promise<ReadResult> {
    this.checkOpen();
    if (fetchOffset < this.startOffset || fetchOffset > this.nextOffset) {
      throw new LogError(
        'offset-out-of-range',
        `offset ${fetchOffset} is outside [${this.startOffset}, ${this.writtenEnd}]`,
      );
    }
    const limit = minBig(opts.upperBound, this.writtenEnd);
    const result = (records: Buffer): ReadResult => ({
      records,
      logStartOffset: this.startOffset,
      logEndOffset: this.writtenEnd,
      highWatermark: this.hw,
    });
    const empty = result(Buffer.alloc(0));
    if (fetchOffset >= limit) return empty;
    const budget = Math.min(Math.max(0, Math.floor(maxBytes)) || 0, this.config.maxReadBytes);
    const segments = this.segments;
    for (let i = this.segmentIndexFor(fetchOffset); i < segments.length; i++) {
      const seg = segments[i]!;
      const first = await seg.findBatch(fetchOffset);
      if (!first) continue; // nothing at or after fetchOffset in this segment: gap
      if (first.lastOffset >= limit) return empty;
      if (first.size > budget) {
        return opts.minOneBatch ? result(await seg.read(first.position, first.size, opts.pool)) : empty;
      }
      const buf = await seg.read(first.position, Math.min(budget, seg.writtenSize - first.position), opts.pool);
      return result(buf.subarray(0, wholeBatchesBelow(buf, limit)));
    }
    return empty;
  }

  /**
   * First offset below upperBound (default: the high watermark) whose record timestamp is
   * >= ts. The time index only narrows where to start; batches whose maxTimestamp cannot be
   * trusted are searched record by record.
   */
  offsetForTimestamp(ts: bigint, upperBound: bigint = this.hw): Promise<TimestampOffset | null> {
    return this.searchTimestamp(ts, upperBound).catch(asLogError);
  }

  private async searchTimestamp(ts: bigint, upperBound: bigint): Promise<TimestampOffset | null> {
    this.checkOpen();
    const limit = minBig(upperBound, this.writtenEnd);
    return searchSegments([...this.segments], ts, limit, this.startOffset, this.findInBatch);
  }

  /** Offset and timestamp of the batch with the largest maxTimestamp (ListOffsets -3). */
  maxTimestampOffset(): TimestampOffset {
    let best: TimestampOffset = { offset: -1n, timestamp: -1n };
    for (const s of this.segments) {
      if (s.maxTimestampSoFar > best.timestamp) best = { offset: s.offsetOfMaxTimestampSoFar, timestamp: s.maxTimestampSoFar };
    }
    return best;
  }

  /**
   * Removes everything at or after offset (follower truncation). The cut falls at the
   * start of the batch containing offset, so the log end may land below offset.
   */
  async truncateTo(offset: bigint): Promise<void> {
    this.checkWritable();
    if (offset >= this.nextOffset) return;
    this.exclusive = true;
    this.truncations++;
    try {
      await this.swapSettled();
      await this.queue.idle();
      if (this.queue.failure) throw this.queue.failure;
      if (offset <= this.segments[0]!.baseOffset) {
        await this.truncateFullyAndStartAt(offset);
      } else {
        while (this.segments.length > 1 && this.segments[this.segments.length - 1]!.baseOffset >= offset) {
          await this.segments.pop()!.delete(this.config.fileDeleteDelayMs);
        }
        const active = this.segments[this.segments.length - 1]!;
        const batch = await active.findBatch(offset);
        // Always rescan: a segment that becomes active again needs its running index state.
        await active.truncateAt(batch?.position ?? active.writtenSize);
        this.nextOffset = this.writtenEnd = active.writtenEnd;
      }
      if (this.startOffset > this.nextOffset) this.startOffset = this.nextOffset;
      if (this.hw > this.nextOffset) this.hw = this.nextOffset;
      this.recovery.truncatedTo(this.nextOffset);
      if (this.epochs.truncateFromEnd(this.nextOffset)) await this.persistEpochs();
      // Batches past the cut may have moved sequences or opened and closed transactions.
      await this.loadProducerState();
    } finally {
      this.exclusive = false;
    }
  }

  /**
   * Advances the log start offset (DeleteRecords, retention, a follower learning its leader's)
   * and deletes the closed segments wholly below it, even when the start had moved before (a
   * follower's segment that has since rolled). Deleted segments leave the list at once; their
   * files go after file.delete.delay.ms.
   */
  async deleteRecordsBefore(offset: bigint): Promise<bigint> {
    this.checkOpen();
    if (offset > this.writtenEnd) {
      throw new LogError('offset-out-of-range', `cannot delete before ${offset}: log ends at ${this.writtenEnd}`);
    }
    // A cleaner swap in progress finishes first; from here the list changes synchronously.
    await this.swapSettled();
    if (offset > this.startOffset) {
      this.startOffset = offset;
      if (this.hw < offset) this.hw = offset;
    }
    const doomed: Segment[] = [];
    while (this.segments.length > 1 && this.segments[1]!.baseOffset <= this.startOffset) doomed.push(this.segments.shift()!);
    for (const seg of doomed) await seg.delete(this.config.fileDeleteDelayMs);
    if (this.epochs.truncateFromStart(this.startOffset)) await this.persistEpochs();
    if (doomed.length > 0) await this.snapshots.prune(this.segments[0]!.baseOffset);
    return this.startOffset;
  }

  /**
   * Kafka's truncateFullyAndStartAt for a follower that fell below its leader's log start
   * offset: every segment goes, the log restarts empty at `offset`, and the epoch cache is
   * cleared (the next fetched batches bring their epochs).
   */
  async resetTo(offset: bigint): Promise<void> {
    this.checkWritable();
    this.exclusive = true;
    try {
      await this.queue.idle();
      if (this.queue.failure) throw this.queue.failure;
      await this.truncateFullyAndStartAt(offset);
      this.hw = offset;
      if (this.epochs.truncateFromEnd(0n)) await this.persistEpochs();
      this.producers.clear();
      await this.snapshots.deleteAll();
      this.producerStateLoaded = true;
    } finally {
      this.exclusive = false;
    }
  }

  /** Waits for queued writes and fsyncs data, indexes and checkpoints. */
  async flush(): Promise<void> {
    this.checkOpen();
    await this.queue.idle();
    if (this.queue.failure) throw this.queue.failure;
    const end = this.writtenEnd;
    await this.segments[this.segments.length - 1]!.persistIndexes();
    for (const s of this.segments) await s.sync();
    await this.epochWrite;
    this.recovery.flushedTo(end);
  }

  /** Kafka's recovery point: every offset below it is on stable storage (the owner checkpoints it). */
  get recoveryPoint(): bigint {
    return this.recovery.offset;
  }

  /**
   * A rolled segment is synced (in the background, in roll order, as Kafka flushes on roll) and
   * the recovery point moves to its end once nothing below it is unsynced.
   */
  private segmentRolled(segment: Segment): void {
    const sync = this.config.fsync === 'always' ? Promise.resolve() : undefined;
    this.rollSyncs = this.rollSyncs
      .then(() => sync ?? segment.sync())
      .then(() => {
        const unsyncedBelow = this.segments.some((s) => s.baseOffset < segment.baseOffset && s.writtenEnd > this.recovery.offset);
        if (!unsyncedBelow && !this.closed) this.recovery.flushedTo(segment.writtenEnd);
        this.keyIndex.segmentSealed(segment);
      })
      .catch(() => undefined); // deleted meanwhile (retention) or closed: the point stays behind
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.flushPolicy.close();
    await this.keyIndex.close();
    await this.swapSettled();
    await this.queue.idle();
    const active = this.segments[this.segments.length - 1]!;
    try {
      if (!this.queue.failure) {
        active.seal();
        await active.persistIndexes();
        // A clean close leaves the log synced to its end: the owner checkpoints that recovery point.
        await this.rollSyncs;
        for (const s of this.segments) if (s.writtenEnd > this.recovery.offset || s === active) await s.sync();
        this.recovery.flushedTo(this.writtenEnd);
        // A clean close leaves a snapshot at the end: the next open replays nothing.
        if (this.writtenEnd === this.nextOffset) this.snapshotProducers(this.writtenEnd, Promise.resolve());
      }
      await this.snapshots.settled();
      // A failed checkpoint write already stopped the log; closing still releases the files.
      await this.epochWrite.catch(() => undefined);
    } finally {
      for (const s of this.segments) await s.close().catch(() => {});
    }
  }

  /**
   * Places batches in segments (rolling as needed) and queues their writes. `applyProducer(i)`
   * records batch i in producer state, called in order after any roll before it, so a roll's
   * snapshot holds exactly the batches below the new segment.
   */
  private enqueue(batches: Buffer, infos: BatchInfo[], applyProducer?: (index: number) => void): Promise<void> {
    const items: QueueItem[] = [];
    let waiting = 0;
    let failed: Error | undefined;
    let resolve!: () => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const done = (err?: Error) => {
      if (err && !failed) {
        failed = err;
        reject(err);
      }
      if (--waiting === 0 && !failed) resolve();
    };

    let active = this.segments[this.segments.length - 1]!;
    let runStart = -1;
    let runPosition = 0;
    const closeRun = (endAt: number) => {
      if (runStart < 0) return;
      waiting++;
      items.push({
        kind: 'write',
        segment: active,
        position: runPosition,
        data: batches.subarray(runStart, endAt),
        endOffset: active.pendingEnd,
        done,
      });
      runStart = -1;
    };
    const nowMs = Date.now();
    for (let i = 0; i < infos.length; i++) {
      const info = infos[i]!;
      const wouldOverflow = active.pendingSize + info.size > this.config.segmentBytes;
      const relativeTooLarge = info.lastOffset - active.baseOffset > INT32_MAX;
      // Kafka judges segment.ms by the incoming batch's timestamp against the first batch's.
      if (!active.isEmpty && (wouldOverflow || relativeTooLarge || (this.config.segmentMs !== Infinity && this.segmentAged(active, nowMs, hasTrustedMaxTimestamp(info) ? Number(info.maxTimestamp) : -Infinity)))) {
        closeRun(info.position);
        active.seal();
        items.push({ kind: 'seal', segment: active });
        active = this.newActiveSegment(info.baseOffset);
        this.segments.push(active);
        // Kafka snapshots producer state at each roll, named by the new segment's base offset.
        this.snapshotProducers(info.baseOffset, promise);
      }
      applyProducer?.(i);
      if (runStart < 0) {
        runStart = info.position;
        runPosition = active.pendingSize;
      }
      // The info is this append's own (walkBatches): it becomes the segment's record of the batch.
      info.position = active.pendingSize;
      active.assign(info);
    }
    closeRun(batches.length);
    this.nextOffset = active.pendingEnd;
    this.queue.push(items);
    return promise;
  }

  private async truncateFullyAndStartAt(offset: bigint): Promise<void> {
    const old = this.segments;
    const seg = this.newActiveSegment(offset);
    this.segments = [seg];
    for (const s of old) await s.delete(this.config.fileDeleteDelayMs);
    await seg.files();
    this.nextOffset = this.writtenEnd = offset;
    this.startOffset = offset;
    this.recovery.truncatedTo(offset);
  }

  /** A segment about to become the active one, keeping its newest bytes in memory. */
  private newActiveSegment(baseOffset: bigint): Segment {
    const seg = new Segment(this.dir, baseOffset, this.config.indexIntervalBytes);
    seg.keepTail(this.config.tailCacheBytes, this.config.tailCacheBudget);
    return seg;
  }

  private segmentIndexFor(offset: bigint): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.segments[mid]!.baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  private segmentAged(active: Segment, nowMs: number, timestampMs: number = nowMs): boolean {
    const { segmentMs } = this.config;
    return segmentMs !== Infinity && active.ageMs(nowMs, timestampMs) > segmentMs - this.rollJitterMs;
  }

  private drawJitter(): void {
    const { segmentJitterMs, segmentMs } = this.config;
    const bound = Math.min(segmentJitterMs, segmentMs);
    this.rollJitterMs = bound > 0 && Number.isFinite(bound) ? Math.floor(Math.random() * bound) : 0;
  }

  private checkOpen(): void {
    if (this.closed) throw new LogError('closed', `log ${this.dir} is closed`);
  }

  private checkWritable(): void {
    this.checkOpen();
    if (this.queue.failure) throw this.queue.failure;
    if (this.exclusive) throw new LogError('busy', `log ${this.dir} is being truncated`);
  }

  private persistEpochsIfDirty(): Promise<void> | undefined {
    return this.epochsDirty ? this.persistEpochs() : undefined;
  }

  /**
   * Serialised atomic rewrite (temp file + rename) of the leader-epoch checkpoint. A failure stops
   * the log like a failed data write: appends made under the unrecorded epoch must not be served.
   */
  private persistEpochs(): Promise<void> {
    this.epochsDirty = false;
    const write = async () => {
      try {
        await writeCheckpointFile(join(this.dir, LEADER_EPOCH_CHECKPOINT), this.epochs.encodeCheckpoint(), this.config.fsync === 'always');
        if (this.config.fsync === 'always') await fsyncDir(this.dir);
      } catch (e) {
        throw this.queue.fail(new LogError('storage', `leader-epoch-checkpoint write failed: ${ioMessage(e)}`, { cause: e }));
      }
    };
    this.epochWrite = this.epochWrite.then(write, write);
    return this.epochWrite;
  }
}

/** Headers of concatenated batches whose framing the caller validated; re-checked cheaply. */
function walkBatches(batches: Buffer): BatchInfo[] {
  if (batches.length === 0) throw new LogError('invalid-batch', 'no batches to append');
  const { problem, positions } = validateBatches(batches, false);
  if (problem.kind !== 'ok') throw new LogError('invalid-batch', `malformed record batches: ${problem.kind}`);
  return positions.map((p) => batchInfoAt(batches, p, p));
}

/** Length of the prefix of buf made of whole batches ending below limit. */
function wholeBatchesBelow(buf: Buffer, limit: bigint): number {
  let end = 0;
  while (end + BATCH_HEADER_SIZE <= buf.length) {
    const size = buf.readInt32BE(end + BATCH.batchLength) + BATCH_LOG_OVERHEAD;
    if (end + size > buf.length) break;
    const lastOffset = buf.readBigInt64BE(end) + BigInt(buf.readInt32BE(end + BATCH.lastOffsetDelta));
    if (lastOffset >= limit) break;
    end += size;
  }
  return end;
}

/** Anything that is not already a LogError is an I/O or on-disk data problem. */
function asLogError(e: unknown): never {
  if (e instanceof LogError) throw e;
  throw new LogError('storage', (e as Error)?.message ?? String(e), { cause: e });
}

function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
