import type { Attributes, Meter } from '@opentelemetry/api';
import { apiName } from '@dms/kafka-handlers';
import { SoftwareLabels, type ClientSoftware } from './client-software';
import { LATENCY_BUCKETS_MS, MetricNames } from '@dms/platform';

/** The API's Kafka name (Produce, Fetch, ...) for the `request` label, as Kafka's RequestMetrics. */
const requestName = (apiKey: number): string => apiName(apiKey);

/** Request count of one (api key, version) and request bytes of one api key, since start. */
interface ApiTotals {
  /** Attributes of the `request` label alone, built once: the latency histogram reuses them. */
  readonly attrs: Attributes;
  bytes: number;
  /** Requests by api version. */
  readonly byVersion: Map<number, number>;
}

/**
 * Per-API request count, bytes, latency and failures at the Kafka edge. Counts and bytes are plain
 * numbers read by observable counters at collection: a synchronous counter hashes its attributes
 * and allocates on every add, twice per request here (see the broker's partition-traffic.ts).
 */
export function gatewayRequestMetrics(meter: Meter) {
  const totals = new Map<number, ApiTotals>();
  const totalsOf = (apiKey: number): ApiTotals => {
    let t = totals.get(apiKey);
    if (!t) totals.set(apiKey, (t = { attrs: { request: requestName(apiKey) }, bytes: 0, byVersion: new Map() }));
    return t;
  };
  meter.createObservableCounter(MetricNames.requests, { description: 'Kafka requests received' }).addCallback((result) => {
    for (const [apiKey, t] of totals) {
      for (const [version, n] of t.byVersion) result.observe(n, { request: t.attrs.request, api_key: apiKey, api_version: version });
    }
  });
  meter.createObservableCounter(MetricNames.requestBytes, { description: 'Kafka request bytes received', unit: 'By' }).addCallback((result) => {
    for (const t of totals.values()) result.observe(t.bytes, t.attrs);
  });
  const latency = meter.createHistogram(MetricNames.requestLatency, {
    description: 'Time from a decoded Kafka request to its answer',
    unit: 'ms',
    advice: { explicitBucketBoundaries: LATENCY_BUCKETS_MS },
  });
  const errors = meter.createCounter(MetricNames.requestErrors, { description: 'Kafka requests whose handler failed' });
  const unsupported = meter.createCounter(MetricNames.unsupportedRequests, { description: 'Kafka requests for an API or version the gateway does not serve' });
  const software = new SoftwareLabels();
  return {
    onRequest(apiKey: number, version: number, bytes: number): void {
      const t = totalsOf(apiKey);
      t.byVersion.set(version, (t.byVersion.get(version) ?? 0) + 1);
      t.bytes += bytes;
    },
    onResponse(apiKey: number, ms: number, failed: boolean): void {
      const { attrs } = totalsOf(apiKey);
      latency.record(ms, attrs);
      if (failed) errors.add(1, attrs);
    },
    onUnsupported(apiKey: number, version: number, client: ClientSoftware): void {
      const { name, version: softwareVersion } = software.labels(client);
      unsupported.add(1, {
        request: requestName(apiKey), api_key: apiKey, api_version: version,
        client_software_name: name, client_software_version: softwareVersion,
      });
    },
  };
}
