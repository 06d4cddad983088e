import { BATCH, BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD } from '@dms/kafka-codec';
import { ReadBufferPool } from '../read-buffer-pool';
import type { Segment } from '../segment';
import { KeyScanner } from './key-scan';
import type { Coverage, SegmentKeyIndex } from './segment-key-index';

/** Bytes of a segment read per positional read while indexing. */
const INDEX_CHUNK = 4 << 20;

/**
 * Read buffers of the indexers of the process, reused from chunk to chunk (a fresh buffer of up
 * to 4 MiB per read costs page faults and external memory that drives full collections).
 */
const readPool = new ReadBufferPool(8 << 20, 4 << 10, INDEX_CHUNK);

/** One scanner per process: indexing runs a batch at a time, and a scan never spans an await. */
const scanner = new KeyScanner();

/**
 * Indexes the batches of `segment` in [index.coverage.size, upTo): control batches are skipped
 * (they hold transaction markers, not keyed data); every other batch is decompressed when needed
 * and the distinct hashes of its non-null keys filed under it. Stops at the first incomplete or
 * malformed batch (recovery truncates those; the index never covers them). Bytes still in the
 * segment's in-memory tail are read from there, others from the file, into pooled buffers.
 * Returns the time in ms spent indexing, reads left out (what a background indexer charges to
 * its budget).
 */
export async function indexSegmentRange(segment: Segment, index: SegmentKeyIndex, upTo: number): Promise<number> {
  let pos = index.coverage.size;
  let busyMs = 0;
  while (pos < upTo) {
    const want = Math.min(INDEX_CHUNK, upTo - pos);
    const chunk = segment.heldBytes(pos, want, readPool) ?? (await segment.read(pos, want, readPool));
    let at = 0;
    let last = -1;
    const started = performance.now();
    try {
      while (at + BATCH_HEADER_SIZE <= chunk.length) {
        const size = chunk.readInt32BE(at + BATCH.batchLength) + BATCH_LOG_OVERHEAD;
        if (size < BATCH_HEADER_SIZE) {
          upTo = pos + at; // malformed: the index stops before it
          break;
        }
        if (at + size > chunk.length) break;
        if (KeyScanner.isCompressed(chunk, at)) await scanner.indexAny(index, chunk, at, size, pos + at);
        else scanner.indexPlain(index, chunk, at, size, pos + at);
        last = at;
        at += size;
      }
    } finally {
      // One coverage object per chunk, not per batch (also when a malformed batch threw: the
      // batches before it are filed).
      if (last >= 0) index.coverage = { size: pos + at, lastPosition: pos + last, lastCrc: chunk.readUInt32BE(last + BATCH.crc) };
      busyMs += performance.now() - started;
      readPool.release(chunk);
    }
    if (upTo <= pos + at) return busyMs;
    if (at === 0) {
      // One batch larger than the chunk: read it whole.
      if (upTo - pos < BATCH_HEADER_SIZE) return busyMs;
      const head = await segment.read(pos, BATCH_HEADER_SIZE);
      const size = head.readInt32BE(BATCH.batchLength) + BATCH_LOG_OVERHEAD;
      if (size < BATCH_HEADER_SIZE || pos + size > upTo) return busyMs;
      const whole = await segment.read(pos, size);
      const t = performance.now();
      await scanner.indexAny(index, whole, 0, size, pos);
      index.coverage = { size: pos + size, lastPosition: pos, lastCrc: whole.readUInt32BE(BATCH.crc) };
      busyMs += performance.now() - t;
      at = size;
    }
    pos += at;
  }
  return busyMs;
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
