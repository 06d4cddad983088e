import {
  BATCH,
  BATCH_HEADER_SIZE,
  BATCH_LOG_OVERHEAD,
  buildBatchFromSpans,
  buildRetainedBatch,
  deleteHorizonOf,
  isControlBatch,
  isTransactionalBatch,
  openRecords,
  readRawRecords,
  scanRecordSpans,
} from '@dms/kafka-codec';
import { LogError } from '../log-error';
import type { PartitionLog } from '../partition-log';
import type { Segment } from '../segment';
import { type CleanableRange, type CompactionSettings, segmentEnd } from './cleanable-range';
import { CleanedSegmentWriter } from './cleaned-segment-writer';
import type { OffsetMap } from './offset-map';

const CHUNK_BYTES = 1 << 20;
/** The cleaner shares the broker's event loop: it lets appends and fetches in this often. */
const YIELD_EVERY_BYTES = 64 << 10;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
const INT32_MAX = 0x7fffffffn;

export interface CompactionStats {
  /** Where the next round's dirty section starts (the cleaner checkpoint). */
  endOffset: bigint;
  bytesRead: number;
  bytesWritten: number;
  recordsRead: number;
  recordsKept: number;
  segmentsReplaced: number;
  /** Earliest delete horizon of a tombstone still kept, if any (when another round could drop it). */
  nextDeleteHorizonMs?: number;
}

/** The log changed under the cleaner (truncated, closed, segments removed): nothing was lost. */
export class CleaningAborted extends Error {}

export interface CompactOptions {
  indexIntervalBytes: number;
  /**
   * Rewrite the clean section even when nothing is dirty: a quiet log whose kept tombstones passed
   * their delete horizon loses them this way (Kafka waits for new dirty data instead).
   */
  sweepTombstones?: boolean;
  /** Called with the bytes of each chunk read and each cleaned segment written (a rate limit). */
  throttle?: (bytes: number) => Promise<void>;
  /** Checked between chunks: true stops the round (CleaningAborted). */
  shouldAbort?: () => boolean;
}

/**
 * One round of Kafka's Cleaner.doClean on one log: maps the dirty section (key -> last offset),
 * then rewrites every closed segment up to the map's end, in groups of up to segment.bytes, keeping
 * only the latest record of each key, and swaps each group's cleaned segment in.
 *
 * Rules kept from Kafka: offsets never change (gaps are normal, a batch keeps its base and last
 * offset); keyless records are dropped; a tombstone is kept until delete.retention.ms after the
 * round that first kept it (the horizon is stamped in its batch, KIP-534); records at or past the
 * map's end are kept; the last batch of each producer still in producer state is kept whole, so
 * its sequence and epoch survive a rebuild of the state from the log (Kafka keeps it, emptied).
 * Transactions are kept conservatively: control batches (markers) and transactional batches are
 * kept whole and never shadow other records, so aborted transactions' records are not dropped.
 */
export async function compactLog(
  log: PartitionLog,
  map: OffsetMap,
  range: CleanableRange,
  settings: CompactionSettings,
  nowMs: number,
  opts: CompactOptions,
): Promise<CompactionStats> {
  const abort = async (bytes: number) => {
    if (opts.shouldAbort?.()) throw new CleaningAborted('cleaning aborted');
    if (bytes > 0) await opts.throttle?.(bytes);
  };
  const stats: CompactionStats = { endOffset: range.firstDirtyOffset, bytesRead: 0, bytesWritten: 0, recordsRead: 0, recordsKept: 0, segmentsReplaced: 0 };
  // Captured before reading anything: a truncation meanwhile voids this round's swaps.
  const truncations = log.truncationCount;
  const segments = log.closedSegments();
  const activeBase = log.activeSegmentBaseOffset;
  const endOffset = await buildOffsetMap(segments, activeBase, range, map, abort);
  stats.endOffset = endOffset;
  if (endOffset <= range.firstDirtyOffset && !opts.sweepTombstones) return stats;

  const toClean: { seg: Segment; end: bigint }[] = [];
  for (let i = 0; i < segments.length; i++) {
    if (segments[i]!.baseOffset >= endOffset) break;
    toClean.push({ seg: segments[i]!, end: segmentEnd(segments, i, activeBase) });
  }
  const horizon = BigInt(Math.floor(nowMs + settings.deleteRetentionMs));
  for (const group of groupBySize(toClean, settings.segmentBytes)) {
    await abort(0);
    const writer = new CleanedSegmentWriter(log.dir, group[0]!.seg.baseOffset, opts.indexIntervalBytes);
    await writer.open();
    try {
      for (const { seg } of group) {
        await forEachBatch(seg, 0, abort, async (batch) => {
          stats.bytesRead += batch.length;
          const kept = isLastOfProducer(log, batch) ? keepWhole(batch, stats) : await cleanBatch(batch, map, endOffset, BigInt(nowMs), horizon, stats);
          if (kept) {
            stats.bytesWritten += kept.length;
            await writer.append(kept);
          }
        });
      }
      await abort(writer.size);
      await writer.finish();
    } catch (e) {
      await writer.abort();
      throw e;
    }
    if (!(await log.replaceSegments(group.map((g) => g.seg), settings.fileDeleteDelayMs, truncations))) {
      throw new CleaningAborted('the log changed while its segments were cleaned');
    }
    stats.segmentsReplaced += group.length;
  }
  return stats;
}

/**
 * Fills the map from the dirty section's keyed records (control and transactional batches do not
 * count), stopping at a batch boundary when it is full. Returns the end of what was mapped.
 */
async function buildOffsetMap(
  segments: readonly Segment[],
  activeBase: bigint,
  range: CleanableRange,
  map: OffsetMap,
  abort: (bytes: number) => Promise<void>,
): Promise<bigint> {
  map.clear();
  let end = range.firstDirtyOffset;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const segEnd = segmentEnd(segments, i, activeBase);
    if (seg.baseOffset >= range.firstUncleanableOffset) break;
    if (segEnd <= range.firstDirtyOffset) continue;
    let full = false;
    await forEachBatch(seg, seg.offsetIndex.lookup(range.firstDirtyOffset), abort, async (batch) => {
      const lastOffset = batch.readBigInt64BE(BATCH.baseOffset) + BigInt(batch.readInt32BE(BATCH.lastOffsetDelta));
      if (lastOffset < range.firstDirtyOffset) return true;
      const attributes = batch.readInt16BE(BATCH.attributes);
      if (!isControlBatch(attributes) && !isTransactionalBatch(attributes)) {
        const count = batch.readInt32BE(BATCH.recordCount);
        if (map.size + count > map.capacity) {
          if (map.size === 0) throw new LogError('invalid-config', 'log.cleaner.dedupe.buffer.size cannot hold the keys of one batch');
          full = true;
          return false;
        }
        const view = await openRecords(batch);
        const base = Number(view.header.baseOffset);
        const firstDirty = Number(range.firstDirtyOffset);
        scanRecordSpans(view, (_s, _e, offsetDelta, keyStart, keyLength) => {
          const offset = base + offsetDelta;
          if (keyLength >= 0 && offset >= firstDirty) map.putAt(view.plain, keyStart, keyLength, offset);
        });
      }
      end = lastOffset + 1n;
      return true;
    });
    if (full) return end;
    end = segEnd;
  }
  return end < range.firstUncleanableOffset ? end : range.firstUncleanableOffset;
}

/** The batch to write for `batch` (itself, a rebuilt one with fewer records) or null to drop it. */
/** Whether a batch is its producer's latest in producer state (its sequences must stay in the log). */
function isLastOfProducer(log: PartitionLog, batch: Buffer): boolean {
  const producerId = batch.readBigInt64BE(BATCH.producerId);
  if (producerId < 0n) return false;
  const batches = log.producers.entry(producerId)?.batches;
  const last = batches?.[batches.length - 1];
  return last !== undefined && last.lastOffset === batch.readBigInt64BE(BATCH.baseOffset) + BigInt(batch.readInt32BE(BATCH.lastOffsetDelta));
}

function keepWhole(batch: Buffer, stats: CompactionStats): Buffer {
  const count = batch.readInt32BE(BATCH.recordCount);
  stats.recordsRead += count;
  stats.recordsKept += count;
  return batch;
}

async function cleanBatch(
  batch: Buffer,
  map: OffsetMap,
  endOffset: bigint,
  now: bigint,
  horizon: bigint,
  stats: CompactionStats,
): Promise<Buffer | null> {
  const attributes = batch.readInt16BE(BATCH.attributes);
  const count = batch.readInt32BE(BATCH.recordCount);
  stats.recordsRead += count;
  if (batch.readBigInt64BE(BATCH.baseOffset) >= endOffset || isControlBatch(attributes) || isTransactionalBatch(attributes)) {
    stats.recordsKept += count;
    return batch;
  }
  const view = await openRecords(batch);
  const { header } = view;
  const batchHorizon = deleteHorizonOf(header);
  const keepTombstones = batchHorizon === undefined || now < batchHorizon;
  // [start, end) of each kept record in view.plain: kept records are copied byte for byte.
  const spans: number[] = [];
  let tombstones = false;
  const base = Number(header.baseOffset);
  const end = Number(endOffset);
  scanRecordSpans(view, (start, recordEnd, offsetDelta, keyStart, keyLength, valueIsNull) => {
    const offset = base + offsetDelta;
    let keep: boolean;
    if (offset >= end) keep = true;
    else if (keyLength < 0) keep = false; // keyless: Kafka refuses them at produce; the cleaner drops them
    else if (offset < map.getAt(view.plain, keyStart, keyLength)) keep = false; // a later record has this key
    else keep = !valueIsNull || keepTombstones;
    if (!keep) return;
    spans.push(start, recordEnd);
    if (valueIsNull) tombstones = true;
  });
  const kept = spans.length / 2;
  stats.recordsKept += kept;
  if (kept === 0) return null;
  const stampHorizon = tombstones && batchHorizon === undefined;
  if (tombstones) {
    const h = Number(batchHorizon ?? horizon);
    stats.nextDeleteHorizonMs = stats.nextDeleteHorizonMs === undefined ? h : Math.min(stats.nextDeleteHorizonMs, h);
  }
  if (kept === header.recordCount && !stampHorizon) return batch;
  if (!stampHorizon) return buildBatchFromSpans(view, spans);
  // The first round to keep a tombstone stamps the batch's delete horizon (KIP-534): the base
  // timestamp moves, so the kept records are re-encoded with new timestamp deltas.
  const raw = await readRawRecords(batch);
  const keptStarts = new Set<number>();
  for (let i = 0; i < spans.length; i += 2) keptStarts.add(spans[i]!);
  const keptOffsets = new Set<number>();
  scanRecordSpans(view, (start, _e, offsetDelta) => {
    if (keptStarts.has(start)) keptOffsets.add(offsetDelta);
  });
  return buildRetainedBatch(header, raw.records.filter((r) => keptOffsets.has(r.offsetDelta)), { deleteHorizonMs: horizon });
}

/** Kafka's groupSegmentsBySize: consecutive segments up to maxBytes whose offsets fit int32 deltas. */
export function groupBySize<T extends { seg: Segment; end: bigint }>(segments: readonly T[], maxBytes: number): T[][] {
  const groups: T[][] = [];
  let i = 0;
  while (i < segments.length) {
    const group = [segments[i]!];
    let size = segments[i]!.seg.writtenSize;
    i++;
    while (i < segments.length) {
      const next = segments[i]!;
      if (size + next.seg.writtenSize > maxBytes) break;
      if (next.end - 1n - group[0]!.seg.baseOffset > INT32_MAX) break;
      group.push(next);
      size += next.seg.writtenSize;
      i++;
    }
    groups.push(group);
  }
  return groups;
}

/** Whole batches of a closed segment from a position, read in large chunks; fn returning false stops. */
async function forEachBatch(
  seg: Segment,
  from: number,
  abort: (bytes: number) => Promise<void>,
  fn: (batch: Buffer) => Promise<boolean | void>,
): Promise<void> {
  const limit = seg.writtenSize;
  let pos = from;
  while (pos < limit) {
    const chunk = await seg.read(pos, Math.min(CHUNK_BYTES, limit - pos));
    await abort(chunk.length);
    let at = 0;
    let sinceYield = 0;
    while (at + BATCH_HEADER_SIZE <= chunk.length) {
      const size = chunk.readInt32BE(at + BATCH.batchLength) + BATCH_LOG_OVERHEAD;
      if (size < BATCH_HEADER_SIZE) throw new LogError('corrupt', `bad batch length at ${pos + at} of ${seg.paths.log}`);
      if (at + size > chunk.length) break;
      if ((await fn(chunk.subarray(at, at + size))) === false) return;
      at += size;
      sinceYield += size;
      if (sinceYield >= YIELD_EVERY_BYTES) {
        sinceYield = 0;
        await yieldToLoop();
      }
    }
    if (at === 0) {
      // One batch larger than the chunk: read exactly it.
      if (limit - pos < BATCH_HEADER_SIZE) return;
      const head = await seg.read(pos, BATCH_HEADER_SIZE);
      const size = head.readInt32BE(BATCH.batchLength) + BATCH_LOG_OVERHEAD;
      if (size < BATCH_HEADER_SIZE || pos + size > limit) throw new LogError('corrupt', `bad batch at ${pos} of ${seg.paths.log}`);
      if ((await fn(await seg.read(pos, size))) === false) return;
      at = size;
    }
    pos += at;
  }
}
