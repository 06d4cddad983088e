import { ErrorCode } from '@dms/kafka-errors';
import type { Logger } from '@dms/platform';
import type { ControllerClient } from './controller-client';
import type { PartitionReplica } from './partition-replica';
import type { ReplicaManager } from './replica-manager';

export interface IsrUpdaterOptions {
  replicas: ReplicaManager;
  controller: Pick<ControllerClient, 'alterPartition'>;
  brokerId: number;
  /** Kafka's replica.lag.time.max.ms. */
  replicaLagTimeMaxMs: number;
  logger: Logger;
  /** The controller accepted a change: fewer replicas in the ISR (shrunk) or more. */
  onIsrChange?: (shrunk: boolean) => void;
}

/**
 * The leader side of ISR management: drops followers that lagged longer than
 * replica.lag.time.max.ms and re-admits those that caught up, each change sent to the controller
 * (AlterPartition, a compare-and-set on the partition epoch). Until the controller answers, the
 * old ISR stays in force; a refused or failed change is simply re-evaluated on the next check,
 * so an etcd outage only delays ISR changes.
 */
export class IsrUpdater {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: IsrUpdaterOptions) {}

  start(): void {
    const every = Math.max(50, Math.min(1000, Math.floor(this.opts.replicaLagTimeMaxMs / 2)));
    this.timer = setInterval(() => {
      for (const r of this.opts.replicas.all()) if (r.role === 'leader') this.check(r);
    }, every);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Sends the ISR change this leader wants now, if any (at most one in flight per partition). */
  check(r: PartitionReplica): void {
    const leader = r.leader;
    if (!leader || r.role !== 'leader' || Date.now() < r.isrRetryAt) return;
    const wanted = leader.wantedIsr(Date.now(), this.opts.replicaLagTimeMaxMs);
    if (!wanted) return;
    leader.pendingIsr = wanted;
    const sent = { leaderEpoch: leader.leaderEpoch, partitionEpoch: leader.partitionEpoch };
    void this.opts.controller
      .alterPartition(
        {
          brokerId: this.opts.brokerId,
          partitions: [{ topic: r.topic, partition: r.partition, leaderEpoch: sent.leaderEpoch, newIsr: wanted, partitionEpoch: sent.partitionEpoch }],
        },
        5_000,
      )
      .then(
        (res) => {
          const p = res.partitions[0];
          if (r.leader !== leader) return; // leadership moved meanwhile
          if (leader.pendingIsr === wanted) leader.pendingIsr = undefined;
          if (!p || p.errorCode !== ErrorCode.NONE) {
            r.isrRetryAt = Date.now() + 500;
            this.opts.logger.info({ topic: r.topic, partition: r.partition, wanted, errorCode: p?.errorCode, message: p?.errorMessage }, 'ISR change refused');
            return;
          }
          this.opts.logger.info({ topic: r.topic, partition: r.partition, isr: p.isr, partitionEpoch: p.partitionEpoch }, 'ISR changed');
          const before = leader.isr.length;
          leader.applyCommitted(p.isr, p.partitionEpoch);
          if (p.isr.length !== before) this.opts.onIsrChange?.(p.isr.length < before);
          r.refreshHighWatermark();
          if (leader.isr.length < r.minInsyncReplicas) r.purgatory.onIsrBelowMin();
        },
        (err) => {
          if (leader.pendingIsr === wanted) leader.pendingIsr = undefined;
          r.isrRetryAt = Date.now() + 1_000;
          this.opts.logger.warn({ topic: r.topic, partition: r.partition, err: (err as Error).message }, 'could not reach the controller for an ISR change; will retry');
        },
      );
  }
}
