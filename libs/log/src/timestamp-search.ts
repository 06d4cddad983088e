import { ATTR_TIMESTAMP_TYPE } from '@dms/kafka-codec';
import { type BatchInfo, hasTrustedMaxTimestamp } from './batch-scan';
import type { FindOffsetByTimestamp } from './log-config';
import type { Segment } from './segment';

export interface TimestampOffset {
  offset: bigint;
  timestamp: bigint;
}

/**
 * First offset in [startOffset, limit) whose record timestamp is >= ts, over a log's segments in
 * order. The time index only narrows where to start; batches whose maxTimestamp cannot be trusted
 * (some clients leave it unset) are searched record by record.
 */
export async function searchSegments(
  segments: readonly Segment[],
  ts: bigint,
  limit: bigint,
  startOffset: bigint,
  findInBatch: FindOffsetByTimestamp,
): Promise<TimestampOffset | null> {
  for (const seg of segments) {
    if (seg.baseOffset >= limit) break;
    if (seg.writtenEnd <= startOffset || seg.writtenSize === 0) continue;
    await seg.ensureTimestampsKnown();
    if (!seg.untrustedTimestamps && seg.maxTimestampSoFar < ts) continue;
    let position = 0;
    if (!seg.untrustedTimestamps) {
      const indexed = seg.timeIndex.lookup(ts);
      if (indexed !== undefined) position = seg.offsetIndex.lookup(indexed);
    }
    position = Math.max(position, seg.offsetIndex.lookup(startOffset));
    for (;;) {
      const candidate = await nextCandidate(seg, position, ts, limit, startOffset);
      if (candidate === 'end') return null;
      if (candidate === undefined) break;
      const found = await searchBatch(seg, candidate, ts, startOffset, findInBatch);
      if (found) return found.offset < limit ? found : null;
      position = candidate.position + candidate.size;
    }
  }
  return null;
}

/** Next batch from position whose records may hold a timestamp >= ts; 'end' past limit. */
async function nextCandidate(seg: Segment, position: number, ts: bigint, limit: bigint, startOffset: bigint): Promise<BatchInfo | 'end' | undefined> {
  let found: BatchInfo | 'end' | undefined;
  await seg.scanFrom(position, (info) => {
    if (info.baseOffset >= limit) {
      found = 'end';
      return false;
    }
    if (info.lastOffset < startOffset) return true;
    if (hasTrustedMaxTimestamp(info) && info.maxTimestamp < ts) return true;
    found = info;
    return false;
  });
  return found;
}

async function searchBatch(seg: Segment, info: BatchInfo, ts: bigint, startOffset: bigint, findInBatch: FindOffsetByTimestamp): Promise<TimestampOffset | null> {
  // LogAppendTime: every record carries the batch's stamped time.
  if ((info.attributes & ATTR_TIMESTAMP_TYPE) !== 0) {
    return { offset: info.baseOffset > startOffset ? info.baseOffset : startOffset, timestamp: info.maxTimestamp };
  }
  const found = await findInBatch(await seg.read(info.position, info.size), ts);
  if (!found) return null;
  // Records below the log start offset were deleted; the batch still holds them.
  return { offset: found.offset > startOffset ? found.offset : startOffset, timestamp: found.timestamp };
}
