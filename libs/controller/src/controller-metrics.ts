import type { Meter } from '@opentelemetry/api';
import type { ClusterChange, ClusterView } from '@dms/cluster';
import { MetricNames } from '@dms/platform';

/**
 * The controller's view of the whole cluster (Kafka's KafkaController gauges and ControllerStats):
 * the leader reports them, standbys report zeros, so summing over controllers counts each
 * partition once. Offline partitions are those whose leader is none or a broker no longer
 * registered; a leader election is any partition whose leader moved to another live replica, as
 * the leader controller sees it in etcd (unclean when the new leader was outside the old ISR).
 */
export function controllerMetrics(meter: Meter, view: ClusterView, isLeader: () => boolean): void {
  const elections = meter.createCounter(MetricNames.leaderElections, { description: 'Partition leader changes seen by the controller leader' });
  const unclean = meter.createCounter(MetricNames.uncleanLeaderElections, { description: 'Leader changes to a replica outside the previous ISR' });
  elections.add(0);
  unclean.add(0);
  view.on('change', (c: ClusterChange) => {
    if (c.type !== 'put' || c.entry.value.kind !== 'partition' || c.previous?.value.kind !== 'partition' || !isLeader()) return;
    const before = c.previous.value.value;
    const after = c.entry.value.value;
    if (after.leader < 0 || after.leader === before.leader || after.leaderEpoch <= before.leaderEpoch) return;
    elections.add(1);
    if (!before.isr.includes(after.leader)) unclean.add(1);
  });

  const gauge = (name: string, description: string, value: () => number) =>
    meter.createObservableGauge(name, { description }).addCallback((result) => result.observe(isLeader() ? value() : 0));
  meter.createObservableGauge(MetricNames.activeControllerCount, { description: '1 on the controller leader, 0 on standbys' })
    .addCallback((result) => result.observe(isLeader() ? 1 : 0));
  gauge(MetricNames.offlinePartitions, 'Partitions without a live leader', () => {
    let n = 0;
    for (const { state } of view.allPartitions()) if (state.leader < 0 || !view.broker(state.leader)) n++;
    return n;
  });
  gauge(MetricNames.globalUnderReplicatedPartitions, 'Partitions whose ISR is smaller than the replica set', () => {
    let n = 0;
    // Kafka's rule during a move: the adding replicas (still copying) do not count.
    for (const { state } of view.allPartitions()) if (state.isr.length < state.replicas.length - (state.addingReplicas?.length ?? 0)) n++;
    return n;
  });
  gauge(MetricNames.globalPartitionCount, 'Partitions in the cluster', () => view.allPartitions().length);
  gauge(MetricNames.globalTopicCount, 'Topics in the cluster', () => view.topics().size);
  gauge(MetricNames.aliveBrokers, 'Storage brokers registered in etcd', () => view.brokers().length);
}
