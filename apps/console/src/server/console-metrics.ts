import type { Meter } from '@opentelemetry/api';
import { LATENCY_BUCKETS_MS, MetricNames } from '@dms/platform';

/** What the console counts: HTTP requests, sessions, refused logins and message searches. */
export interface ConsoleMetrics {
  onResponse(route: string, method: string, status: number, ms: number): void;
  onLoginFailure(mechanism: string): void;
  onSearch(mode: string, source: 'fetch' | 'key_index', bytesRead: number): void;
}

/** No metrics endpoint (metrics.port 0): nothing is counted. */
export const noConsoleMetrics: ConsoleMetrics = { onResponse() {}, onLoginFailure() {}, onSearch() {} };

export function consoleMetrics(meter: Meter, sessionCount: () => number): ConsoleMetrics {
  const requests = meter.createCounter(MetricNames.consoleHttpRequests, { description: 'HTTP requests the console answered' });
  const latency = meter.createHistogram(MetricNames.consoleHttpLatency, {
    description: 'Time from an HTTP request to its answer',
    unit: 'ms',
    advice: { explicitBucketBoundaries: LATENCY_BUCKETS_MS },
  });
  const sessions = meter.createObservableGauge(MetricNames.consoleSessions, { description: 'Login sessions open now' });
  sessions.addCallback((r) => r.observe(sessionCount()));
  const loginFailures = meter.createCounter(MetricNames.consoleLoginFailures, { description: 'Logins the cluster refused' });
  const searches = meter.createCounter(MetricNames.consoleSearches, { description: 'Message searches' });
  const searchBytes = meter.createCounter(MetricNames.consoleSearchBytes, { description: 'Bytes message searches read', unit: 'By' });
  return {
    onResponse(route, method, status, ms) {
      requests.add(1, { route, method, status: String(status) });
      latency.record(ms, { route });
    },
    onLoginFailure(mechanism) {
      loginFailures.add(1, { mechanism });
    },
    onSearch(mode, source, bytesRead) {
      searches.add(1, { mode, source });
      searchBytes.add(bytesRead, { mode, source });
    },
  };
}
