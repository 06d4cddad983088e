// Lookups and roll decisions over a log's segment list (oldest first, the last one active).
import type { ResolvedLogConfig } from './log-config';
import { Segment } from './segment';
import type { TimestampOffset } from './timestamp-search';

/** Index of the segment holding offset: the last whose base offset is <= offset (0 below the first). */
export function segmentIndexFor(segments: readonly Segment[], offset: bigint): number {
  let lo = 0;
  let hi = segments.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segments[mid]!.baseOffset <= offset) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** A segment about to become the active one, keeping its newest bytes in memory. */
export function newActiveSegment(dir: string, config: ResolvedLogConfig, baseOffset: bigint): Segment {
  const seg = new Segment(dir, baseOffset, config.indexIntervalBytes);
  seg.keepTail(config.tailCacheBytes, config.tailCacheBudget);
  return seg;
}

/** Whether the active segment is past segment.ms (minus this log's jitter) at `timestampMs`. */
export function segmentAged(config: ResolvedLogConfig, jitterMs: number, active: Segment, nowMs: number, timestampMs: number = nowMs): boolean {
  const { segmentMs } = config;
  return segmentMs !== Infinity && active.ageMs(nowMs, timestampMs) > segmentMs - jitterMs;
}

/** A log's draw from segment.jitter.ms, bounded by segment.ms. */
export function drawJitter(config: ResolvedLogConfig): number {
  const { segmentJitterMs, segmentMs } = config;
  const bound = Math.min(segmentJitterMs, segmentMs);
  return bound > 0 && Number.isFinite(bound) ? Math.floor(Math.random() * bound) : 0;
}

/** Offset and timestamp of the batch with the largest maxTimestamp (ListOffsets -3). */
export function maxTimestampOffset(segments: readonly Segment[]): TimestampOffset {
  let best: TimestampOffset = { offset: -1n, timestamp: -1n };
  for (const s of segments) {
    if (s.maxTimestampSoFar > best.timestamp) best = { offset: s.offsetOfMaxTimestampSoFar, timestamp: s.maxTimestampSoFar };
  }
  return best;
}

/** Bytes on disk in all segments. */
export function totalSize(segments: readonly Segment[]): number {
  let n = 0;
  for (const s of segments) n += s.writtenSize;
  return n;
}
