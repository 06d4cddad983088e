// The Prometheus endpoints of a gateway and a broker with `metrics.port` set: per-API request
// counts and latency at the gateway; client bytes, under-replicated partitions and coordinator
// groups at the broker; ongoing and completed transactions of the transaction coordinator.
import { ApiKey, buildRecordBatch } from '@dms/kafka-codec';
import { GroupAdmin, KafkaClient } from '@dms/kafka-client';
import { freePort, waitFor } from '@dms/devcluster';
import { cleanup, startTestCluster, type TestCluster } from '@dms/testing';

jest.setTimeout(90_000);

let tc: TestCluster;
let client: KafkaClient;
let gatewayMetrics: number;
let brokerMetrics: number;

beforeAll(async () => {
  gatewayMetrics = await freePort();
  brokerMetrics = await freePort();
  tc = await startTestCluster({
    brokers: 1,
    controllers: 1,
    gateways: 1,
    config: { gateway: { 'metrics.port': gatewayMetrics }, broker: { 'metrics.port': brokerMetrics } },
  });
  client = new KafkaClient({ bootstrapServers: [tc.bootstrap], retries: 5 });
});

afterAll(async () => {
  client?.close();
  await cleanup();
});

async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

/** The value of the first sample whose name and labels match. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

it('the gateway counts requests and measures latency per API; the broker counts bytes and reports partitions and groups', async () => {
  expect(tc.cluster.service('gateway', 1).ports.metricsPort).toBe(gatewayMetrics);
  await client.createTopics([{ name: 'metered', numPartitions: 1 }]);
  const batch = await buildRecordBatch({ records: [{ value: Buffer.alloc(1000, 1) }] });
  for (let i = 0; i < 3; i++) await client.produce('metered', 0, batch);
  const fetched = await client.fetch('metered', 0, 0n);
  expect(fetched.records.length).toBeGreaterThan(0);
  expect(await new GroupAdmin(client).commitOffsets('metered-group', [{ topic: 'metered', partition: 0, offset: 3n }]))
    .toEqual([expect.objectContaining({ errorCode: 0 })]);

  const gw = await scrape(gatewayMetrics);
  expect(sample(gw, 'kafka_server_requests_total', { request: 'Produce', api_key: '0' })).toBe(3);
  expect(sample(gw, 'kafka_server_requests_total', { request: 'Fetch' })).toBeGreaterThanOrEqual(1);
  expect(gw).toMatch(/^kafka_server_request_latency_bucket\{.*request="Produce".*le="\+Inf".*\} 3$/m);
  expect(sample(gw, 'kafka_server_request_latency_count', { request: 'Produce' })).toBe(3);
  expect(sample(gw, 'kafka_server_request_bytes_total', { request: 'Produce' })).toBeGreaterThan(3000);
  // Kafka's socket-server metrics: the client's connection is open, and the fetch answer went out.
  expect(sample(gw, 'kafka_server_socket_server_metrics_connection_count')).toBeGreaterThanOrEqual(1);
  expect(sample(gw, 'kafka_server_socket_server_metrics_connection_creation_total')).toBeGreaterThanOrEqual(1);
  expect(sample(gw, 'kafka_server_socket_server_metrics_outgoing_byte_total')).toBeGreaterThan(fetched.records.length);

  const broker = await scrape(brokerMetrics);
  expect(sample(broker, 'kafka_server_bytes_in_total', { topic: 'metered' })).toBe(3 * batch.length);
  expect(sample(broker, 'kafka_server_bytes_out_total', { topic: 'metered' })).toBe(fetched.records.length);
  expect(sample(broker, 'kafka_server_under_replicated_partitions')).toBe(0);
  expect(sample(broker, 'kafka_server_partitions_leader')).toBeGreaterThanOrEqual(2);
  // No replication throttle set: rates at zero, no bound exported.
  expect(sample(broker, 'kafka_server_leaderreplication_byte_rate')).toBe(0);
  expect(sample(broker, 'kafka_server_followerreplication_byte_rate')).toBe(0);
  expect(sample(broker, 'kafka_server_replication_throttled_rate')).toBeUndefined();
  expect(sample(broker, 'kafka_coordinator_group_groups', { state: 'Empty' })).toBe(1);
  expect(sample(broker, 'kafka_coordinator_group_partitions')).toBeGreaterThan(0);
});

it('the broker reports its transaction coordinator: partitions held, ongoing transactions, completions by result', async () => {
  const conn = await client.anyBrokerConnection();
  await waitFor('the transaction coordinator', async () =>
    (await conn.request<any>(ApiKey.FindCoordinator, { key: 'metered-tx', keyType: 1 }, { version: 3 })).errorCode === 0, 30_000, 200);
  let init: any;
  await waitFor('a transactional producer id', async () => {
    init = await conn.request<any>(ApiKey.InitProducerId, { transactionalId: 'metered-tx', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }, { version: 4 });
    return init.errorCode === 0;
  }, 30_000, 200);
  const added = await conn.request<any>(ApiKey.AddPartitionsToTxn, {
    v3AndBelowTransactionalId: 'metered-tx', v3AndBelowProducerId: init.producerId, v3AndBelowProducerEpoch: init.producerEpoch,
    v3AndBelowTopics: [{ name: 'metered', partitions: [0] }],
  }, { version: 3 });
  expect(added.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode).toBe(0);
  const broker = await scrape(brokerMetrics);
  expect(sample(broker, 'kafka_coordinator_transaction_ongoing')).toBe(1);
  expect(sample(broker, 'kafka_coordinator_transaction_partitions')).toBeGreaterThan(0);
  expect(sample(broker, 'kafka_coordinator_transaction_completed_total', { result: 'committed' })).toBe(0);
  expect(sample(broker, 'kafka_coordinator_transaction_completed_total', { result: 'aborted' })).toBe(0);

  const ended = await conn.request<any>(ApiKey.EndTxn, { transactionalId: 'metered-tx', producerId: init.producerId, producerEpoch: init.producerEpoch, committed: true }, { version: 3 });
  expect(ended.errorCode).toBe(0);
  await waitFor('the commit counted', async () => sample(await scrape(brokerMetrics), 'kafka_coordinator_transaction_completed_total', { result: 'committed' }) === 1, 30_000, 200);
  expect(sample(await scrape(brokerMetrics), 'kafka_coordinator_transaction_ongoing')).toBe(0);
});
