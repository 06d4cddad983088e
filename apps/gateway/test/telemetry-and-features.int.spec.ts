// Client telemetry (KIP-714) and cluster features against a real cluster: `dms client-metrics`
// defines a subscription (stored in etcd through the controller), a client asks for its
// subscription and pushes OTLP metrics on the wire (with our client: no client on this machine
// speaks KIP-714), and the pushed series show up on the gateway's /metrics labelled with the
// client's instance id and principal; a changed subscription makes the old id unknown; a second
// gateway takes a push for an instance it never saw when the subscription id is current.
// `dms features` describes the features ApiVersions reports and downgrades/upgrades one, recorded
// in etcd and seen by a fresh connection.
import { compress, CompressionType } from '@dms/kafka-codec';
import { ErrorCode, getTelemetrySubscriptions, KafkaClient, pushTelemetry } from '@dms/kafka-client';
import { cleanup, otlpPayload, runCli, startTestCluster, type TestCluster } from '@dms/testing';

jest.setTimeout(120_000);

let tc: TestCluster;
let client: KafkaClient;
let metricsPort: number;

beforeAll(async () => {
  tc = await startTestCluster({ brokers: 1, controllers: 1, gateways: 2, metrics: true });
  metricsPort = tc.cluster.service('gateway', 1).ports.metricsPort!;
  client = new KafkaClient({ bootstrapServers: [tc.bootstrap], clientId: 'telemetry-spec', retries: 5 });
});

afterAll(async () => {
  client?.close();
  await cleanup();
});

const cli = (args: string[]) => runCli([...args, '--bootstrap-server', tc.bootstrap], { timeoutMs: 30_000 });

async function scrape(port = metricsPort): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

describe('client metrics (KIP-714)', () => {
  it('subscriptions made with dms client-metrics select clients, whose pushes appear on /metrics', async () => {
    const alter = await cli(['client-metrics', '--alter', '--name', 'producers', '--metrics', 'org.apache.kafka.producer.', '--interval', '1000', '--match', 'client_id=telemetry-.*']);
    expect({ code: alter.code, stderr: alter.stderr, stdout: alter.stdout }).toEqual({ code: 0, stderr: '', stdout: 'Altered client metrics config for producers.\n' });
    const bad = await cli(['client-metrics', '--alter', '--name', 'bad', '--match', 'client_colour=red']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/INVALID_CONFIG|Illegal client matching pattern/);
    const list = await cli(['client-metrics', '--list']);
    expect(list.stdout).toBe('producers\n');
    const described = await cli(['client-metrics', '--describe', '--name', 'producers', '--json']);
    expect(JSON.parse(described.stdout)).toEqual({ producers: { 'interval.ms': '1000', match: 'client_id=telemetry-.*', metrics: 'org.apache.kafka.producer.' } });

    const sub = await getTelemetrySubscriptions(client);
    expect(sub.errorCode).toBe(ErrorCode.NONE);
    expect(sub.requestedMetrics).toEqual(['org.apache.kafka.producer.']);
    expect(sub.pushIntervalMs).toBe(1000);
    expect(sub.acceptedCompressionTypes).toContain(CompressionType.Zstd);
    const metrics = await otlpPayload((meter) => {
      meter.createCounter('org.apache.kafka.producer.record.send.total').add(17, { topic: 'orders' });
      meter.createGauge('org.apache.kafka.producer.record.queue.time.avg').record(3.25);
      meter.createGauge('org.apache.kafka.consumer.fetch.latency.avg').record(1);
    });
    const push = { clientInstanceId: sub.clientInstanceId, subscriptionId: sub.subscriptionId, compressionType: CompressionType.Zstd, metrics: await compress(CompressionType.Zstd, metrics) };
    expect(await pushTelemetry(client, push)).toBe(ErrorCode.NONE);
    // At once again: before the interval.
    expect(await pushTelemetry(client, push)).toBe(ErrorCode.THROTTLING_QUOTA_EXCEEDED);
    expect(await pushTelemetry(client, { ...push, compressionType: 0, metrics: Buffer.from([0x0a, 0x09]) })).toBe(ErrorCode.THROTTLING_QUOTA_EXCEEDED);

    const text = await scrape();
    const instance = Buffer.from(sub.clientInstanceId.replace(/-/g, ''), 'hex').toString('base64url');
    const line = text.split('\n').find((l) => l.startsWith('org_apache_kafka_producer_record_send_total{'));
    expect(line).toBeDefined();
    expect(line).toContain(`client_instance_id="${instance}"`);
    expect(line).toContain('principal="User:ANONYMOUS"');
    expect(line).toContain('client_id="telemetry-spec"');
    expect(line).toContain('topic="orders"');
    expect(line!.endsWith(' 17')).toBe(true);
    expect(text).toContain('org_apache_kafka_producer_record_queue_time_avg{');
    expect(text).not.toContain('org_apache_kafka_consumer_fetch_latency_avg');
    expect(text).toMatch(/^kafka_server_client_metrics_plugin_export_total\{[^}]*\} 1$/m);
    expect(text).toMatch(/^kafka_server_client_metrics_instance_count\{[^}]*\} 1$/m);

    // The subscription changes: the client's id is unknown until it asks again.
    expect((await cli(['client-metrics', '--alter', '--name', 'producers', '--interval', '2000'])).code).toBe(0);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await pushTelemetry(client, push)).toBe(ErrorCode.UNKNOWN_SUBSCRIPTION_ID);
    const again = await getTelemetrySubscriptions(client, sub.clientInstanceId);
    expect(again).toMatchObject({ errorCode: ErrorCode.NONE, clientInstanceId: sub.clientInstanceId, pushIntervalMs: 2000 });
    expect(again.subscriptionId).not.toBe(sub.subscriptionId);
    expect(await pushTelemetry(client, { ...push, subscriptionId: again.subscriptionId, compressionType: 0, metrics: Buffer.from([0x0a, 0x09]) })).toBe(ErrorCode.INVALID_RECORD);

    // Another gateway never saw the instance; the subscription id is current, so it takes the push.
    const gw2 = tc.cluster.service('gateway', 2);
    const client2 = new KafkaClient({ bootstrapServers: [`127.0.0.1:${gw2.ports.kafkaPort}`], clientId: 'telemetry-spec', retries: 5 });
    try {
      expect(await pushTelemetry(client2, { ...push, subscriptionId: again.subscriptionId })).toBe(ErrorCode.NONE);
    } finally {
      client2.close();
    }
    expect(await scrape(gw2.ports.metricsPort!)).toContain(`client_instance_id="${instance}"`);

    const del = await cli(['client-metrics', '--delete', '--name', 'producers']);
    expect(del.stdout).toBe('Deleted client metrics config for producers.\n');
    expect((await cli(['client-metrics', '--list'])).stdout).toBe('');
    const none = await getTelemetrySubscriptions(client);
    expect(none.requestedMetrics).toEqual([]);
  });
});

describe('features', () => {
  it('dms features describes, downgrades and upgrades transaction.version, recorded in etcd', async () => {
    const describe = await cli(['features', 'describe']);
    expect(describe.code).toBe(0);
    expect(describe.stdout).toMatch(/^Feature: transaction\.version\tSupportedMinVersion: 0\tSupportedMaxVersion: 1\tFinalizedVersionLevel: 1\tEpoch: \d+$/m);
    expect(describe.stdout).toMatch(/^Feature: group\.version\tSupportedMinVersion: 0\tSupportedMaxVersion: \d\t/m);

    const refused = await cli(['features', 'upgrade', '--feature', 'transaction.version=2']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/Could not upgrade transaction\.version to 2\. INVALID_UPDATE_VERSION: .*supported range is 0-1/);
    const notDown = await cli(['features', 'upgrade', '--feature', 'transaction.version=0']);
    expect(notDown.stdout).toMatch(/without setting the upgrade type/);

    const dry = await cli(['features', 'downgrade', '--feature', 'transaction.version=0', '--dry-run']);
    expect(dry.stdout).toBe('transaction.version can be downgraded to 0.\n');
    const down = await cli(['features', 'downgrade', '--feature', 'transaction.version=0']);
    expect({ code: down.code, stdout: down.stdout }).toEqual({ code: 0, stdout: 'transaction.version was downgraded to 0.\n' });

    // A fresh connection sees the level etcd now holds.
    const json = JSON.parse((await cli(['features', 'describe', '--json'])).stdout) as { name: string; finalizedVersionLevel: number; epoch: number }[];
    const tv = json.find((f) => f.name === 'transaction.version')!;
    expect(tv.finalizedVersionLevel).toBe(0);
    expect(tv.epoch).toBeGreaterThan(0);

    const up = await cli(['features', 'upgrade', '--feature', 'transaction.version=1']);
    expect(up.stdout).toBe('transaction.version was upgraded to 1.\n');
    const after = JSON.parse((await cli(['features', 'describe', '--json'])).stdout) as { name: string; finalizedVersionLevel: number; epoch: number }[];
    expect(after.find((f) => f.name === 'transaction.version')).toMatchObject({ finalizedVersionLevel: 1 });
    expect(after.find((f) => f.name === 'transaction.version')!.epoch).toBeGreaterThan(tv.epoch);
  });
});
