import type { FollowerProgress } from './follower-progress';

/**
 * ISR members (other than the leader) that have not been caught up for longer than
 * `replicaLagTimeMaxMs` (Kafka's replica.lag.time.max.ms): the leader asks to drop them.
 */
export function laggingReplicas(
  leaderId: number,
  isr: readonly number[],
  followers: ReadonlyMap<number, FollowerProgress>,
  nowMs: number,
  replicaLagTimeMaxMs: number,
): number[] {
  return isr.filter((id) => {
    if (id === leaderId) return false;
    const f = followers.get(id);
    return !f || f.lagMs(nowMs) > replicaLagTimeMaxMs;
  });
}

/**
 * Whether a replica outside the ISR may rejoin: it has reached the high watermark and the start
 * of the leader's current epoch (so it holds nothing the new leader truncated away), as Kafka
 * requires before expanding.
 */
export function mayRejoinIsr(follower: FollowerProgress, highWatermark: bigint, leaderEpochStartOffset: bigint): boolean {
  return follower.logEndOffset >= 0n && follower.logEndOffset >= highWatermark && follower.logEndOffset >= leaderEpochStartOffset;
}
