import type { Meter } from '@opentelemetry/api';
import { MetricNames } from '@dms/platform';
import type { LagSample } from './consumer-lag';

/**
 * Consumer group lag under kafka_exporter's names (labels consumergroup, topic, partition), from
 * the collector's last round: only the group's coordinator has samples, so no series is reported
 * by two brokers.
 */
export function consumerLagMetrics(meter: Meter, samples: () => readonly LagSample[]): void {
  const labels = (s: LagSample) => ({ consumergroup: s.groupId, topic: s.topic, partition: s.partition });
  meter.createObservableGauge(MetricNames.consumerGroupCurrentOffset, { description: 'Committed offset of the group in the partition' })
    .addCallback((result) => {
      for (const s of samples()) result.observe(Number(s.committedOffset), labels(s));
    });
  meter.createObservableGauge(MetricNames.consumerGroupLag, { description: 'High watermark minus the committed offset' })
    .addCallback((result) => {
      for (const s of samples()) result.observe(Number(s.lag), labels(s));
    });
  meter.createObservableGauge(MetricNames.consumerGroupLagSum, { description: 'Lag of the group summed over the topic\'s partitions' })
    .addCallback((result) => {
      const sums = new Map<string, { consumergroup: string; topic: string; lag: number }>();
      for (const s of samples()) {
        const key = `${s.groupId}\0${s.topic}`;
        const e = sums.get(key) ?? { consumergroup: s.groupId, topic: s.topic, lag: 0 };
        e.lag += Number(s.lag);
        sums.set(key, e);
      }
      for (const { lag, ...l } of sums.values()) result.observe(lag, l);
    });
  meter.createObservableGauge(MetricNames.consumerGroupLagSeconds, { description: 'Age of the first record the group has not consumed; 0 when caught up', unit: 's' })
    .addCallback((result) => {
      for (const s of samples()) if (s.lagSeconds !== undefined) result.observe(s.lagSeconds, labels(s));
    });
}
