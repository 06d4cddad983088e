/**
 * The high watermark a leader may expose: the smallest log end offset over the ISR (the
 * leader's own included). A member whose log end offset is unknown (-1) holds it where it is,
 * and it never moves backwards. Returns `current` when nothing allows an advance.
 */
export function nextHighWatermark(
  current: bigint,
  leaderId: number,
  leaderLogEndOffset: bigint,
  isr: Iterable<number>,
  followerLogEndOffset: (replicaId: number) => bigint,
): bigint {
  let min = leaderLogEndOffset;
  for (const id of isr) {
    if (id === leaderId) continue;
    const leo = followerLogEndOffset(id);
    if (leo < 0n) return current;
    if (leo < min) min = leo;
  }
  return min > current ? min : current;
}

/** What a follower may expose as its high watermark: the leader's, capped by its own log end. */
export function followerHighWatermark(leaderHighWatermark: bigint, ownLogEndOffset: bigint): bigint {
  return leaderHighWatermark < ownLogEndOffset ? leaderHighWatermark : ownLogEndOffset;
}
