import type { Meter } from '@opentelemetry/api';
import { GROUP_STATES, type GroupCoordinator } from '@dms/groups';
import { MetricNames } from '@dms/platform';
import type { CleanerTotals } from './log-cleaner';
import type { ReplicaManager } from './replica-manager';
import type { OfflineMarks } from './log-dir-failure';

/** What the storage service reports as it moves client bytes. */
export interface BrokerByteCounters {
  bytesIn(topic: string, bytes: number): void;
  bytesOut(topic: string, bytes: number): void;
}

/**
 * The broker's metrics: client bytes in and out per topic (Kafka's BytesInPerSec/BytesOutPerSec),
 * under-replicated and led partitions and producer ids in use (observed from the replicas at
 * scrape time), and the group
 * coordinator's groups per state and its offsets partitions.
 */
export function brokerMetrics(
  meter: Meter,
  replicas: ReplicaManager,
  coordinator: () => GroupCoordinator | undefined,
  cleaner: () => CleanerTotals | undefined = () => undefined,
  offline: () => OfflineMarks = () => ({ offlineLogDirs: [], offlineReplicas: {} }),
): BrokerByteCounters {
  const bytesIn = meter.createCounter(MetricNames.bytesIn, { description: 'Record batch bytes appended for clients', unit: 'By' });
  const bytesOut = meter.createCounter(MetricNames.bytesOut, { description: 'Record batch bytes returned to consumers', unit: 'By' });
  meter.createObservableGauge(MetricNames.underReplicatedPartitions, { description: 'Led partitions whose ISR is smaller than the replica set' })
    .addCallback((result) => {
      let under = 0;
      for (const r of replicas.all()) if (r.role === 'leader' && r.leader && r.leader.isr.length < r.leader.replicas.length) under++;
      result.observe(under);
    });
  meter.createObservableGauge(MetricNames.leaderPartitions, { description: 'Partitions this broker leads' })
    .addCallback((result) => {
      let led = 0;
      for (const r of replicas.all()) if (r.role === 'leader') led++;
      result.observe(led);
    });
  meter.createObservableGauge(MetricNames.producerIdCount, { description: 'Producer ids in the producer state of the partitions on this broker' })
    .addCallback((result) => {
      let n = 0;
      for (const r of replicas.all()) n += r.log.producers.producerCount;
      result.observe(n);
    });
  meter.createObservableGauge(MetricNames.groups, { description: 'Consumer groups this broker coordinates, by state' })
    .addCallback((result) => {
      const c = coordinator();
      if (!c) return;
      const counts = new Map<string, number>(GROUP_STATES.map((s) => [s, 0]));
      for (const g of c.listGroups([]).groups) counts.set(g.groupState, (counts.get(g.groupState) ?? 0) + 1);
      for (const [state, n] of counts) result.observe(n, { state });
    });
  meter.createObservableGauge(MetricNames.coordinatorPartitions, { description: '__consumer_offsets partitions this broker coordinates' })
    .addCallback((result) => result.observe(coordinator()?.loadedPartitions().length ?? 0));
  meter.createObservableCounter(MetricNames.cleanerBytes, { description: 'Segment bytes the log cleaner read and wrote', unit: 'By' })
    .addCallback((result) => {
      const t = cleaner();
      if (!t) return;
      result.observe(t.bytesRead, { direction: 'read' });
      result.observe(t.bytesWritten, { direction: 'written' });
    });
  meter.createObservableCounter(MetricNames.cleanerRounds, { description: 'Log cleaning rounds completed' })
    .addCallback((result) => result.observe(cleaner()?.rounds ?? 0));
  meter.createObservableCounter(MetricNames.cleanerBusyTime, { description: 'Time the log cleaner spent in rounds', unit: 'ms' })
    .addCallback((result) => result.observe(cleaner()?.busyMs ?? 0));
  meter.createObservableGauge(MetricNames.offlineLogDirectoryCount, { description: 'Log dirs taken offline after an I/O error' })
    .addCallback((result) => result.observe(offline().offlineLogDirs.length));
  meter.createObservableGauge(MetricNames.offlineReplicaCount, { description: 'Replicas assigned to this broker whose log dir is offline' })
    .addCallback((result) => {
      let n = 0;
      for (const ps of Object.values(offline().offlineReplicas)) n += ps.length;
      result.observe(n);
    });
  return {
    bytesIn: (topic, bytes) => bytesIn.add(bytes, { topic }),
    bytesOut: (topic, bytes) => bytesOut.add(bytes, { topic }),
  };
}
