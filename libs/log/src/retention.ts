import type { PartitionLog } from './partition-log';

/** What retention needs to know of one segment. */
export interface SegmentFacts {
  baseOffset: bigint;
  /** Offset after the segment: the next segment's base offset (gaps are normal). */
  endOffset: bigint;
  sizeBytes: number;
  /** Kafka's largestTimestamp: the largest batch timestamp, else the file's modification time. */
  largestTimestampMs: bigint;
}

export interface RetentionLimits {
  /** Kafka's retention.ms; negative means unlimited. */
  retentionMs: number;
  /** Kafka's retention.bytes; negative means unlimited. */
  retentionBytes: number;
}

export interface RetentionDecision {
  /** How many of the oldest closed segments go. */
  deleteCount: number;
  /** The log start offset once they are gone (the first kept segment's base), when any go. */
  newLogStartOffset?: bigint;
  reason?: 'retention.ms' | 'retention.bytes';
}

/**
 * Kafka's deleteRetentionMsBreachedSegments then deleteRetentionSizeBreachedSegments over the
 * closed segments, oldest first: a segment goes when its largest timestamp is older than
 * retention.ms, or while the partition (active segment included) stays above retention.bytes
 * without it. Deletion stops at the first segment that must stay, never touches the active
 * segment, and never a segment that reaches the high watermark (records consumers cannot have
 * read yet). `closed` excludes the active segment; `activeSizeBytes` is its size.
 */
export function decideRetention(
  closed: readonly SegmentFacts[],
  activeSizeBytes: number,
  limits: RetentionLimits,
  highWatermark: bigint,
  nowMs: number,
): RetentionDecision {
  const deletable = (s: SegmentFacts) => s.endOffset <= highWatermark;
  let count = 0;
  let reason: RetentionDecision['reason'];
  if (limits.retentionMs >= 0) {
    while (count < closed.length) {
      const s = closed[count]!;
      if (!deletable(s) || nowMs - Number(s.largestTimestampMs) <= limits.retentionMs) break;
      count++;
      reason = 'retention.ms';
    }
  }
  if (limits.retentionBytes >= 0) {
    let excess = closed.slice(count).reduce((n, s) => n + s.sizeBytes, activeSizeBytes) - limits.retentionBytes;
    while (count < closed.length && excess > 0) {
      const s = closed[count]!;
      if (!deletable(s) || excess - s.sizeBytes < 0) break;
      excess -= s.sizeBytes;
      count++;
      reason = 'retention.bytes';
    }
  }
  if (count === 0) return { deleteCount: 0 };
  const kept = closed[count];
  return { deleteCount: count, newLogStartOffset: kept ? kept.baseOffset : closed[count - 1]!.endOffset, reason };
}

/** The facts of a log's closed segments and the size of its active one. */
export async function segmentFacts(log: PartitionLog): Promise<{ closed: SegmentFacts[]; activeSizeBytes: number }> {
  const list = log.segmentList();
  const closed: SegmentFacts[] = [];
  for (let i = 0; i < list.length - 1; i++) {
    const s = list[i]!;
    closed.push({ baseOffset: s.baseOffset, endOffset: list[i + 1]!.baseOffset, sizeBytes: s.writtenSize, largestTimestampMs: await s.largestTimestamp() });
  }
  return { closed, activeSizeBytes: list[list.length - 1]!.writtenSize };
}

export interface RetentionOutcome {
  rolled: boolean;
  deletedSegments: number;
  logStartOffset: bigint;
  reason?: RetentionDecision['reason'];
}

/**
 * One retention pass over a log (the caller decides it is the leader and the policy deletes):
 * rolls an aged active segment (segment.ms) so idle data can expire, then moves the log start
 * offset past the expired segments, which deleteRecordsBefore removes.
 */
export async function enforceRetention(log: PartitionLog, limits: RetentionLimits, nowMs: number = Date.now()): Promise<RetentionOutcome> {
  const rolled = log.rollIfAged(nowMs);
  const { closed, activeSizeBytes } = await segmentFacts(log);
  const decision = decideRetention(closed, activeSizeBytes, limits, log.highWatermark, nowMs);
  if (decision.newLogStartOffset === undefined) return { rolled, deletedSegments: 0, logStartOffset: log.logStartOffset };
  const before = log.segmentList().length;
  const logStartOffset = await log.deleteRecordsBefore(decision.newLogStartOffset);
  return { rolled, deletedSegments: before - log.segmentList().length, logStartOffset, reason: decision.reason };
}
