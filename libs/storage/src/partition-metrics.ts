import { statfsSync } from 'node:fs';
import type { Meter } from '@opentelemetry/api';
import { MetricNames, type GaugeSample, type LiveGauges } from '@dms/platform';
import type { PartitionReplica } from './partition-replica';
import type { ReplicaManager } from './replica-manager';

/**
 * Per-partition gauges read from the replicas at scrape time (live gauges: a replica that moved
 * away or a deleted topic leaves the next scrape): every local replica's log size and
 * start/end offsets (Kafka's Log metrics, reported by leaders and followers alike, as Kafka does),
 * and, from the leader only so no series is reported twice, the partition's high watermark and
 * log start offset under kafka_exporter's names. Also the replication state counts and the
 * produce purgatory, which live on the replicas too.
 */
export function partitionMetrics(meter: Meter, gauges: LiveGauges, replicas: ReplicaManager, fetchPurgatorySize: () => number): void {
  const labels = (r: { topic: string; partition: number }) => ({ topic: r.topic, partition: r.partition });
  const each = (pick: (r: PartitionReplica) => number | undefined) => () => {
    const out: GaugeSample[] = [];
    for (const r of replicas.all()) {
      const value = pick(r);
      if (value !== undefined) out.push({ labels: labels(r), value });
    }
    return out;
  };
  gauges.register(MetricNames.logSize, 'Bytes of the replica\'s log on this broker', each((r) => r.log.size()));
  gauges.register(MetricNames.logStartOffset, 'Log start offset of the replica on this broker', each((r) => Number(r.log.logStartOffset)));
  gauges.register(MetricNames.logEndOffset, 'Log end offset of the replica on this broker', each((r) => Number(r.log.logEndOffset)));
  gauges.register(MetricNames.partitionCurrentOffset, 'High watermark of the partitions this broker leads',
    each((r) => (r.role === 'leader' ? Number(r.highWatermark) : undefined)));
  gauges.register(MetricNames.partitionOldestOffset, 'Log start offset of the partitions this broker leads',
    each((r) => (r.role === 'leader' ? Number(r.log.logStartOffset) : undefined)));
  meter.createObservableGauge(MetricNames.underReplicatedPartitions, { description: 'Led partitions whose ISR is smaller than the replica set' })
    .addCallback((result) => {
      let under = 0;
      for (const r of replicas.all()) if (r.role === 'leader' && r.leader && r.leader.isr.length < r.leader.replicas.length) under++;
      result.observe(under);
    });
  meter.createObservableGauge(MetricNames.underMinIsrPartitions, { description: 'Led partitions whose ISR is below min.insync.replicas' })
    .addCallback((result) => {
      let under = 0;
      for (const r of replicas.all()) if (r.role === 'leader' && r.leader && r.leader.isr.length < r.minInsyncReplicas) under++;
      result.observe(under);
    });
  meter.createObservableGauge(MetricNames.leaderPartitions, { description: 'Partitions this broker leads' })
    .addCallback((result) => {
      let led = 0;
      for (const r of replicas.all()) if (r.role === 'leader') led++;
      result.observe(led);
    });
  meter.createObservableGauge(MetricNames.purgatorySize, { description: 'Requests waiting: Produce for acks=all, Fetch for data (long polls)' })
    .addCallback((result) => {
      let produce = 0;
      for (const r of replicas.all()) produce += r.purgatory.size;
      result.observe(produce, { delayed_operation: 'Produce' });
      result.observe(fetchPurgatorySize(), { delayed_operation: 'Fetch' });
    });
}

/** Used, free and total bytes of each log dir's file system (a failing statfs skips that dir). */
export function logDirDiskMetrics(meter: Meter, logDirs: () => readonly string[]): void {
  const stat = (dir: string) => {
    try {
      const s = statfsSync(dir);
      return { total: s.blocks * s.bsize, free: s.bavail * s.bsize, used: (s.blocks - s.bfree) * s.bsize };
    } catch {
      return undefined; // an offline or missing dir: the offline log dir count reports it
    }
  };
  const gauge = (name: string, description: string, pick: (s: { total: number; free: number; used: number }) => number) =>
    meter.createObservableGauge(name, { description, unit: 'By' }).addCallback((result) => {
      for (const dir of logDirs()) {
        const s = stat(dir);
        if (s) result.observe(pick(s), { log_dir: dir });
      }
    });
  gauge(MetricNames.logDirUsedBytes, 'Bytes in use on the log dir\'s file system', (s) => s.used);
  gauge(MetricNames.logDirFreeBytes, 'Bytes free for this process on the log dir\'s file system', (s) => s.free);
  gauge(MetricNames.logDirTotalBytes, 'Size of the log dir\'s file system', (s) => s.total);
}
