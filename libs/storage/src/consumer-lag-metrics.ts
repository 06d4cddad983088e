import { MetricNames, type LiveGauges } from '@dms/platform';
import type { LagSample } from './consumer-lag';

/**
 * Consumer group lag under kafka_exporter's names (labels consumergroup, topic, partition), from
 * the collector's last round: only the group's coordinator has samples, so no series is reported
 * by two brokers, and a group that moved or went away disappears from the next scrape.
 */
export function consumerLagMetrics(gauges: LiveGauges, samples: () => readonly LagSample[]): void {
  const labels = (s: LagSample) => ({ consumergroup: s.groupId, topic: s.topic, partition: s.partition });
  gauges.register(MetricNames.consumerGroupCurrentOffset, 'Committed offset of the group in the partition', () =>
    samples().map((s) => ({ labels: labels(s), value: Number(s.committedOffset) })));
  gauges.register(MetricNames.consumerGroupLag, 'High watermark minus the committed offset', () =>
    samples().map((s) => ({ labels: labels(s), value: Number(s.lag) })));
  gauges.register(MetricNames.consumerGroupLagSum, 'Lag of the group summed over the topic\'s partitions', () => {
    const sums = new Map<string, { labels: { consumergroup: string; topic: string }; value: number }>();
    for (const s of samples()) {
      const key = `${s.groupId}\0${s.topic}`;
      const e = sums.get(key) ?? { labels: { consumergroup: s.groupId, topic: s.topic }, value: 0 };
      e.value += Number(s.lag);
      sums.set(key, e);
    }
    return sums.values();
  });
  gauges.register(MetricNames.consumerGroupLagSeconds, 'Age of the first record the group has not consumed in seconds; 0 when caught up', () =>
    samples().filter((s) => s.lagSeconds !== undefined).map((s) => ({ labels: labels(s), value: s.lagSeconds! })));
}
