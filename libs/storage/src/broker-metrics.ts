import type { Meter } from '@opentelemetry/api';
import { GROUP_STATES, type GroupCoordinator } from '@dms/groups';
import { MetricNames, type LiveGauges } from '@dms/platform';
import type { CleanerTotals } from './log-cleaner';
import type { ReplicaManager } from './replica-manager';
import type { OfflineMarks } from './log-dir-failure';
import { logDirDiskMetrics, partitionMetrics } from './partition-metrics';
import { PartitionTraffic } from './partition-traffic';

/** What the storage service and the ISR updater report as they work. */
export interface BrokerByteCounters {
  bytesIn(topic: string, partition: number, bytes: number, records: number): void;
  bytesOut(topic: string, partition: number, bytes: number): void;
  /** A consumer fetch started (+1) or stopped (-1) waiting for data. */
  fetchWaiting(delta: 1 | -1): void;
  /** The controller accepted an ISR change of a partition this broker leads. */
  isrChanged(shrunk: boolean): void;
}

/**
 * The broker's metrics: client bytes and records in and out per partition (Kafka's
 * BytesInPerSec/BytesOutPerSec/MessagesInPerSec), ISR shrinks and expands, the per-partition and
 * replication gauges of partition-metrics.ts, log dir disk space, producer ids in use, the group
 * coordinator's groups per state and its offsets partitions, the cleaner and offline log dirs.
 */
export function brokerMetrics(
  meter: Meter,
  gauges: LiveGauges,
  replicas: ReplicaManager,
  coordinator: () => GroupCoordinator | undefined,
  cleaner: () => CleanerTotals | undefined = () => undefined,
  offline: () => OfflineMarks = () => ({ offlineLogDirs: [], offlineReplicas: {} }),
  logDirs: () => readonly string[] = () => [],
  traffic: PartitionTraffic = new PartitionTraffic(),
): BrokerByteCounters {
  meter.createObservableCounter(MetricNames.bytesIn, { description: 'Record batch bytes appended for clients', unit: 'By' })
    .addCallback((result) => traffic.observe((t) => t.bytesIn, (v, attrs) => result.observe(v, attrs)));
  meter.createObservableCounter(MetricNames.bytesOut, { description: 'Record batch bytes returned to consumers', unit: 'By' })
    .addCallback((result) => traffic.observe((t) => t.bytesOut, (v, attrs) => result.observe(v, attrs)));
  meter.createObservableCounter(MetricNames.messagesIn, { description: 'Records appended for clients' })
    .addCallback((result) => traffic.observe((t) => t.messagesIn, (v, attrs) => result.observe(v, attrs)));
  const shrinks = meter.createCounter(MetricNames.isrShrinks, { description: 'ISR shrinks of partitions this broker leads' });
  const expands = meter.createCounter(MetricNames.isrExpands, { description: 'ISR expansions of partitions this broker leads' });
  // Created at zero so rate() and increase() see the series from the start.
  shrinks.add(0);
  expands.add(0);
  let fetchesWaiting = 0;
  partitionMetrics(meter, gauges, replicas, () => fetchesWaiting);
  logDirDiskMetrics(meter, logDirs);
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
    bytesIn: (topic, partition, bytes, records) => {
      const t = traffic.of(topic, partition);
      t.bytesIn += bytes;
      t.messagesIn += records;
    },
    bytesOut: (topic, partition, bytes) => {
      traffic.of(topic, partition).bytesOut += bytes;
    },
    fetchWaiting: (delta) => {
      fetchesWaiting += delta;
    },
    isrChanged: (shrunk) => (shrunk ? shrinks : expands).add(1),
  };
}

/** Without a meter: only the per-partition traffic totals (the load reporter's bytes-in rates read them). */
export function trafficCounters(traffic: PartitionTraffic): BrokerByteCounters {
  return {
    bytesIn: (topic, partition, bytes, records) => {
      const t = traffic.of(topic, partition);
      t.bytesIn += bytes;
      t.messagesIn += records;
    },
    bytesOut: (topic, partition, bytes) => {
      traffic.of(topic, partition).bytesOut += bytes;
    },
    fetchWaiting: () => undefined,
    isrChanged: () => undefined,
  };
}
