import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { Meter } from '@opentelemetry/api';
import { MetricNames } from './metric-names';

const NS_PER_MS = 1e6;
const IDLE_WINDOW_MS = 1000;

/**
 * The event loop is every DMS process's network thread and request handler at once, so its delay
 * stands in for Kafka's request queue time and its idle share for NetworkProcessorAvgIdlePercent.
 * The delay is measured over the interval since the previous scrape. The idle share is measured
 * over a window of one to two seconds ending at the scrape, as Kafka's meter averages over a
 * window: measured since the previous scrape, two scrapes a few milliseconds apart (a poller, a
 * dashboard opening) would report the busy instant between them, 0. Returns a stop function.
 */
export function eventLoopMetrics(meter: Meter): () => void {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  // Two marks a second apart: the idle share is measured from the older, 1–2 s before the scrape.
  let older: EventLoopUtilization = performance.eventLoopUtilization();
  let newer = older;
  const rotate = setInterval(() => {
    older = newer;
    newer = performance.eventLoopUtilization();
  }, IDLE_WINDOW_MS);
  rotate.unref();
  meter.createObservableGauge(MetricNames.eventLoopDelay, { description: 'Event-loop delay since the previous scrape, by quantile', unit: 'ms' })
    .addCallback((result) => {
      if (delay.count === 0) return;
      result.observe(delay.percentile(50) / NS_PER_MS, { quantile: '0.5' });
      result.observe(delay.percentile(99) / NS_PER_MS, { quantile: '0.99' });
      result.observe(delay.max / NS_PER_MS, { quantile: '1' });
      delay.reset();
    });
  meter.createObservableGauge(MetricNames.networkProcessorIdle, { description: 'Share of time the event loop was idle over the last 1–2 s' })
    .addCallback((result) => {
      const since = performance.eventLoopUtilization(performance.eventLoopUtilization(), older);
      result.observe(1 - since.utilization);
    });
  return () => {
    clearInterval(rotate);
    delay.disable();
  };
}
