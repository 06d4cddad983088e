/** Kafka's sentinels for "no such epoch" in an epoch/end-offset answer. */
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1n;

export interface EpochEndOffset {
  epoch: number;
  endOffset: bigint;
}

export interface FollowerLogFacts {
  logEndOffset: bigint;
  highWatermark: bigint;
  /** The follower's own OffsetForLeaderEpoch answer for `epoch` (largest epoch <= it). */
  endOffsetForEpoch(epoch: number): EpochEndOffset;
}

export interface TruncationPoint {
  offset: bigint;
  /**
   * False when the follower does not know the leader's epoch: it cut back to the end of its
   * largest smaller epoch and must ask again with that epoch before it can fetch.
   */
  complete: boolean;
}

/**
 * Where a follower cuts its log once the leader told it the end offset of the largest leader
 * epoch <= the follower's last one (Kafka's leader-epoch truncation, KIP-101/KIP-279):
 * - the leader knows no such epoch: keep only what was committed (the high watermark);
 * - the follower has the same epoch: cut at the smaller of the two end offsets;
 * - the follower only has smaller epochs: cut at the end of its largest one and ask again;
 * - the follower has no epoch that old: keep only what was committed.
 * Never beyond the follower's own log end.
 */
export function truncationPoint(leader: EpochEndOffset, follower: FollowerLogFacts): TruncationPoint {
  const cap = (o: bigint) => (o < follower.logEndOffset ? o : follower.logEndOffset);
  if (leader.epoch === UNDEFINED_EPOCH || leader.endOffset === UNDEFINED_EPOCH_OFFSET) {
    return { offset: cap(follower.highWatermark), complete: true };
  }
  const own = follower.endOffsetForEpoch(leader.epoch);
  if (own.epoch === UNDEFINED_EPOCH || own.endOffset === UNDEFINED_EPOCH_OFFSET) {
    return { offset: cap(follower.highWatermark), complete: true };
  }
  if (own.epoch !== leader.epoch) return { offset: cap(own.endOffset), complete: false };
  return { offset: cap(own.endOffset < leader.endOffset ? own.endOffset : leader.endOffset), complete: true };
}

/**
 * The leader's side of the same check on every follower fetch: a follower that fetches from
 * `fetchOffset` having last fetched epoch `lastFetchedEpoch` diverges when the leader's log has
 * a smaller epoch there or the epoch ends before `fetchOffset`. Returns the epoch/end offset to
 * send back (the follower truncates with `truncationPoint`), or undefined when consistent.
 */
export function divergingEpoch(
  fetchOffset: bigint,
  lastFetchedEpoch: number,
  leaderEndOffsetForEpoch: (epoch: number) => EpochEndOffset,
): EpochEndOffset | undefined {
  if (lastFetchedEpoch < 0) return undefined;
  const end = leaderEndOffsetForEpoch(lastFetchedEpoch);
  if (end.epoch < lastFetchedEpoch || end.endOffset < fetchOffset) return end;
  return undefined;
}
