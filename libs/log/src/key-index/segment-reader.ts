import { BATCH, BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD, isControlBatch, openRecords, scanRecordSpans } from '@dms/kafka-codec';
import type { Segment } from '../segment';
import { keyHash } from './key-hash';
import type { Coverage, SegmentKeyIndex } from './segment-key-index';

/** Bytes of a segment read per positional read while indexing. */
const INDEX_CHUNK = 4 << 20;

/**
 * Indexes the batches of `segment` in [index.coverage.size, upTo): control batches are skipped
 * (they hold transaction markers, not keyed data); every other batch is decompressed when needed
 * and the distinct hashes of its non-null keys filed under it. Stops at the first incomplete or
 * malformed batch (recovery truncates those; the index never covers them). Returns the time in ms
 * spent indexing, reads left out (what a background indexer charges to its budget).
 */
export async function indexSegmentRange(segment: Segment, index: SegmentKeyIndex, upTo: number): Promise<number> {
  let pos = index.coverage.size;
  let busyMs = 0;
  while (pos < upTo) {
    const chunk = await segment.read(pos, Math.min(INDEX_CHUNK, upTo - pos));
    const started = performance.now();
    let at = 0;
    while (at + BATCH_HEADER_SIZE <= chunk.length) {
      const size = chunk.readInt32BE(at + BATCH.batchLength) + BATCH_LOG_OVERHEAD;
      if (size < BATCH_HEADER_SIZE) return busyMs + (performance.now() - started);
      if (at + size > chunk.length) break;
      const batch = chunk.subarray(at, at + size);
      await indexBatch(index, batch, pos + at);
      at += size;
    }
    busyMs += performance.now() - started;
    if (at === 0) {
      // One batch larger than the chunk: read it whole.
      if (upTo - pos < BATCH_HEADER_SIZE) return busyMs;
      const head = await segment.read(pos, BATCH_HEADER_SIZE);
      const size = head.readInt32BE(BATCH.batchLength) + BATCH_LOG_OVERHEAD;
      if (size < BATCH_HEADER_SIZE || pos + size > upTo) return busyMs;
      const whole = await segment.read(pos, size);
      const t = performance.now();
      await indexBatch(index, whole, pos);
      busyMs += performance.now() - t;
      at = size;
    }
    pos += at;
  }
  return busyMs;
}

async function indexBatch(index: SegmentKeyIndex, batch: Buffer, position: number): Promise<void> {
  const attributes = batch.readInt16BE(BATCH.attributes);
  const baseOffset = batch.readBigInt64BE(BATCH.baseOffset);
  if (!isControlBatch(attributes)) {
    const hashes = new Set<number>();
    const view = await openRecords(batch);
    scanRecordSpans(view, (_s, _e, _d, keyStart, keyLength) => {
      if (keyLength >= 0) hashes.add(keyHash(view.plain, keyStart, keyStart + keyLength));
    });
    index.add(
      {
        position,
        size: batch.length,
        baseOffset,
        lastOffset: baseOffset + BigInt(batch.readInt32BE(BATCH.lastOffsetDelta)),
        maxTimestamp: batch.readBigInt64BE(BATCH.maxTimestamp),
      },
      hashes,
    );
  }
  index.coverage = { size: position + batch.length, lastPosition: position, lastCrc: batch.readUInt32BE(BATCH.crc) };
}

/** The size of the batch starting at `position` (log overhead included), from its header. */
export async function batchSizeAt(segment: Segment, position: number): Promise<number | undefined> {
  const head = await segment.read(position, BATCH_HEADER_SIZE);
  if (head.length < BATCH_HEADER_SIZE) return undefined;
  const size = head.readInt32BE(BATCH.batchLength) + BATCH_LOG_OVERHEAD;
  return size < BATCH_HEADER_SIZE ? undefined : size;
}

/**
 * Whether what `coverage` says about a segment still holds: the bytes are there and the last
 * covered batch is the same one (its CRC field), so a truncated and rewritten segment is caught.
 */
export async function coverageHolds(segment: Segment, coverage: Coverage): Promise<boolean> {
  if (coverage.size > segment.writtenSize) return false;
  if (coverage.lastPosition < 0) return coverage.size === 0;
  const head = await segment.read(coverage.lastPosition, BATCH_HEADER_SIZE);
  if (head.length < BATCH_HEADER_SIZE) return false;
  const size = head.readInt32BE(BATCH.batchLength) + BATCH_LOG_OVERHEAD;
  return coverage.lastPosition + size === coverage.size && head.readUInt32BE(BATCH.crc) === coverage.lastCrc;
}
