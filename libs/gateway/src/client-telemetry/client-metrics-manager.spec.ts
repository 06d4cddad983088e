// KIP-714 on the gateway with fake time: instance ids, subscription matching and ids, the push
// interval, size and compression checks, what /metrics shows, the series limits and eviction.
import { compress, CompressionType } from '@dms/kafka-codec';
import { ErrorCode } from '@dms/kafka-errors';
import type { TelemetryClient } from '@dms/kafka-handlers';
import { ClientMetricsManager } from './client-metrics-manager';
import { otlpPayload } from '@dms/testing';
import { kafkaUuidString } from './subscriptions';

const ZERO = '00000000-0000-0000-0000-000000000000';
const client: TelemetryClient = {
  clientId: 'producer-1', softwareName: 'apache-kafka-java', softwareVersion: '3.9.0', sourceAddress: '127.0.0.1', sourcePort: 50000, principal: 'User:alice',
};

function setup(subs: Record<string, Record<string, string>>, limits: { maxBytes?: number; maxSeriesPerClient?: number; maxSeries?: number } = {}) {
  let now = 1_000_000;
  const configs = new Map(Object.entries(subs));
  const m = new ClientMetricsManager({
    maxBytes: limits.maxBytes ?? 1_048_576,
    maxSeriesPerClient: limits.maxSeriesPerClient ?? 1000,
    maxSeries: limits.maxSeries ?? 10_000,
    subscriptions: () => configs,
    now: () => now,
  });
  return { m, configs, advance: (ms: number) => (now += ms) };
}

const payload = () => otlpPayload((meter) => {
  meter.createCounter('org.apache.kafka.producer.record.send.total').add(5, { topic: 'orders' });
  meter.createGauge('org.apache.kafka.producer.record.queue.time.avg').record(2.5);
  meter.createGauge('org.apache.kafka.consumer.fetch.latency.avg').record(9);
});

describe('ClientMetricsManager', () => {
  it('gives the zero uuid a fresh instance id and the merged subscription of the matching subscriptions', () => {
    const { m } = setup({
      producers: { metrics: 'org.apache.kafka.producer.', 'interval.ms': '60000', match: 'client_software_name=apache-kafka-.*' },
      latency: { metrics: 'org.apache.kafka.consumer.fetch', 'interval.ms': '30000' },
      others: { metrics: '*', match: 'client_id=consumer-.*' },
    });
    const res = m.getSubscriptions(client, ZERO);
    expect(res.errorCode).toBe(ErrorCode.NONE);
    expect(res.clientInstanceId).not.toBe(ZERO);
    expect(res.requestedMetrics).toEqual(['org.apache.kafka.consumer.fetch', 'org.apache.kafka.producer.']);
    expect(res.pushIntervalMs).toBe(30_000);
    expect(res.acceptedCompressionTypes).toEqual([CompressionType.Zstd, CompressionType.Lz4, CompressionType.Gzip, CompressionType.Snappy]);
    const other = m.getSubscriptions({ ...client, clientId: 'consumer-2' }, ZERO);
    expect(other.requestedMetrics).toEqual(['']);
    expect(other.subscriptionId).not.toBe(res.subscriptionId);
  });

  it('answers no metrics and the default interval when nothing matches', () => {
    const { m } = setup({ s: { metrics: '*', match: 'client_software_name=librdkafka' } });
    const res = m.getSubscriptions(client, ZERO);
    expect(res.requestedMetrics).toEqual([]);
    expect(res.pushIntervalMs).toBe(300_000);
  });

  it('takes a push, exports the requested metrics labelled with instance and principal, and throttles early pushes', async () => {
    const { m, advance } = setup({ s: { metrics: 'org.apache.kafka.producer.', 'interval.ms': '1000' } });
    const sub = m.getSubscriptions(client, ZERO);
    const push = { clientInstanceId: sub.clientInstanceId, subscriptionId: sub.subscriptionId, terminating: false, compressionType: 0, metrics: await payload() };
    expect(await m.push(client, push)).toBe(ErrorCode.NONE);
    const text = m.render();
    const id = kafkaUuidString(sub.clientInstanceId);
    expect(text).toContain('# TYPE org_apache_kafka_producer_record_send_total counter');
    expect(text).toContain(`org_apache_kafka_producer_record_send_total{topic="orders",client_instance_id="${id}",principal="User:alice",client_id="producer-1",client_software_name="apache-kafka-java",client_software_version="3.9.0"} 5`);
    expect(text).toContain('org_apache_kafka_producer_record_queue_time_avg{');
    expect(text).not.toContain('consumer_fetch'); // not subscribed
    expect(await m.push(client, push)).toBe(ErrorCode.THROTTLING_QUOTA_EXCEEDED);
    advance(1000);
    expect(await m.push(client, push)).toBe(ErrorCode.NONE);
    // A Get before the interval is throttled too.
    expect(m.getSubscriptions(client, sub.clientInstanceId).errorCode).toBe(ErrorCode.THROTTLING_QUOTA_EXCEEDED);
  });

  it('refuses unknown subscriptions, the zero id, oversize, bad compression and undecodable payloads with Kafka codes', async () => {
    const { m, configs, advance } = setup({ s: { metrics: '*', 'interval.ms': '100' } }, { maxBytes: 2000 });
    const sub = m.getSubscriptions(client, ZERO);
    const base = { clientInstanceId: sub.clientInstanceId, subscriptionId: sub.subscriptionId, terminating: false, compressionType: 0, metrics: await payload() };
    expect(await m.push(client, { ...base, clientInstanceId: ZERO })).toBe(ErrorCode.INVALID_REQUEST);
    expect(await m.push(client, { ...base, subscriptionId: sub.subscriptionId + 1 })).toBe(ErrorCode.UNKNOWN_SUBSCRIPTION_ID);
    expect(await m.push(client, { ...base, compressionType: 9 })).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    advance(100);
    expect(await m.push(client, { ...base, metrics: Buffer.alloc(2001) })).toBe(ErrorCode.TELEMETRY_TOO_LARGE);
    advance(100);
    expect(await m.push(client, { ...base, metrics: Buffer.from([0x0a, 0x05, 0x01]) })).toBe(ErrorCode.INVALID_RECORD);
    advance(100);
    expect(await m.push(client, { ...base, compressionType: CompressionType.Zstd, metrics: await compress(CompressionType.Zstd, await payload()) })).toBe(ErrorCode.NONE);
    expect(m.render()).toContain('org_apache_kafka_consumer_fetch_latency_avg');
    // The subscription changes: the old id is unknown; asking again (at once) gives the new one.
    configs.set('s', { metrics: 'org.apache.kafka.consumer.', 'interval.ms': '100' });
    advance(100);
    expect(await m.push(client, base)).toBe(ErrorCode.UNKNOWN_SUBSCRIPTION_ID);
    const again = m.getSubscriptions(client, sub.clientInstanceId);
    expect(again.errorCode).toBe(ErrorCode.NONE);
    expect(again.clientInstanceId).toBe(sub.clientInstanceId);
    expect(again.subscriptionId).not.toBe(sub.subscriptionId);
    expect(await m.push(client, { ...base, subscriptionId: again.subscriptionId, compressionType: CompressionType.Gzip, metrics: await compress(CompressionType.Gzip, await payload()) })).toBe(ErrorCode.NONE);
    // A terminating push is taken at once; nothing after it.
    expect(await m.push(client, { ...base, subscriptionId: again.subscriptionId, terminating: true })).toBe(ErrorCode.NONE);
    advance(100);
    expect(await m.push(client, { ...base, subscriptionId: again.subscriptionId })).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('drops pushed metrics named like the gateway\'s own series, so no metric family repeats', async () => {
    const { m } = setup({ s: { metrics: '*' } });
    const sub = m.getSubscriptions(client, ZERO);
    const metrics = await otlpPayload((meter) => {
      meter.createCounter('kafka.server.requests').add(1);
      meter.createGauge('process.cpu').record(1);
      meter.createGauge('org.apache.kafka.client.ok').record(1);
    });
    expect(await m.push(client, { clientInstanceId: sub.clientInstanceId, subscriptionId: sub.subscriptionId, terminating: false, compressionType: 0, metrics })).toBe(ErrorCode.NONE);
    const text = m.render();
    expect(text).toContain('org_apache_kafka_client_ok{');
    expect(text).not.toMatch(/^kafka_|^process_/m);
  });

  it('keeps series within the per-client and total limits', async () => {
    const { m } = setup({ s: { metrics: '*' } }, { maxSeriesPerClient: 2, maxSeries: 3 });
    const a = m.getSubscriptions(client, ZERO);
    const b = m.getSubscriptions({ ...client, clientId: 'p2' }, ZERO);
    const metrics = await payload();
    expect(await m.push(client, { clientInstanceId: a.clientInstanceId, subscriptionId: a.subscriptionId, terminating: false, compressionType: 0, metrics })).toBe(ErrorCode.NONE);
    expect(m.store.seriesCount).toBe(2);
    expect(await m.push({ ...client, clientId: 'p2' }, { clientInstanceId: b.clientInstanceId, subscriptionId: b.subscriptionId, terminating: false, compressionType: 0, metrics })).toBe(ErrorCode.NONE);
    expect(m.store.seriesCount).toBe(3);
  });

  it('drops a client\'s series after twice its interval without a push, and forgets it after three', async () => {
    const { m, advance } = setup({ s: { metrics: '*', 'interval.ms': '1000' } });
    const sub = m.getSubscriptions(client, ZERO);
    await m.push(client, { clientInstanceId: sub.clientInstanceId, subscriptionId: sub.subscriptionId, terminating: false, compressionType: 0, metrics: await payload() });
    advance(1500);
    expect(m.render()).toContain(kafkaUuidString(sub.clientInstanceId));
    advance(600);
    expect(m.render()).toBe('');
    expect(m.store.clientCount).toBe(0);
  });

  it('takes a push for an instance it never saw (another gateway answered the Get) when the subscription id is current', async () => {
    const gw1 = setup({ s: { metrics: '*', 'interval.ms': '1000' } });
    const gw2 = setup({ s: { metrics: '*', 'interval.ms': '1000' } });
    const sub = gw1.m.getSubscriptions(client, ZERO);
    const push = { clientInstanceId: sub.clientInstanceId, subscriptionId: sub.subscriptionId, terminating: false, compressionType: 0, metrics: await payload() };
    expect(await gw2.m.push(client, push)).toBe(ErrorCode.NONE);
    expect(await gw2.m.push(client, { ...push, subscriptionId: 1 })).toBe(ErrorCode.UNKNOWN_SUBSCRIPTION_ID);
  });
});
