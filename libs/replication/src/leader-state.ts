import { FollowerProgress } from './follower-progress';
import { nextHighWatermark } from './high-watermark';
import { laggingReplicas, mayRejoinIsr } from './isr-policy';

export interface LeaderStateInit {
  leaderId: number;
  leaderEpoch: number;
  /** Log end offset when this leader's epoch began: followers must reach it to rejoin the ISR. */
  epochStartOffset: bigint;
  replicas: readonly number[];
  isr: readonly number[];
  partitionEpoch: number;
  highWatermark: bigint;
  nowMs: number;
}

/**
 * A leader's view of its partition's replication: each follower's progress, the ISR as etcd
 * holds it (plus an ISR change in flight), and the high watermark. Pure: time and the leader's
 * log end offset are passed in.
 *
 * While an ISR change is in flight the high watermark is computed over the larger of the two
 * sets (Kafka's "maximal ISR"): a follower being added counts at once, one being removed keeps
 * counting until the controller has committed its removal, so the high watermark never gets
 * ahead of what the committed ISR holds.
 */
export class LeaderState {
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly epochStartOffset: bigint;
  replicas: number[];
  isr: number[];
  partitionEpoch: number;
  highWatermark: bigint;
  /** The ISR sent to the controller and not yet answered. */
  pendingIsr: number[] | undefined;
  readonly followers = new Map<number, FollowerProgress>();
  /** Which of several joining replicas the next ISR change proposes. */
  private joinTurn = 0;
  /** A follower's log end offset as its last fetch said (-1 before any); one function, not one per call. */
  private readonly followerLogEndOffset = (id: number): bigint => this.followers.get(id)?.logEndOffset ?? -1n;

  constructor(init: LeaderStateInit) {
    this.leaderId = init.leaderId;
    this.leaderEpoch = init.leaderEpoch;
    this.epochStartOffset = init.epochStartOffset;
    this.replicas = [...init.replicas];
    this.isr = [...init.isr];
    this.partitionEpoch = init.partitionEpoch;
    this.highWatermark = init.highWatermark;
    for (const id of init.replicas) if (id !== init.leaderId) this.followers.set(id, new FollowerProgress(id, init.nowMs));
  }

  /** ISR members plus those an in-flight change adds. */
  maximalIsr(): readonly number[] {
    if (!this.pendingIsr) return this.isr;
    const out = [...this.isr];
    for (const id of this.pendingIsr ?? []) if (!out.includes(id)) out.push(id);
    return out;
  }

  /** Records a follower fetch; returns true when the high watermark advanced. */
  onFollowerFetch(replicaId: number, fetchOffset: bigint, leaderLogEndOffset: bigint, nowMs: number): boolean {
    const f = this.followers.get(replicaId);
    if (!f) return false;
    f.onFetch(fetchOffset, leaderLogEndOffset, nowMs);
    return this.updateHighWatermark(leaderLogEndOffset);
  }

  /** Recomputes the high watermark (after a local append or an ISR change); true when it moved. */
  updateHighWatermark(leaderLogEndOffset: bigint): boolean {
    const next = nextHighWatermark(this.highWatermark, this.leaderId, leaderLogEndOffset, this.maximalIsr(), this.followerLogEndOffset);
    if (next === this.highWatermark) return false;
    this.highWatermark = next;
    return true;
  }

  /**
   * The ISR the leader should ask for now, or undefined when it is right: lagging members out,
   * one caught-up replica in. Nothing while a change is in flight.
   *
   * As Kafka's leader (which expands the ISR for the follower whose fetch caught up), a change
   * adds one replica; when several may join they take turns, so a controller that refuses one
   * of them (INELIGIBLE_REPLICA: not alive in its view yet) does not keep the others out.
   */
  wantedIsr(nowMs: number, replicaLagTimeMaxMs: number): number[] | undefined {
    if (this.pendingIsr) return undefined;
    const lagging = laggingReplicas(this.leaderId, this.isr, this.followers, nowMs, replicaLagTimeMaxMs);
    const joining = this.replicas.filter((id) => {
      if (id === this.leaderId || this.isr.includes(id)) return false;
      const f = this.followers.get(id);
      return !!f && mayRejoinIsr(f, this.highWatermark, this.epochStartOffset) && f.lagMs(nowMs) <= replicaLagTimeMaxMs;
    });
    if (lagging.length === 0 && joining.length === 0) return undefined;
    const kept = this.isr.filter((id) => !lagging.includes(id));
    if (joining.length === 0) return kept;
    return [...kept, joining[this.joinTurn++ % joining.length]!];
  }

  /** The controller committed (or etcd shows) this ISR at this partition epoch. */
  applyCommitted(isr: readonly number[], partitionEpoch: number, replicas: readonly number[] = this.replicas): void {
    if (partitionEpoch < this.partitionEpoch) return;
    this.isr = [...isr];
    this.partitionEpoch = partitionEpoch;
    this.replicas = [...replicas];
    for (const id of replicas) if (id !== this.leaderId && !this.followers.has(id)) this.followers.set(id, new FollowerProgress(id, 0));
    this.pendingIsr = undefined;
  }
}
