// OTLP MetricsData as a real OpenTelemetry SDK encodes it, for specs: a meter provider with a
// pull reader, serialized by the OTLP exporter's protobuf serializer (ExportMetricsServiceRequest
// has MetricsData's layout).
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { Meter } from '@opentelemetry/api';

class PullReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** Records with `record(meter)` and returns the encoded MetricsData. */
export async function otlpPayload(record: (meter: Meter) => void, resource: Record<string, string> = { 'service.name': 'spec-client' }): Promise<Buffer> {
  const reader = new PullReader();
  const provider = new MeterProvider({ resource: resourceFromAttributes(resource), readers: [reader] });
  record(provider.getMeter('org.apache.kafka'));
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  const bytes = ProtobufMetricsSerializer.serializeRequest(resourceMetrics as ResourceMetrics);
  if (!bytes) throw new Error('serializer produced nothing');
  return Buffer.from(bytes);
}
