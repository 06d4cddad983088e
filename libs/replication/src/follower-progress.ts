/**
 * What a leader knows about one follower: its log end offset (the offset it fetches from) and
 * when it was last caught up. "Caught up" follows Kafka's rule: a fetch at or beyond the
 * leader's log end offset makes the follower caught up now; a fetch that reaches the leader's
 * log end offset as of the previous fetch makes it caught up as of that previous fetch. So a
 * follower that keeps pace with a busy leader stays in sync even though it is never exactly
 * at the end.
 */
export class FollowerProgress {
  /** -1 until the follower fetched from this leader (a new leader knows nothing yet). */
  logEndOffset = -1n;
  private lastFetchLeaderLogEndOffset = -1n;
  private lastFetchTimeMs = -1;

  constructor(
    readonly replicaId: number,
    /** A new leader gives each follower the benefit of the doubt for one lag period. */
    public lastCaughtUpTimeMs: number,
  ) {}

  /** Records a fetch from `fetchOffset` while the leader's log ends at `leaderLogEndOffset`. */
  onFetch(fetchOffset: bigint, leaderLogEndOffset: bigint, nowMs: number): void {
    if (fetchOffset >= leaderLogEndOffset) {
      this.lastCaughtUpTimeMs = Math.max(this.lastCaughtUpTimeMs, nowMs);
    } else if (this.lastFetchTimeMs >= 0 && fetchOffset >= this.lastFetchLeaderLogEndOffset) {
      this.lastCaughtUpTimeMs = Math.max(this.lastCaughtUpTimeMs, this.lastFetchTimeMs);
    }
    this.logEndOffset = fetchOffset;
    this.lastFetchLeaderLogEndOffset = leaderLogEndOffset;
    this.lastFetchTimeMs = nowMs;
  }

  lagMs(nowMs: number): number {
    return nowMs - this.lastCaughtUpTimeMs;
  }
}
