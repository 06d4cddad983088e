import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { Meter } from '@opentelemetry/api';
import { MetricNames } from './metric-names';

const NS_PER_MS = 1e6;

/**
 * The event loop is every DMS process's network thread and request handler at once, so its delay
 * stands in for Kafka's request queue time and its idle share for NetworkProcessorAvgIdlePercent.
 * Both are measured over the interval since the previous scrape. Returns a stop function.
 */
export function eventLoopMetrics(meter: Meter): () => void {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let lastElu: EventLoopUtilization = performance.eventLoopUtilization();
  meter.createObservableGauge(MetricNames.eventLoopDelay, { description: 'Event-loop delay since the previous scrape, by quantile', unit: 'ms' })
    .addCallback((result) => {
      if (delay.count === 0) return;
      result.observe(delay.percentile(50) / NS_PER_MS, { quantile: '0.5' });
      result.observe(delay.percentile(99) / NS_PER_MS, { quantile: '0.99' });
      result.observe(delay.max / NS_PER_MS, { quantile: '1' });
      delay.reset();
    });
  meter.createObservableGauge(MetricNames.networkProcessorIdle, { description: 'Share of time the event loop was idle since the previous scrape' })
    .addCallback((result) => {
      const now = performance.eventLoopUtilization();
      const since = performance.eventLoopUtilization(now, lastElu);
      lastElu = now;
      result.observe(1 - since.utilization);
    });
  return () => delay.disable();
}
