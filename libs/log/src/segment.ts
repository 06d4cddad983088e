import { stat, unlink, type FileHandle } from 'node:fs/promises';
import { type BatchInfo, hasTrustedMaxTimestamp, type ScanProblem, scanBatches } from './batch-scan';
import { BatchTail } from './batch-tail';
import { type SegmentPaths, segmentPaths } from './file-names';
import { readAt, writeAllAt } from './file-io';
import { OFFSET_INDEX_ENTRY_SIZE, OffsetIndex } from './offset-index';
import { TIME_INDEX_ENTRY_SIZE, TimeIndex } from './time-index';
import { SegmentTail, type TailCacheBudget } from './tail-cache';
import { TxnIndex } from './txn-index';
import type { ReadBufferPool } from './read-buffer-pool';
import { SegmentFiles } from './segment-files';
import { loadSegment, recoverClosedSegment, recoverSegment } from './segment-recovery';

const RECOVERY_CHUNK = 1 << 20;
/** Header scans in the read path stay short: one index interval plus a little. */
const LOOKUP_CHUNK = 16 << 10;

/**
 * One segment: a `.log` file plus its two indexes. Two views of its extent coexist:
 * `pending*` includes batches that were assigned a place but are still queued for writing,
 * `written*` only bytes whose write completed — readers never go past the latter.
 */
export class Segment {
  readonly paths: SegmentPaths;
  offsetIndex: OffsetIndex;
  /** Aborted transactions whose marker is in this segment (kept by the log, see PartitionLog). */
  readonly txnIndex: TxnIndex;
  timeIndex: TimeIndex;
  writtenSize = 0;
  pendingSize = 0;
  /** Next offset after the written / assigned batches of this segment. */
  writtenEnd: bigint;
  pendingEnd: bigint;
  maxTimestampSoFar = -1n;
  offsetOfMaxTimestampSoFar = -1n;
  /**
   * Whether some batch carries an untrusted maxTimestamp (then the time index stops growing
   * and timestamp lookups scan this segment's records). Undefined until known: segments
   * loaded at open are scanned for it on first need.
   */
  untrustedTimestamps: boolean | undefined = false;
  private bytesSinceIndexEntry = 0;
  /** Headers of the latest assigned batches (unknown for a segment loaded from trusted indexes). */
  private readonly tail: BatchTail;
  /** The newest written bytes, while this segment is active and the log keeps a tail in memory. */
  private dataTail: SegmentTail | undefined;
  private readonly io: SegmentFiles;
  /** Wall-clock time this segment object was made (Kafka's `created`, for time-based rolls). */
  readonly createdMs = Date.now();
  /**
   * maxTimestamp of the first batch (Kafka's rollingBasedTimestamp); -1 when unknown (loaded
   * closed segments, or a first batch without a trusted timestamp).
   */
  firstBatchTimestamp = -1n;

  constructor(
    dir: string,
    readonly baseOffset: bigint,
    private readonly indexIntervalBytes: number,
  ) {
    this.paths = segmentPaths(dir, baseOffset);
    this.txnIndex = new TxnIndex(this.paths.txnIndex);
    this.offsetIndex = new OffsetIndex(baseOffset);
    this.timeIndex = new TimeIndex(baseOffset);
    this.writtenEnd = baseOffset;
    this.pendingEnd = baseOffset;
    this.tail = new BatchTail(baseOffset);
    this.io = new SegmentFiles(this.paths);
  }

  /** Keeps the newest written bytes of this (active) segment in memory, up to `limitBytes`. */
  keepTail(limitBytes: number, budget?: TailCacheBudget): void {
    this.dataTail?.clear();
    this.dataTail = limitBytes > 0 ? new SegmentTail(limitBytes, budget) : undefined;
  }

  /** Bytes of the in-memory tail (tests, metrics). */
  get tailBytes(): number {
    return this.dataTail?.size ?? 0;
  }

  /** A write of `data` at `position` completed: the in-memory tail keeps it. */
  rememberWritten(position: number, data: Buffer): void {
    this.dataTail?.add(position, data);
  }

  private dropDataTail(): void {
    this.dataTail?.clear();
    this.dataTail = undefined;
  }

  get isEmpty(): boolean {
    return this.pendingSize === 0;
  }

  logFile(): Promise<FileHandle> {
    return this.io.logFile();
  }

  /** Opens the log for writing, creating all three files as Kafka does for a new segment. */
  files(): Promise<FileHandle> {
    return this.io.create();
  }

  /** The log's descriptor when files() has opened it and it is still open; undefined otherwise. */
  openLogFd(): number | undefined {
    return this.io.openLogFd();
  }

  /**
   * Accounts a batch that will be written at `info.position`: indexes it the way Kafka's
   * LogSegment.append does, from its header alone.
   */
  assign(info: BatchInfo): void {
    if (info.position === 0) this.firstBatchTimestamp = hasTrustedMaxTimestamp(info) ? info.maxTimestamp : -1n;
    if (hasTrustedMaxTimestamp(info)) {
      if (info.maxTimestamp > this.maxTimestampSoFar) {
        this.maxTimestampSoFar = info.maxTimestamp;
        this.offsetOfMaxTimestampSoFar = info.lastOffset;
      }
    } else {
      this.untrustedTimestamps = true;
    }
    if (this.bytesSinceIndexEntry > this.indexIntervalBytes) {
      this.offsetIndex.append(info.lastOffset, info.position);
      this.maybeIndexTime();
      this.bytesSinceIndexEntry = 0;
    }
    this.bytesSinceIndexEntry += info.size;
    this.tail.remember(info);
    this.pendingSize = info.position + info.size;
    this.pendingEnd = info.lastOffset + 1n;
  }

  /**
   * The answer of findBatch from memory when the tail covers offset: the first written batch
   * with lastOffset >= offset, or null for none; undefined when the disk must be asked.
   */
  findInTail(offset: bigint): BatchInfo | null | undefined {
    return this.tail.find(offset, this.writtenSize);
  }

  /** Marks assigned bytes up to size / offsets up to end as written. */
  markWritten(size: number, end: bigint): void {
    this.writtenSize = size;
    this.writtenEnd = end;
  }

  /** Adds the final time index entry when the segment stops being active (as Kafka does). */
  seal(): void {
    this.maybeIndexTime();
    // Only the active segment's tail is read often; sealed segments must not hold memory.
    this.tail.drop();
    this.dropDataTail();
  }

  private maybeIndexTime(): void {
    // Once an untrusted batch is in, the running maximum is unknown: stop promising.
    if (this.untrustedTimestamps || this.maxTimestampSoFar < 0n) return;
    this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar);
  }

  /** Writes index entries whose batches are on disk and not yet in the index files. */
  async persistIndexes(): Promise<void> {
    const n = this.offsetIndex.countBelowPosition(this.writtenSize);
    if (n > this.offsetIndex.persistedCount) {
      const fh = await this.io.indexHandle();
      const from = this.offsetIndex.persistedCount;
      await writeAllAt(fh, [this.offsetIndex.encode(from, n)], from * OFFSET_INDEX_ENTRY_SIZE);
      this.offsetIndex.persistedCount = n;
    }
    const t = this.timeIndex.countBelowOffset(this.writtenEnd);
    if (t > this.timeIndex.persistedCount) {
      const fh = await this.io.timeIndexHandle();
      const from = this.timeIndex.persistedCount;
      await writeAllAt(fh, [this.timeIndex.encode(from, t)], from * TIME_INDEX_ENTRY_SIZE);
      this.timeIndex.persistedCount = t;
    }
  }

  /** Rewrites both index files from memory (after recovery or truncation). */
  async rewriteIndexes(): Promise<void> {
    await this.io.truncateIndexes();
    this.offsetIndex.persistedCount = 0;
    this.timeIndex.persistedCount = 0;
    await this.persistIndexes();
  }

  sync(): Promise<void> {
    return this.io.sync();
  }

  /** A file created since is durable by POSIX only once its directory entry is: once per segment. */
  syncDirOnce(): Promise<void> {
    return this.io.syncDirOnce();
  }

  /** Closes the index files (entries stay in memory); reopened if ever written again. */
  closeIndexFiles(): Promise<void> {
    return this.io.closeIndexFiles();
  }

  /**
   * Recovery of a closed segment past the recovery point (after an unclean shutdown): every batch
   * verified like the active segment's. Intact, it is sealed again as a closed segment ending
   * before `nextOffset`; torn, it is truncated at the first bad batch and left as the active one.
   */
  recoverClosed(nextOffset: bigint): Promise<{ truncatedBytes: number; problem?: ScanProblem }> {
    return recoverClosedSegment(this, nextOffset);
  }

  /**
   * Recovery of the active segment: verifies every batch (framing, CRC, offsets), truncates
   * the file at the first bad one and rebuilds both indexes.
   */
  recover(): Promise<{ truncatedBytes: number; problem?: ScanProblem }> {
    return recoverSegment(this);
  }

  /**
   * Load of an older segment: trusted, but its indexes are rebuilt from a header scan when
   * missing or not sane. `nextOffset` is the next segment's base offset.
   */
  load(nextOffset: bigint): Promise<{ rebuiltIndexes: boolean }> {
    return loadSegment(this, nextOffset);
  }

  /** Takes indexes read from disk for a trusted closed segment of `size` bytes ending before nextOffset. */
  adoptIndexes(offsetIndex: OffsetIndex, timeIndex: TimeIndex, size: number, nextOffset: bigint): void {
    this.offsetIndex = offsetIndex;
    this.timeIndex = timeIndex;
    this.tail.drop();
    const last = timeIndex.last();
    this.maxTimestampSoFar = last?.timestamp ?? -1n;
    this.offsetOfMaxTimestampSoFar = last?.offset ?? -1n;
    this.untrustedTimestamps = undefined;
    this.pendingSize = size;
    this.endAt(size, nextOffset);
  }

  /** A closed segment's extent: `size` bytes, offsets up to the next segment's base. */
  endAt(size: number, nextOffset: bigint): void {
    this.markWritten(size, nextOffset);
    this.pendingEnd = nextOffset;
  }

  /** Rebuilds everything known about the first `size` bytes from a header scan (verified or not). */
  async rescan(fh: FileHandle, size: number, verify: boolean) {
    this.offsetIndex = new OffsetIndex(this.baseOffset);
    this.timeIndex = new TimeIndex(this.baseOffset);
    this.maxTimestampSoFar = this.offsetOfMaxTimestampSoFar = -1n;
    this.untrustedTimestamps = false;
    this.bytesSinceIndexEntry = 0;
    this.tail.reset(this.baseOffset);
    // The bytes are rescanned (recovery, truncation): what memory held may be cut off.
    this.dataTail?.clear();
    this.pendingSize = 0;
    this.pendingEnd = this.baseOffset;
    const result = await scanBatches(
      fh,
      0,
      size,
      { verify, chunkSize: RECOVERY_CHUNK, minBaseOffset: this.baseOffset },
      (info) => this.assign(info),
    );
    this.markWritten(this.pendingSize, this.pendingEnd);
    return result;
  }

  /** Learns whether a loaded segment has untrusted timestamps (header scan, once). */
  async ensureTimestampsKnown(): Promise<void> {
    if (this.untrustedTimestamps !== undefined) return;
    await this.withLog(async (fh) => {
      let untrusted = false;
      let max = this.maxTimestampSoFar;
      let maxOffset = this.offsetOfMaxTimestampSoFar;
      await scanBatches(fh, 0, this.writtenSize, { verify: false, chunkSize: RECOVERY_CHUNK }, (info) => {
        if (!hasTrustedMaxTimestamp(info)) untrusted = true;
        else if (info.maxTimestamp > max) [max, maxOffset] = [info.maxTimestamp, info.lastOffset];
      });
      this.untrustedTimestamps = untrusted;
      this.maxTimestampSoFar = max;
      this.offsetOfMaxTimestampSoFar = maxOffset;
    });
  }

  /**
   * The first written batch whose last offset is >= offset, found from the sparse index and
   * a short header scan; undefined when no written batch of this segment reaches offset.
   */
  async findBatch(offset: bigint, fromPosition?: number): Promise<BatchInfo | undefined> {
    if (fromPosition === undefined) {
      const known = this.findInTail(offset);
      if (known !== undefined) return known ?? undefined;
    }
    const start = fromPosition ?? this.offsetIndex.lookup(offset);
    const limit = this.writtenSize;
    if (start >= limit) return undefined;
    return this.withLog(async (fh) => {
      let found: BatchInfo | undefined;
      await scanBatches(fh, start, limit, { verify: false, chunkSize: LOOKUP_CHUNK }, (info) => {
        if (info.lastOffset < offset) return true;
        found = info;
        return false;
      });
      return found;
    });
  }

  /** Walks written batch headers from a position; stop by returning false. */
  scanFrom(position: number, onBatch: (info: BatchInfo) => boolean | void): Promise<unknown> {
    const limit = this.writtenSize;
    return this.withLog((fh) => scanBatches(fh, position, limit, { verify: false, chunkSize: LOOKUP_CHUNK }, onBatch));
  }

  /** Walks written batches from a position with their producer fields (producer state replay). */
  scanProducers(position: number, onBatch: (info: BatchInfo) => void): Promise<unknown> {
    const limit = this.writtenSize;
    return this.withLog((fh) => scanBatches(fh, position, limit, { verify: false, chunkSize: RECOVERY_CHUNK, producerFields: true }, onBatch));
  }

  /** The written bytes [position, position + length) when the in-memory tail holds them all. */
  heldBytes(position: number, length: number, pool?: ReadBufferPool): Buffer | undefined {
    return this.dataTail?.read(position, length, pool);
  }

  /** The bytes at [position, position + length); from the disk into a buffer of `pool` when given. */
  read(position: number, length: number, pool?: ReadBufferPool): Promise<Buffer> {
    const held = this.dataTail?.read(position, length, pool);
    if (held) return Promise.resolve(held);
    return this.withLog((fh) => readAt(fh, position, length, pool));
  }

  /** Cuts the segment at a batch boundary: file, indexes and timestamp bookkeeping. */
  async truncateAt(position: number): Promise<void> {
    this.dataTail?.clear();
    const fh = await this.logFile();
    // The key index described the bytes cut off; it is rebuilt when this segment seals again.
    await unlink(this.paths.keyIndex).catch(() => {});
    await fh.truncate(position);
    await this.rescan(fh, position, false);
    await this.rewriteIndexes();
  }

  /**
   * Kafka's timeWaitedForRoll, for segment.ms: how far `timestampMs` (an incoming batch's
   * timestamp, or now on a retention check) is past the first batch's timestamp; from when this
   * segment was created when that is unknown.
   */
  ageMs(nowMs: number, timestampMs: number = nowMs): number {
    return this.firstBatchTimestamp >= 0n ? timestampMs - Number(this.firstBatchTimestamp) : nowMs - this.createdMs;
  }

  /**
   * Kafka's LogSegment.largestTimestamp, what retention.ms is judged by: the largest batch
   * timestamp, or the log file's modification time when no batch carries one.
   */
  async largestTimestamp(): Promise<bigint> {
    if (this.maxTimestampSoFar >= 0n) return this.maxTimestampSoFar;
    try {
      return BigInt(Math.floor((await stat(this.paths.log)).mtimeMs));
    } catch {
      return -1n;
    }
  }

  /**
   * Kafka's asynchronous delete: the files are renamed to `*.deleted` at once (a reader that
   * holds the descriptor keeps reading) and unlinked `delayMs` later; the descriptor closes once
   * in-flight reads are done. A crash before the unlink leaves `.deleted` files that the next
   * open removes.
   */
  async delete(delayMs = 0): Promise<void> {
    if (this.io.deleted) return;
    this.io.deleted = true;
    this.dropDataTail();
    await this.io.delete(delayMs);
  }

  /**
   * After a cleaner swap renamed this segment's files to `.deleted`: the descriptor stays open for
   * reads that still hold this segment (the path now names the cleaned one, so it is never reopened);
   * after delayMs the files are unlinked and the descriptor closes once no read uses it.
   */
  retire(deletedPaths: readonly string[], delayMs: number): void {
    this.io.retire(deletedPaths, delayMs);
  }

  async close(): Promise<void> {
    this.dropDataTail();
    await this.io.close();
  }

  private withLog<T>(fn: (fh: FileHandle) => Promise<T>): Promise<T> {
    return this.io.withLog(fn);
  }
}
