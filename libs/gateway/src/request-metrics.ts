import type { Meter } from '@opentelemetry/api';
import { apiName } from '@dms/kafka-handlers';
import { SoftwareLabels, type ClientSoftware } from './client-software';
import { LATENCY_BUCKETS_MS, MetricNames } from '@dms/platform';

/** The API's Kafka name (Produce, Fetch, ...) for the `request` label, as Kafka's RequestMetrics. */
const requestName = (apiKey: number): string => apiName(apiKey);

/** Per-API request count, bytes, latency and failures at the Kafka edge. */
export function gatewayRequestMetrics(meter: Meter) {
  const requests = meter.createCounter(MetricNames.requests, { description: 'Kafka requests received' });
  const requestBytes = meter.createCounter(MetricNames.requestBytes, { description: 'Kafka request bytes received', unit: 'By' });
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
      const request = requestName(apiKey);
      requests.add(1, { request, api_key: apiKey, api_version: version });
      requestBytes.add(bytes, { request });
    },
    onResponse(apiKey: number, ms: number, failed: boolean): void {
      const request = requestName(apiKey);
      latency.record(ms, { request });
      if (failed) errors.add(1, { request });
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
