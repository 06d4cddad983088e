// Consumer group lag read from the Prometheus endpoints alone, on a real cluster of two brokers:
// the group's coordinator (and only it) reports kafka_consumergroup_lag = high watermark minus
// committed offset for each partition, including the one led by the other broker, plus the lag
// in seconds (for the remote partition too, from its leader); both drop to 0 once the rest is
// committed. Killing the other broker moves the
// controller's offline count and the survivor's under-replicated count.
import { buildRecordBatch } from '@dms/kafka-codec';
import { GroupAdmin, KafkaClient } from '@dms/kafka-client';
import { freePort, waitFor } from '@dms/devcluster';
import { cleanup, startTestCluster, type TestCluster } from '@dms/testing';

jest.setTimeout(120_000);

let tc: TestCluster;
let client: KafkaClient;
const brokerPorts = new Map<number, number>();
let controllerPort: number;

beforeAll(async () => {
  for (const id of [1, 2]) brokerPorts.set(id, await freePort());
  controllerPort = await freePort();
  tc = await startTestCluster({
    brokers: 2,
    controllers: 1,
    gateways: 1,
    config: {
      broker: (id: number) => ({
        'metrics.port': brokerPorts.get(id)!,
        'metrics.consumer.lag.interval.ms': 200,
        'etcd.lease.ttl.ms': 3000,
        'replica.lag.time.max.ms': 1500,
      }),
      controller: { 'metrics.port': controllerPort, 'etcd.lease.ttl.ms': 3000 },
    },
  });
  client = new KafkaClient({ bootstrapServers: [tc.bootstrap], retries: 5, requestTimeoutMs: 10_000 });
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

/** Every sample of `name` whose labels include `labels`, with all its labels. */
function samples(text: string, name: string, labels: Record<string, string> = {}): Array<{ labels: Record<string, string>; value: number }> {
  const out: Array<{ labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const l: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) l[k!] = v!;
    if (Object.entries(labels).every(([k, v]) => l[k] === v)) out.push({ labels: l, value: Number(m[3]) });
  }
  return out;
}

const one = (text: string, name: string, labels: Record<string, string> = {}): number | undefined => {
  const s = samples(text, name, labels);
  return s.length === 1 ? s[0]!.value : undefined;
};

const brokerIds = [1, 2];

it('reports per-partition lag on the coordinator only, equal to HW - committed, and 0 once caught up', async () => {
  const topic = 'lagged';
  const group = 'lag-group';
  const [created] = await client.createTopics([{ name: topic, numPartitions: 2, replicationFactor: 1 }]);
  expect(created!.errorCode).toBe(0);
  for (let i = 0; i < 10; i++) {
    for (const p of [0, 1]) await client.produce(topic, p, await buildRecordBatch({ records: [{ value: Buffer.from(`r${i}`) }] }));
  }
  // Consume part of each partition and commit it as the group.
  const fetched = await client.fetch(topic, 0, 0n);
  expect(fetched.records.length).toBeGreaterThan(0);
  const admin = new GroupAdmin(client);
  const commit = async (offsets: [number, bigint][]) =>
    expect(await admin.commitOffsets(group, offsets.map(([partition, offset]) => ({ topic, partition, offset }))))
      .toEqual(offsets.map(() => expect.objectContaining({ errorCode: 0 })));
  await commit([[0, 4n], [1, 7n]]);

  // Leaders report each partition's high watermark; two partitions over two brokers.
  const leaderOf = new Map<number, number>();
  await waitFor('each partition\'s high watermark from its leader', async () => {
    for (const id of brokerIds) {
      for (const s of samples(await scrape(brokerPorts.get(id)!), 'kafka_topic_partition_current_offset', { topic })) {
        expect(s.value).toBe(10);
        leaderOf.set(Number(s.labels.partition), id);
      }
    }
    return leaderOf.size === 2;
  }, 30_000, 200);

  // Exactly one broker (the coordinator) reports the group's lag.
  let coordinator = -1;
  await waitFor('the group\'s lag on its coordinator', async () => {
    const reporting = [];
    for (const id of brokerIds) {
      const text = await scrape(brokerPorts.get(id)!);
      if (samples(text, 'kafka_consumergroup_lag', { consumergroup: group }).length > 0) reporting.push(id);
    }
    expect(reporting.length).toBeLessThanOrEqual(1);
    if (reporting.length !== 1) return false;
    coordinator = reporting[0]!;
    const text = await scrape(brokerPorts.get(coordinator)!);
    return one(text, 'kafka_consumergroup_lag', { consumergroup: group, topic, partition: '0' }) === 6
      && one(text, 'kafka_consumergroup_lag', { consumergroup: group, topic, partition: '1' }) === 3;
  }, 30_000, 200);

  const text = await scrape(brokerPorts.get(coordinator)!);
  for (const [p, committed] of [[0, 4], [1, 7]] as const) {
    const labels = { consumergroup: group, topic, partition: String(p) };
    const hw = one(await scrape(brokerPorts.get(leaderOf.get(p)!)!), 'kafka_topic_partition_current_offset', { topic, partition: String(p) });
    expect(one(text, 'kafka_consumergroup_current_offset', labels)).toBe(committed);
    expect(one(text, 'kafka_consumergroup_lag', labels)).toBe(hw! - committed);
  }
  expect(one(text, 'kafka_consumergroup_lag_sum', { consumergroup: group, topic })).toBe(9);
  // Every lagging partition has a record age above 0 s: read locally where the coordinator leads
  // it, asked of the leader for the one led by the other broker (the two are on different brokers).
  expect(new Set(leaderOf.values()).size).toBe(2);
  const remote = [0, 1].find((p) => leaderOf.get(p) !== coordinator)!;
  await waitFor('the lag in seconds of both partitions, the remote one included', async () => {
    const t = await scrape(brokerPorts.get(coordinator)!);
    return [0, 1].every((p) => (one(t, 'kafka_consumergroup_lag_seconds', { consumergroup: group, topic, partition: String(p) }) ?? 0) > 0);
  }, 30_000, 200);
  // It grows with the wall clock while the commit stands (the record at the commit gets older).
  const remoteAge = async () => one(await scrape(brokerPorts.get(coordinator)!), 'kafka_consumergroup_lag_seconds', { consumergroup: group, topic, partition: String(remote) })!;
  const firstAge = await remoteAge();
  await waitFor('the remote partition\'s lag in seconds growing', async () => (await remoteAge()) > firstAge, 30_000, 200);

  await commit([[0, 10n], [1, 10n]]);
  await waitFor('the lag back to 0', async () => {
    const t = await scrape(brokerPorts.get(coordinator)!);
    return [0, 1].every((p) => one(t, 'kafka_consumergroup_lag', { consumergroup: group, topic, partition: String(p) }) === 0
      && one(t, 'kafka_consumergroup_lag_seconds', { consumergroup: group, topic, partition: String(p) }) === 0);
  }, 30_000, 200);

  // Under-replicated and offline counts when a broker dies: a replicated partition on both brokers
  // and the dead broker's own single-replica partition.
  // Two partitions on two brokers: leaders go round robin, so the victim leads one of them.
  const [replicated] = await client.createTopics([{ name: 'replicated', numPartitions: 2, replicationFactor: 2, configs: { 'min.insync.replicas': '2' } }]);
  expect(replicated!.errorCode).toBe(0);
  for (const p of [0, 1]) await client.produce('replicated', p, await buildRecordBatch({ records: [{ value: Buffer.from('x') }] }));
  const electionsBefore = one(await scrape(controllerPort), 'kafka_controller_leader_elections_total')!;
  const controller0 = await scrape(controllerPort);
  expect(one(controller0, 'kafka_controller_active_controller_count')).toBe(1);
  expect(one(controller0, 'kafka_controller_offline_partitions_count')).toBe(0);
  expect(one(controller0, 'kafka_controller_global_topic_count')).toBeGreaterThanOrEqual(2);
  for (const id of brokerIds) expect(one(await scrape(brokerPorts.get(id)!), 'kafka_server_under_replicated_partitions')).toBe(0);

  const victim = brokerIds.find((id) => id !== coordinator)!;
  await tc.cluster.kill('broker', victim, 'SIGKILL');
  await waitFor('the dead broker\'s partitions offline at the controller', async () =>
    (one(await scrape(controllerPort), 'kafka_controller_offline_partitions_count') ?? 0) >= 1, 30_000, 200);
  // The survivor leads the replicated partition with an ISR of one (and any internal topic
  // partitions replicated to the dead broker too).
  await waitFor('the replicated partition under-replicated on the survivor', async () =>
    (one(await scrape(brokerPorts.get(coordinator)!), 'kafka_server_under_replicated_partitions') ?? 0) >= 1, 30_000, 200);
  // With one replica left, both partitions of the replicated topic are below min.insync.replicas.
  await waitFor('under min ISR on the survivor', async () =>
    one(await scrape(brokerPorts.get(coordinator)!), 'kafka_server_under_min_isr_partitions') === 2, 30_000, 200);
  expect(one(await scrape(brokerPorts.get(coordinator)!), 'kafka_server_isr_shrinks_total')).toBeGreaterThanOrEqual(1);
  const controller1 = await scrape(controllerPort);
  expect(one(controller1, 'kafka_controller_global_under_replicated_partitions')).toBeGreaterThanOrEqual(1);
  expect(one(controller1, 'kafka_controller_alive_brokers')).toBe(1);
  // The victim's replicated partition moved to the survivor: an election, a clean one.
  await waitFor('the leader election counted', async () =>
    one(await scrape(controllerPort), 'kafka_controller_leader_elections_total')! > electionsBefore, 30_000, 200);
  expect(one(await scrape(controllerPort), 'kafka_controller_unclean_leader_elections_total')).toBe(0);
});

it('every process reports its event loop, and the broker its log dirs and purgatories', async () => {
  const text = await scrape(controllerPort);
  expect(one(text, 'kafka_network_processor_avg_idle_percent')).toBeGreaterThan(0);
  expect(one(text, 'kafka_network_processor_avg_idle_percent')).toBeLessThanOrEqual(1);
  const alive = brokerIds.find((id) => tc.cluster.service('broker', id).running) ?? 1;
  const broker = await scrape(brokerPorts.get(alive)!);
  expect(samples(broker, 'kafka_network_event_loop_delay', { quantile: '0.99' })).toHaveLength(1);
  const [used] = samples(broker, 'kafka_log_dir_used_bytes');
  const [free] = samples(broker, 'kafka_log_dir_free_bytes');
  expect(used!.value).toBeGreaterThan(0);
  expect(free!.value).toBeGreaterThan(0);
  expect(one(broker, 'kafka_server_purgatory_size', { delayed_operation: 'Produce' })).toBe(0);
  expect(one(broker, 'kafka_server_purgatory_size', { delayed_operation: 'Fetch' })).toBeGreaterThanOrEqual(0);
  expect(samples(broker, 'kafka_log_log_size', { topic: 'lagged' }).length).toBeGreaterThanOrEqual(1);
  expect(samples(broker, 'kafka_server_messages_in_total', { topic: 'lagged' }).every((s) => s.value === 10)).toBe(true);
});
