import { EventEmitter } from 'node:events';
import type { PartitionLog } from '@dms/log';
import { ACK_NOT_ENOUGH_REPLICAS_AFTER_APPEND, ACK_OK, AckPurgatory, LeaderState } from '@dms/replication';
import { minInsyncReplicasOf } from './topic-settings';

export type ReplicaRole = 'leader' | 'follower' | 'none';

/**
 * One partition replica on this broker: its log and its current role. As leader it holds the
 * replication state (followers' progress, ISR, high watermark) and the appends waiting for it;
 * as follower it names the leader and epoch it fetches from. Role changes, follower appends and
 * truncations run one at a time through `serial` so none sees the log half-changed.
 *
 * Events: 'append' (the log end moved; also when the leader's log start offset moved, so
 * waiting follower fetches answer it), 'hw' (the high watermark moved).
 */
export class PartitionReplica extends EventEmitter {
  role: ReplicaRole = 'none';
  /** As leader: our epoch. As follower: the epoch of the leader we follow. */
  leaderEpoch = -1;
  /** The broker we follow (follower) or our own id (leader); -1 otherwise. */
  leaderId = -1;
  leader: LeaderState | undefined;
  readonly purgatory = new AckPurgatory();
  /** Follower fetching is paused until this time after the leader refused us. */
  retryFetchAt = 0;
  /** ISR changes are not re-sent before this time after the controller refused or was unreachable. */
  isrRetryAt = 0;
  private chain: Promise<unknown> = Promise.resolve();
  /** As leader: each follower's log start offset, as its fetches report it. */
  private readonly followerLogStarts = new Map<number, bigint>();
  private lowWatermarkWaiters: { offset: bigint; resolve: (reached: boolean) => void }[] = [];
  /** min.insync.replicas of `minIsrOf` (read on every high watermark move: parsed once per config map). */
  private minIsr = 0;
  private minIsrOf: Readonly<Record<string, string>> | undefined;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly topicId: string,
    readonly log: PartitionLog,
    /**
     * The effective topic config on this broker: every topic key Kafka has, resolved through
     * topic > per-broker > cluster default > static > default (see @dms/configs). Replaced as a
     * whole when topic or broker configs change.
     */
    public configs: Record<string, string>,
    public defaultMinInsyncReplicas = 1,
  ) {
    super();
    this.setMaxListeners(0);
  }

  get highWatermark(): bigint {
    return this.log.highWatermark;
  }

  get minInsyncReplicas(): number {
    // The configs are replaced as a whole when they change (ReplicaManager), never edited in place.
    if (this.minIsrOf !== this.configs) {
      this.minIsr = minInsyncReplicasOf(this.configs, this.defaultMinInsyncReplicas);
      this.minIsrOf = this.configs;
    }
    return this.minIsr;
  }

  /** Runs `fn` after every earlier serialized operation on this replica. */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** After a local append (leader): the ISR may be just us, so the high watermark may move. */
  onLocalAppend(): void {
    this.emit('append');
    if (this.leader) this.refreshHighWatermark();
  }

  /** A follower fetched from `fetchOffset`; updates its progress and the high watermark. */
  onFollowerFetch(replicaId: number, fetchOffset: bigint, nowMs: number): void {
    if (!this.leader) return;
    if (this.leader.onFollowerFetch(replicaId, fetchOffset, this.log.logEndOffset, nowMs)) this.publishHighWatermark();
  }

  /** A follower's fetch reported its log start offset. */
  onFollowerLogStart(replicaId: number, logStartOffset: bigint): void {
    if (this.followerLogStarts.get(replicaId) === logStartOffset) return;
    this.followerLogStarts.set(replicaId, logStartOffset);
    this.completeLowWatermarkWaiters();
  }

  /** This replica's log start offset moved (retention, DeleteRecords, following the leader). */
  onLogStartMoved(): void {
    // Followers waiting in a fetch long poll answer now and learn the new start.
    if (this.role === 'leader') this.emit('append');
    this.completeLowWatermarkWaiters();
  }

  /**
   * Kafka's low watermark: the smallest log start offset over the in-sync replicas (a follower
   * not heard from yet counts as -1). Only meaningful on the leader.
   */
  lowWatermark(): bigint {
    let low = this.log.logStartOffset;
    for (const id of this.leader?.isr ?? []) {
      if (id === this.leaderId) continue;
      const start = this.followerLogStarts.get(id) ?? -1n;
      if (start < low) low = start;
    }
    return low;
  }

  /** Resolves true once the low watermark reaches `offset`, false after `timeoutMs` or on losing leadership. */
  awaitLowWatermark(offset: bigint, timeoutMs: number): Promise<boolean> {
    if (this.role !== 'leader') return Promise.resolve(false);
    if (this.lowWatermark() >= offset) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = {
        offset,
        resolve: (reached: boolean) => {
          clearTimeout(timer);
          this.lowWatermarkWaiters = this.lowWatermarkWaiters.filter((w) => w !== waiter);
          resolve(reached);
        },
      };
      const timer = setTimeout(() => waiter.resolve(false), Math.max(0, timeoutMs));
      this.lowWatermarkWaiters.push(waiter);
    });
  }

  private completeLowWatermarkWaiters(): void {
    if (this.lowWatermarkWaiters.length === 0) return;
    const leading = this.role === 'leader';
    const low = this.lowWatermark();
    for (const w of [...this.lowWatermarkWaiters]) if (!leading || low >= w.offset) w.resolve(leading);
  }

  refreshHighWatermark(): void {
    if (this.leader?.updateHighWatermark(this.log.logEndOffset)) this.publishHighWatermark();
    else this.completeWaiters();
    this.completeLowWatermarkWaiters();
  }

  /** Resolves with a Kafka error code once `requiredOffset` is below the high watermark (or not). */
  awaitReplication(requiredOffset: bigint, timeoutMs: number, checkMinIsr: boolean): Promise<number> {
    const leader = this.leader;
    if (!leader) return Promise.resolve(6);
    if (leader.highWatermark >= requiredOffset) {
      return Promise.resolve(checkMinIsr && leader.isr.length < this.minInsyncReplicas ? ACK_NOT_ENOUGH_REPLICAS_AFTER_APPEND : ACK_OK);
    }
    return this.purgatory.wait(requiredOffset, timeoutMs, checkMinIsr);
  }

  private publishHighWatermark(): void {
    this.log.highWatermark = this.leader!.highWatermark;
    this.emit('hw');
    this.completeWaiters();
  }

  private completeWaiters(): void {
    if (!this.leader) return;
    this.purgatory.onProgress(this.leader.highWatermark, this.leader.isr.length, this.minInsyncReplicas);
  }
}
