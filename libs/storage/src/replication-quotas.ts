import type { Meter } from '@opentelemetry/api';
import type { ClusterView } from '@dms/cluster';
import { MetricNames } from '@dms/platform';
import { isThrottled, ReplicationQuota } from '@dms/replication';
import type { PartitionReplica } from './partition-replica';
import type { ReplicaManager } from './replica-manager';

export const LEADER_THROTTLED_RATE = 'leader.replication.throttled.rate';
export const FOLLOWER_THROTTLED_RATE = 'follower.replication.throttled.rate';
export const LEADER_THROTTLED_REPLICAS = 'leader.replication.throttled.replicas';
export const FOLLOWER_THROTTLED_REPLICAS = 'follower.replication.throttled.replicas';

function rateOf(value: string | null): number {
  const n = value === null ? NaN : Number(value);
  return Number.isFinite(n) ? n : Number.POSITIVE_INFINITY;
}

function intOf(value: string | null, fallback: number): number {
  const n = value === null ? NaN : Number(value);
  return Number.isInteger(n) && n >= 1 ? n : fallback;
}

/**
 * This broker's two replication quotas (Kafka's QuotaType.LeaderReplication and
 * FollowerReplication) and the decisions made with them. The rates are dynamic broker configs,
 * re-read whenever etcd's view was applied; which replicas they apply to are the topics'
 * throttled-replica lists in each replica's effective configs. Followers in the ISR are never
 * held back (their bytes still count, as in Kafka), so acks=all latency does not depend on a move.
 */
export class BrokerReplicationQuotas {
  readonly leader: ReplicationQuota;
  readonly follower: ReplicationQuota;
  private readonly onRoles = () => this.refresh();

  constructor(
    private readonly replicas: Pick<ReplicaManager, 'brokerConfig' | 'brokerId' | 'on' | 'off'>,
    private readonly view: Pick<ClusterView, 'partitions'>,
    now?: () => number,
  ) {
    const windowNum = intOf(replicas.brokerConfig('replication.quota.window.num'), 11);
    const windowSizeMs = intOf(replicas.brokerConfig('replication.quota.window.size.seconds'), 1) * 1_000;
    this.leader = new ReplicationQuota({ windowNum, windowSizeMs, now });
    this.follower = new ReplicationQuota({ windowNum, windowSizeMs, now });
    this.refresh();
  }

  start(): void {
    this.replicas.on('roles', this.onRoles);
    this.refresh();
  }

  stop(): void {
    this.replicas.off('roles', this.onRoles);
  }

  /** Re-reads both rates (per-broker > cluster default > static > unbounded). */
  refresh(): void {
    this.leader.updateQuota(rateOf(this.replicas.brokerConfig(LEADER_THROTTLED_RATE)));
    this.follower.updateQuota(rateOf(this.replicas.brokerConfig(FOLLOWER_THROTTLED_RATE)));
  }

  /** As leader: this partition's traffic counts against the leader quota. */
  leaderThrottled(r: PartitionReplica): boolean {
    return isThrottled(r.configs[LEADER_THROTTLED_REPLICAS], r.partition, this.replicas.brokerId);
  }

  /** As leader: hold back what is served to `followerId` now (throttled, out of the ISR, quota exceeded). */
  shouldLeaderThrottle(r: PartitionReplica, followerId: number): boolean {
    if (!this.leader.bounded || !this.leaderThrottled(r)) return false;
    if (r.leader?.isr.includes(followerId)) return false;
    return this.leader.isQuotaExceeded();
  }

  /** As follower: this partition's fetches count against the follower quota. */
  followerThrottled(r: PartitionReplica): boolean {
    return isThrottled(r.configs[FOLLOWER_THROTTLED_REPLICAS], r.partition, this.replicas.brokerId);
  }

  /** As follower: leave this partition out of the next fetch (throttled, out of the ISR, quota exceeded). */
  shouldFollowerThrottle(r: PartitionReplica): boolean {
    if (!this.follower.bounded || !this.followerThrottled(r)) return false;
    if (this.view.partitions(r.topic).get(r.partition)?.isr.includes(this.replicas.brokerId)) return false;
    return this.follower.isQuotaExceeded();
  }
}

/** The quotas' measured rates, bounds and bytes (Kafka's LeaderReplication/FollowerReplication byte-rate). */
export function replicationQuotaMetrics(meter: Meter, quotas: BrokerReplicationQuotas): void {
  meter.createObservableGauge(MetricNames.leaderReplicationByteRate, { description: 'Bytes per second moved as leader for throttled replicas', unit: 'By/s' })
    .addCallback((r) => r.observe(quotas.leader.rate()));
  meter.createObservableGauge(MetricNames.followerReplicationByteRate, { description: 'Bytes per second fetched as follower for throttled replicas', unit: 'By/s' })
    .addCallback((r) => r.observe(quotas.follower.rate()));
  meter.createObservableGauge(MetricNames.replicationThrottledRate, { description: 'Replication throttle in force, bytes per second', unit: 'By/s' })
    .addCallback((r) => {
      if (quotas.leader.bounded) r.observe(quotas.leader.upperBound, { direction: 'leader' });
      if (quotas.follower.bounded) r.observe(quotas.follower.upperBound, { direction: 'follower' });
    });
  meter.createObservableCounter(MetricNames.replicationThrottledBytes, { description: 'Bytes moved for throttled replicas', unit: 'By' })
    .addCallback((r) => {
      r.observe(quotas.leader.totalBytes, { direction: 'leader' });
      r.observe(quotas.follower.totalBytes, { direction: 'follower' });
    });
}
