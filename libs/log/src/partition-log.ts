import { rm } from 'node:fs/promises';
import { appendAsFollower, appendAsLeader, appendMarker } from './log-append';
import { rollIfAged } from './log-enqueue';
import { closeLog, flushLog } from './log-flush';
import { openLogState } from './log-loader';
import { asLogError, readBatches, readHeld } from './log-read';
import { type LogState, maxBig, minBig } from './log-state';
import { deleteRecordsBefore, resetTo, truncateTo } from './log-truncation';
import type { AppendOptions, AppendResult, ReadOptions, ReadResult, TxnMarker } from './log-types';
import { persistEpochs } from './epoch-checkpoint';
import type { EpochEntry } from './leader-epoch-cache';
import { type LogConfig, type MutableLogSettings, resolveMutable } from './log-config';
import { collectAborted } from './producer-state/replay';
import type { ProducerStateManager } from './producer-state/producer-state-manager';
import type { KeyIndexer } from './key-index/key-indexer';
import { replaceSegments } from './replace-segments';
import type { Segment } from './segment';
import { drawJitter, maxTimestampOffset, segmentIndexFor, totalSize } from './segment-list';
import { searchSegments, type TimestampOffset } from './timestamp-search';
import type { AbortedTxn } from './txn-index';

export type { TimestampOffset, AbortedTxn };
export type { AppendOptions, AppendResult, ReadOptions, ReadResult, TxnMarker } from './log-types';

/**
 * One partition's log in Kafka's on-disk layout. Batches are opaque: the log touches only
 * their headers (offsets, leader epoch, and for LogAppendTime the timestamp and CRC).
 *
 * Offsets are assigned synchronously in call order; writes go through a group-commit
 * queue. `logEndOffset` is the end of what is written; offsets handed out but still queued
 * are past it.
 *
 * A composition, as Kafka's UnifiedLog: the loader (log-loader.ts), the segment list
 * (segment-list.ts, log-enqueue.ts, replace-segments.ts), appends (log-append.ts), reads
 * (log-read.ts, timestamp-search.ts), truncation (log-truncation.ts), durability (log-flush.ts,
 * epoch-checkpoint.ts) and producer state (log-producers.ts, producer-state/), over one LogState.
 */
export class PartitionLog {
  readonly dir: string;
  readonly topicId: string | undefined;
  /** Producer ids, their sequences and open transactions (see producer-state/). */
  readonly producers: ProducerStateManager;
  /** Key hash -> batches, per segment (see key-index/); `keyIndex.enabled` follows the topic config. */
  readonly keyIndex: KeyIndexer;

  private constructor(private readonly s: LogState) {
    this.dir = s.dir;
    this.topicId = s.topicId;
    this.producers = s.producers;
    this.keyIndex = s.keyIndex;
  }

  /** Opens the partition directory, creating it or recovering what is there. */
  static async open(dir: string, config: LogConfig = {}): Promise<PartitionLog> {
    return new PartitionLog(await openLogState(dir, config));
  }

  /** Removes a partition directory and everything in it. */
  static async delete(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
  }

  get logStartOffset(): bigint {
    return this.s.startOffset;
  }

  /** Next offset after the last batch whose write completed. */
  get logEndOffset(): bigint {
    return this.s.writtenEnd;
  }

  get highWatermark(): bigint {
    return this.s.hw;
  }

  /** Owned by replication; kept within [logStartOffset, logEndOffset]. */
  set highWatermark(offset: bigint) {
    this.s.hw = maxBig(this.s.startOffset, minBig(offset, this.s.writtenEnd));
  }

  get leaderEpochs(): readonly EpochEntry[] {
    return this.s.epochs.entries;
  }

  /** Records that a new leader epoch starts at startOffset and persists the checkpoint. */
  async assignLeaderEpoch(epoch: number, startOffset: bigint): Promise<void> {
    if (this.s.epochs.assign(epoch, startOffset)) await persistEpochs(this.s);
  }

  /** Kafka's OffsetForLeaderEpoch lookup. */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: bigint } {
    return this.s.epochs.endOffsetFor(epoch, this.s.writtenEnd);
  }

  /**
   * Changes the settings a topic config may change at run time (segment.bytes, segment.ms,
   * segment.jitter.ms, file.delete.delay.ms, flush.messages, flush.ms); they apply from the next
   * append or retention check. Throws 'invalid-config' and changes nothing on a bad value.
   */
  updateSettings(changes: MutableLogSettings): void {
    const config = this.s.config;
    const next = resolveMutable(changes, config);
    const jitterChanged = next.segmentJitterMs !== config.segmentJitterMs || next.segmentMs !== config.segmentMs;
    Object.assign(config, next);
    if (jitterChanged) this.s.rollJitterMs = drawJitter(config);
    this.s.flushPolicy.settingsChanged();
  }

  /** The current run-time settings (see updateSettings). */
  get settings(): Readonly<Required<{ [K in keyof MutableLogSettings]: number }>> {
    const { segmentBytes, segmentMs, segmentJitterMs, fileDeleteDelayMs, flushMessages, flushMs } = this.s.config;
    return { segmentBytes, segmentMs, segmentJitterMs, fileDeleteDelayMs, flushMessages, flushMs };
  }

  /**
   * The segments, oldest first, the last one active. A snapshot: retention and cleaners read
   * their facts (base offset, size, timestamps) and never change the list through it.
   */
  segmentList(): readonly Segment[] {
    return [...this.s.segments];
  }

  /**
   * Rolls the active segment when it holds data and has aged past segment.ms (minus jitter):
   * Kafka rolls on the next append; the retention check also calls this so an idle partition's
   * data can age out. Returns whether it rolled.
   */
  rollIfAged(nowMs: number = Date.now()): boolean {
    return rollIfAged(this.s, nowMs);
  }

  /** Counters for metrics and tests. */
  stats(): { segments: number; writeCalls: number; syncCycles: number } {
    return { segments: this.s.segments.length, writeCalls: this.s.queue.writeCalls, syncCycles: this.s.queue.syncCycles };
  }

  /** Every segment but the active one, oldest first: what the log cleaner may rewrite. */
  closedSegments(): readonly Segment[] {
    return this.s.segments.slice(0, -1);
  }

  /** Changes whenever the log is truncated (the cleaner checks it did not read a stale log). */
  get truncationCount(): number {
    return this.s.truncations;
  }

  /** Base offset of the active segment (the end of the closed ones). */
  get activeSegmentBaseOffset(): bigint {
    return this.s.segments[this.s.segments.length - 1]!.baseOffset;
  }

  /**
   * Swaps the cleaner's `.cleaned` files (named by run[0]'s base offset) in for `run`, a run of
   * consecutive closed segments, as Kafka's replaceSegments does; see cleaner/segment-swap.ts for
   * the crash-safe order. Old files are renamed `.deleted` and unlinked after deleteDelayMs; reads
   * in flight keep their descriptors. Resolves false, removing the cleaned files, when the run
   * changed meanwhile (deleted, or the log truncated since `truncationsSeen`) or the log is busy
   * or closed.
   */
  replaceSegments(run: readonly Segment[], deleteDelayMs: number, truncationsSeen = this.s.truncations): Promise<boolean> {
    return replaceSegments(this.s, run, deleteDelayMs, truncationsSeen);
  }

  /** Bytes on disk in all segments. */
  size(): number {
    return totalSize(this.s.segments);
  }

  /**
   * Appends producer batches: assigns offsets and the leader epoch in place, optionally
   * stamps LogAppendTime, and resolves once the bytes are written (and synced if configured).
   */
  append(batches: Buffer, opts: AppendOptions): Promise<AppendResult> {
    return appendAsLeader(this.s, batches, opts);
  }

  /**
   * Appends batches that already carry offsets and leader epochs (a follower copying its
   * leader). Offsets must start at or after the log end and strictly increase.
   */
  appendWithOffsets(batches: Buffer): Promise<{ baseOffset: bigint; lastOffset: bigint }> {
    return appendAsFollower(this.s, batches);
  }

  /**
   * Kafka's appendAsLeader for an end-transaction marker: checks it against the producer's state
   * (older producer epoch: 'invalid-producer-epoch'; older coordinator epoch: 'coordinator-fenced'),
   * appends one control batch (control + transactional, the producer's id and epoch, one
   * COMMIT/ABORT record carrying the coordinator epoch) and completes the producer's open
   * transaction, indexing it when aborted. A producer without an open transaction still gets its
   * marker, as in Kafka.
   */
  appendControl(marker: TxnMarker, opts: { leaderEpoch: number; timestamp: bigint }): Promise<AppendResult> {
    return appendMarker(this.s, marker, opts);
  }

  /**
   * Kafka's last stable offset: below every open transaction (and every completed one whose
   * marker the ISR does not have yet), never above the high watermark nor below the log start.
   */
  lastStableOffset(highWatermark: bigint = this.s.hw): bigint {
    return maxBig(this.s.startOffset, this.s.producers.lastStableOffset(highWatermark));
  }

  /**
   * Aborted transactions a read_committed fetch of [fromOffset, upToOffset) must know about:
   * those whose last offset (marker) is >= fromOffset and first offset < upToOffset.
   */
  abortedTransactions(fromOffset: bigint, upToOffset: bigint): AbortedTxn[] {
    if (upToOffset <= fromOffset) return [];
    const segments = this.s.segments;
    return collectAborted(segments, segmentIndexFor(segments, fromOffset), fromOffset, upToOffset);
  }

  /**
   * Whole batches from the one containing fetchOffset, within maxBytes (but at least one
   * batch if minOneBatch), never reaching upperBound, never bytes still being written.
   */
  /**
   * read() without a promise, when the active segment's in-memory tail answers it whole (a
   * follower or tailing reader at the end); undefined when read() must ask the disk.
   */
  readHeld(fetchOffset: bigint, maxBytes: number, opts: ReadOptions): ReadResult | undefined {
    return this.s.closed ? undefined : readHeld(this.s, fetchOffset, maxBytes, opts);
  }

  read(fetchOffset: bigint, maxBytes: number, opts: ReadOptions): Promise<ReadResult> {
    const s = this.s;
    const held = s.closed ? undefined : readHeld(s, fetchOffset, maxBytes, opts);
    if (held) return Promise.resolve(held);
    return readBatches(s, fetchOffset, maxBytes, opts).catch(asLogError);
  }

  /**
   * First offset below upperBound (default: the high watermark) whose record timestamp is
   * >= ts. The time index only narrows where to start; batches whose maxTimestamp cannot be
   * trusted are searched record by record.
   */
  offsetForTimestamp(ts: bigint, upperBound: bigint = this.s.hw): Promise<TimestampOffset | null> {
    return this.searchTimestamp(ts, upperBound).catch(asLogError);
  }

  private async searchTimestamp(ts: bigint, upperBound: bigint): Promise<TimestampOffset | null> {
    const s = this.s;
    s.checkOpen();
    const limit = minBig(upperBound, s.writtenEnd);
    return searchSegments([...s.segments], ts, limit, s.startOffset, s.findInBatch);
  }

  /** Offset and timestamp of the batch with the largest maxTimestamp (ListOffsets -3). */
  maxTimestampOffset(): TimestampOffset {
    return maxTimestampOffset(this.s.segments);
  }

  /**
   * Removes everything at or after offset (follower truncation). The cut falls at the
   * start of the batch containing offset, so the log end may land below offset.
   */
  truncateTo(offset: bigint): Promise<void> {
    return truncateTo(this.s, offset);
  }

  /**
   * Advances the log start offset (DeleteRecords, retention, a follower learning its leader's)
   * and deletes the closed segments wholly below it, even when the start had moved before (a
   * follower's segment that has since rolled). Deleted segments leave the list at once; their
   * files go after file.delete.delay.ms.
   */
  deleteRecordsBefore(offset: bigint): Promise<bigint> {
    return deleteRecordsBefore(this.s, offset);
  }

  /**
   * Kafka's truncateFullyAndStartAt for a follower that fell below its leader's log start
   * offset: every segment goes, the log restarts empty at `offset`, and the epoch cache is
   * cleared (the next fetched batches bring their epochs).
   */
  resetTo(offset: bigint): Promise<void> {
    return resetTo(this.s, offset);
  }

  /** Waits for queued writes and fsyncs data, indexes and checkpoints. */
  flush(): Promise<void> {
    return flushLog(this.s);
  }

  /** Kafka's recovery point: every offset below it is on stable storage (the owner checkpoints it). */
  get recoveryPoint(): bigint {
    return this.s.recovery.offset;
  }

  close(): Promise<void> {
    return closeLog(this.s);
  }
}
