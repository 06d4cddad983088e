// Reads of a partition log: whole batches from the one holding the fetch offset, answered from the
// active segment's in-memory tail when it holds them, from disk otherwise.
import { BATCH, BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD } from '@dms/kafka-codec';
import { LogError } from './log-error';
import { type LogState, minBig } from './log-state';
import type { ReadOptions, ReadResult } from './log-types';
import { segmentIndexFor } from './segment-list';

const EMPTY = Buffer.alloc(0);

/**
 * readBatches without a promise, for reads of the active segment that its in-memory tail
 * answers whole (followers and tailing consumers); undefined when the disk must be asked.
 */
export function readHeld(s: LogState, fetchOffset: bigint, maxBytes: number, opts: ReadOptions): ReadResult | undefined {
  if (fetchOffset < s.startOffset || fetchOffset > s.nextOffset) return undefined;
  const limit = minBig(opts.upperBound, s.writtenEnd);
  if (fetchOffset >= limit) return readResult(s, EMPTY);
  const seg = s.segments[s.segments.length - 1]!;
  if (fetchOffset < seg.baseOffset) return undefined;
  const first = seg.findInTail(fetchOffset);
  if (first === undefined) return undefined;
  if (first === null || first.lastOffset >= limit) return readResult(s, EMPTY);
  const budget = Math.min(Math.max(0, Math.floor(maxBytes)) || 0, s.config.maxReadBytes);
  if (first.size > budget) {
    if (!opts.minOneBatch) return readResult(s, EMPTY);
    const one = seg.heldBytes(first.position, first.size, opts.pool);
    return one && readResult(s, one);
  }
  const buf = seg.heldBytes(first.position, Math.min(budget, seg.writtenSize - first.position), opts.pool);
  return buf && readResult(s, buf.subarray(0, wholeBatchesBelow(buf, limit)));
}

function readResult(s: LogState, records: Buffer): ReadResult {
  return { records, logStartOffset: s.startOffset, logEndOffset: s.writtenEnd, highWatermark: s.hw };
}

/** The read from the segments' files (and their indexes). */
export async function readBatches(s: LogState, fetchOffset: bigint, maxBytes: number, opts: ReadOptions): Promise<ReadResult> {
  s.checkOpen();
  if (fetchOffset < s.startOffset || fetchOffset > s.nextOffset) {
    throw new LogError(
      'offset-out-of-range',
      `offset ${fetchOffset} is outside [${s.startOffset}, ${s.writtenEnd}]`,
    );
  }
  const limit = minBig(opts.upperBound, s.writtenEnd);
  const result = (records: Buffer): ReadResult => ({
    records,
    logStartOffset: s.startOffset,
    logEndOffset: s.writtenEnd,
    highWatermark: s.hw,
  });
  const empty = result(Buffer.alloc(0));
  if (fetchOffset >= limit) return empty;
  const budget = Math.min(Math.max(0, Math.floor(maxBytes)) || 0, s.config.maxReadBytes);
  const segments = s.segments;
  for (let i = segmentIndexFor(segments, fetchOffset); i < segments.length; i++) {
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
export function asLogError(e: unknown): never {
  if (e instanceof LogError) throw e;
  throw new LogError('storage', (e as Error)?.message ?? String(e), { cause: e });
}
