import type { PartitionLog } from '../partition-log';
import type { Segment } from '../segment';

/** A compacted log's cleaning settings (topic configs, Kafka's names in the comments). */
export interface CompactionSettings {
  /** min.cleanable.dirty.ratio */
  minCleanableDirtyRatio: number;
  /** min.compaction.lag.ms */
  minCompactionLagMs: number;
  /** max.compaction.lag.ms */
  maxCompactionLagMs: number;
  /** delete.retention.ms: how long a tombstone outlives the cleaning that first kept it. */
  deleteRetentionMs: number;
  /** segment.bytes: cleaned segments are grouped up to this size. */
  segmentBytes: number;
  /** file.delete.delay.ms: replaced segment files stay (as `.deleted`) this long. */
  fileDeleteDelayMs: number;
}

/** Kafka's LogToClean: where the dirty section starts and ends, and how dirty the log is. */
export interface CleanableRange {
  firstDirtyOffset: bigint;
  /**
   * End of what this round may clean, always a segment boundary: below the active segment, the
   * high watermark and the first segment younger than min.compaction.lag.ms.
   */
  firstUncleanableOffset: bigint;
  cleanBytes: number;
  cleanableBytes: number;
  /** cleanable / (clean + cleanable); 0 for an empty log. */
  ratio: number;
  /** Some dirty record is older than max.compaction.lag.ms. */
  needCompactionNow: boolean;
  /** The checkpoint was outside the log and was replaced by the log start offset. */
  checkpointReset: boolean;
}

/** End offset of closed segment i: the next segment's base offset. */
export function segmentEnd(segments: readonly Segment[], i: number, activeBase: bigint): bigint {
  return i + 1 < segments.length ? segments[i + 1]!.baseOffset : activeBase;
}

export async function cleanableRange(
  log: PartitionLog,
  checkpoint: bigint | undefined,
  settings: CompactionSettings,
  nowMs: number,
): Promise<CleanableRange> {
  const segments = log.closedSegments();
  const activeBase = log.activeSegmentBaseOffset;
  const start = log.logStartOffset;
  const valid = checkpoint !== undefined && checkpoint >= start && checkpoint <= log.logEndOffset;
  const firstDirtyOffset = valid ? checkpoint : start;

  // The last segment boundary at or below the high watermark and the active segment's base.
  const bound = log.highWatermark < activeBase ? log.highWatermark : activeBase;
  let limitIndex = segments.length;
  for (let i = 0; i < segments.length; i++) {
    if (segmentEnd(segments, i, activeBase) > bound) {
      limitIndex = i;
      break;
    }
  }
  if (settings.minCompactionLagMs > 0) {
    for (let i = 0; i < limitIndex; i++) {
      const seg = segments[i]!;
      if (segmentEnd(segments, i, activeBase) <= firstDirtyOffset) continue;
      await seg.ensureTimestampsKnown();
      if (seg.maxTimestampSoFar > BigInt(Math.floor(nowMs - settings.minCompactionLagMs))) {
        limitIndex = i;
        break;
      }
    }
  }
  let uncleanable = limitIndex < segments.length ? segments[limitIndex]!.baseOffset : activeBase;
  if (uncleanable < firstDirtyOffset) uncleanable = firstDirtyOffset;

  let cleanBytes = 0;
  let cleanableBytes = 0;
  let earliestDirty: bigint | undefined;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const end = segmentEnd(segments, i, activeBase);
    if (end <= start) continue;
    if (end <= firstDirtyOffset) cleanBytes += seg.writtenSize;
    else if (i < limitIndex) cleanableBytes += seg.writtenSize;
    if (end > firstDirtyOffset && settings.maxCompactionLagMs < Number.MAX_SAFE_INTEGER && seg.writtenSize > 0) {
      const first = await seg.findBatch(seg.baseOffset);
      if (first && first.maxTimestamp > 0n && (earliestDirty === undefined || first.maxTimestamp < earliestDirty)) {
        earliestDirty = first.maxTimestamp;
      }
    }
  }
  const total = cleanBytes + cleanableBytes;
  const needCompactionNow =
    earliestDirty !== undefined && Number(earliestDirty) < nowMs - Math.max(0, settings.maxCompactionLagMs);
  return {
    firstDirtyOffset,
    firstUncleanableOffset: uncleanable,
    cleanBytes,
    cleanableBytes,
    ratio: total === 0 ? 0 : cleanableBytes / total,
    needCompactionNow,
    checkpointReset: checkpoint !== undefined && !valid,
  };
}

/** Kafka's choice: due by max.compaction.lag.ms with something to clean, or dirtier than the ratio. */
export function isCleanable(range: CleanableRange, settings: CompactionSettings): boolean {
  return (range.needCompactionNow && range.cleanableBytes > 0) || (range.cleanableBytes > 0 && range.ratio > settings.minCleanableDirtyRatio);
}
