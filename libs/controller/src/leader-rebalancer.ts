import { errMessage, replicaOnline, silentLog, type ClusterView, type Log } from '@dms/cluster';
import { ErrorCode } from '@dms/kafka-errors';
import { rebalanceCandidates } from '@dms/replication';
import type { ElectionResult, ElectionTarget } from './elect-leaders';

export interface LeaderRebalancerOptions {
  view: ClusterView;
  /** `leader.imbalance.check.interval.seconds`, in ms. */
  intervalMs: number;
  /** `leader.imbalance.per.broker.percentage`. */
  imbalancePercentage: number;
  /** True while this controller leads (the check runs only then). */
  isLeader: () => boolean;
  elect: (targets: ElectionTarget[]) => Promise<ElectionResult[]>;
  log?: Log;
}

/**
 * Kafka's `auto.leader.rebalance.enable`: every interval the leading controller looks for
 * brokers leading fewer of their preferred partitions than the allowed imbalance, and moves
 * leadership back where the preferred replica is alive and in the ISR (after a failed broker
 * returned and caught up). One check at a time; a failed check just waits for the next tick.
 */
export class LeaderRebalancer {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly log: Log;

  constructor(private readonly opts: LeaderRebalancerOptions) {
    this.log = opts.log ?? silentLog;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.check(), this.opts.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One imbalance check; resolves with the partitions it moved. */
  async check(): Promise<ElectionTarget[]> {
    const { view } = this.opts;
    if (this.running || !this.opts.isLeader()) return [];
    this.running = true;
    try {
      const chosen = rebalanceCandidates(view.allPartitions(), ({ topic, partition }) => {
        const written = view.partitionRevision(topic, partition);
        return { isLive: (id) => replicaOnline(view.broker(id), topic, partition), restartedSince: (id) => (view.brokerEpoch(id) ?? 0n) > written };
      }, this.opts.imbalancePercentage);
      if (chosen.length === 0) return [];
      const results = await this.opts.elect(chosen.map(({ topic, partition }) => ({ topic, partition })));
      const moved = results.filter((r) => r.errorCode === ErrorCode.NONE);
      this.log.info({ moved: moved.map((r) => `${r.topic}-${r.partition}`), asked: chosen.length }, 'auto leader rebalance');
      return moved.map(({ topic, partition }) => ({ topic, partition }));
    } catch (e) {
      this.log.warn({ err: errMessage(e) }, 'auto leader rebalance failed; retrying at the next check');
      return [];
    } finally {
      this.running = false;
    }
  }
}
