// The OTLP decoder against payloads the OpenTelemetry SDK's own serializer writes, and against
// malformed input.
import { decodeMetricsData, OtlpDecodeError } from './otlp-metrics';
import { otlpPayload } from '@dms/testing';

describe('decodeMetricsData', () => {
  it('decodes gauges, monotonic and non-monotonic sums and histograms with their attributes', async () => {
    const payload = await otlpPayload((meter) => {
      meter.createCounter('org.apache.kafka.producer.record.send.total').add(42, { topic: 't1' });
      meter.createUpDownCounter('org.apache.kafka.producer.buffer.available').add(-3);
      meter.createGauge('org.apache.kafka.producer.record.queue.time.avg').record(1.5, { node_id: '7', ok: true as unknown as string });
      const h = meter.createHistogram('org.apache.kafka.producer.request.latency');
      h.record(10);
      h.record(30);
    }, { 'service.name': 'spec-client', 'client.id': 'c1' });
    const { resource, points } = decodeMetricsData(payload);
    expect(resource).toMatchObject({ 'service.name': 'spec-client', 'client.id': 'c1' });
    const byName = new Map(points.map((p) => [p.name, p]));
    expect(byName.get('org.apache.kafka.producer.record.send.total')).toMatchObject({ kind: 'counter', value: 42, attributes: { topic: 't1' } });
    expect(byName.get('org.apache.kafka.producer.buffer.available')).toMatchObject({ kind: 'gauge', value: -3 });
    expect(byName.get('org.apache.kafka.producer.record.queue.time.avg')).toMatchObject({ kind: 'gauge', value: 1.5, attributes: { node_id: '7', ok: 'true' } });
    expect(byName.get('org.apache.kafka.producer.request.latency')).toMatchObject({ kind: 'histogram', value: 40, count: 2 });
  });

  it('decodes an empty message to nothing', () => {
    expect(decodeMetricsData(Buffer.alloc(0))).toEqual({ resource: {}, points: [] });
  });

  it('throws OtlpDecodeError on truncated or malformed input, never anything else', async () => {
    const good = await otlpPayload((meter) => meter.createCounter('a.b').add(1));
    expect(() => decodeMetricsData(good.subarray(0, good.length - 3))).toThrow(OtlpDecodeError);
    expect(() => decodeMetricsData(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]))).toThrow(OtlpDecodeError);
    expect(() => decodeMetricsData(Buffer.from([0x0f]))).toThrow(OtlpDecodeError);
    // Random bytes: either decode or OtlpDecodeError.
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff);
    for (let i = 0; i < 500; i++) {
      const buf = Buffer.from(Array.from({ length: 1 + (i % 64) }, rnd));
      try {
        decodeMetricsData(buf);
      } catch (e) {
        expect(e).toBeInstanceOf(OtlpDecodeError);
      }
    }
  });
});
