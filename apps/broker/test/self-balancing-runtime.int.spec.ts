// The self-balancer's keys changed at runtime and a decommission arriving in the middle of balance
// moves, across real processes (etcd, one controller, brokers added as the test goes, a gateway),
// with short intervals: auto.balance.enable set to false on the cluster-default BROKER resource ""
// (IncrementalAlterConfigs) stops new moves, true resumes them; a broker decommissioned while
// throttled balance copies run onto it has those copies cancelled, never completed and drained.
import { Etcd3 } from 'etcd3';
import { balanceStatusKey, balanceStatusRecord, brokerLoadRecord, brokerLoadsPrefix, topicPartitionsPrefix, partitionState, type PartitionState } from '@dms/cluster';
import { waitFor } from '@dms/devcluster';
import { buildRecordBatch } from '@dms/kafka-codec';
import { alterConfigs, describeConfigs, ErrorCode, KafkaClient, KafkaError, RESOURCE_BROKER } from '@dms/kafka-client';
import { cleanup, runCli, startTestCluster, type TestCluster } from '@dms/testing';

jest.setTimeout(300_000);

let tc: TestCluster;
let client: KafkaClient;
let etcd: Etcd3;

const CLUSTER = { type: RESOURCE_BROKER, name: '' };

beforeAll(async () => {
  tc = await startTestCluster({
    brokers: 2,
    controllers: 1,
    gateways: 1,
    config: {
      broker: { 'broker.load.report.interval.ms': 500 },
      controller: {
        'auto.balance.enable': 'true',
        'auto.balance.interval.ms': 500,
        'auto.balance.max.concurrent.moves': 4,
      },
    },
  });
  client = new KafkaClient({ bootstrapServers: [tc.bootstrap], requestTimeoutMs: 10_000 });
  etcd = new Etcd3({ hosts: `http://${tc.etcdEndpoint}` });
});

afterAll(async () => {
  client?.close();
  etcd?.close();
  await cleanup();
});

async function states(topic: string): Promise<PartitionState[]> {
  const kvs = await etcd.getAll().prefix(topicPartitionsPrefix('dms', topic)).strings();
  return Object.values(kvs).map((v) => partitionState.decode(v)!).filter(Boolean);
}
const moving = (s: PartitionState) => (s.addingReplicas?.length ?? 0) > 0 || (s.removingReplicas?.length ?? 0) > 0;
const settled = (ss: PartitionState[], n: number) => ss.length === n && ss.every((s) => !moving(s) && s.leader >= 0 && s.isr.length === s.replicas.length);
const replicasOn = (ss: PartitionState[], id: number) => ss.filter((s) => s.replicas.includes(id)).length;
const balanceStatus = async () => balanceStatusRecord.decode(await etcd.get(balanceStatusKey('dms')).string());
const codeOf = (p: Promise<unknown>) => p.then(() => ErrorCode.NONE, (e: unknown) => (e instanceof KafkaError ? e.code : -1));

it('stops new moves when auto.balance.enable is set to false at runtime, and resumes them when set back', async () => {
  const [created] = await client.createTopics([{ name: 'rt', numPartitions: 8, replicationFactor: 1 }]);
  expect(created.errorCode).toBe(0);
  await waitFor('rt settled', async () => settled(await states('rt'), 8), 60_000, 200);
  await waitFor('the balancer ready', async () => (await balanceStatus())?.state === 'ready', 30_000, 200);

  // Refused: a per-broker value of a cluster-default key, and invalid values.
  expect(await codeOf(alterConfigs(client, { type: RESOURCE_BROKER, name: '1' }, { 'auto.balance.enable': 'false' }, []))).toBe(ErrorCode.INVALID_CONFIG);
  await expect(alterConfigs(client, CLUSTER, { 'auto.balance.interval.ms': '5' }, [])).rejects.toThrow(/auto.balance.interval.ms/);
  expect(await codeOf(alterConfigs(client, CLUSTER, { 'auto.balance.enable': 'off' }, []))).toBe(ErrorCode.INVALID_CONFIG);

  await alterConfigs(client, CLUSTER, { 'auto.balance.enable': 'false' }, []);
  const shown = await describeConfigs(client, CLUSTER, ['auto.balance.enable']);
  expect(shown).toMatchObject([{ name: 'auto.balance.enable', value: 'false', source: 'DYNAMIC_DEFAULT_BROKER_CONFIG' }]);
  await waitFor('the balancer off', async () => (await balanceStatus())?.state === 'off', 30_000, 100);

  const added = await tc.cluster.addBroker();
  expect(added.id).toBe(3);
  // Several rounds see broker 3 registered, and none moves anything onto it.
  const seenAt = await waitFor('a round seeing broker 3', async () => {
    const st = await balanceStatus();
    return st?.brokers.some((b) => b.id === 3 && b.state === 'live') ? st.updatedAtMs : false;
  }, 60_000, 100);
  const st = await waitFor('four more rounds', async () => {
    const s = await balanceStatus();
    return s && s.updatedAtMs >= seenAt + 2000 ? s : false;
  }, 30_000, 100);
  expect(st.state).toBe('off');
  expect(st.inFlight).toEqual([]);
  expect(replicasOn(await states('rt'), 3)).toBe(0);

  // Back on (the key deleted: the static true applies again): broker 3 gets its share (8 on 3 brokers: 2 or 3).
  await alterConfigs(client, CLUSTER, {}, ['auto.balance.enable']);
  await waitFor('broker 3 holds its share of rt', async () => {
    const ss = await states('rt');
    return settled(ss, 8) && replicasOn(ss, 3) >= 2;
  }, 120_000, 200);
});

it('cancels throttled balance moves onto a broker decommissioned while they run, instead of finishing and draining them', async () => {
  await client.deleteTopics(['rt']);
  const [created] = await client.createTopics([{ name: 'slow', numPartitions: 6, replicationFactor: 1 }]);
  expect(created.errorCode).toBe(0);
  await waitFor('slow settled', async () => settled(await states('slow'), 6), 60_000, 200);
  // 1 MiB in every partition, copied under a 20 kB/s throttle: a move takes many seconds (without the
  // cancel, one completes onto broker 4 within this spec's wait and is then drained off again).
  const chunk = Buffer.alloc(128 * 1024, 7);
  for (let p = 0; p < 6; p++) {
    for (let i = 0; i < 8; i++) await client.produce('slow', p, await buildRecordBatch({ records: [{ value: chunk }] }), -1, 10_000);
  }
  // The leaders report each partition's measured bytes-in per second (broker-loads/<id>) for the inbound-rate goal.
  await waitFor('bytes-in rates of slow reported', async () => {
    const loads = Object.values(await etcd.getAll().prefix(brokerLoadsPrefix('dms')).strings()).map((v) => brokerLoadRecord.decode(v));
    return Object.keys(Object.assign({}, ...loads.map((l) => l?.bytesIn?.['slow'] ?? {}))).length === 6;
  }, 10_000, 50);
  await alterConfigs(client, CLUSTER, { 'auto.balance.throttle.bytes.per.second': '20000' }, []);
  await waitFor('slow still settled', async () => settled(await states('slow'), 6), 60_000, 200);

  const added = await tc.cluster.addBroker();
  expect(added.id).toBe(4);
  await waitFor('a balance copy onto broker 4 running', async () => (await states('slow')).some((s) => s.addingReplicas?.includes(4)), 60_000, 100);
  const before = (await balanceStatus())!;
  expect(before.inFlight.some((m) => m.target.includes(4))).toBe(true);

  const decommissionedAt = Date.now();
  const res = await runCli(['brokers', 'decommission', '4', '--data-dir', tc.dataDir], { timeoutMs: 30_000 });
  expect({ code: res.code, stderr: res.stderr }).toMatchObject({ code: 0 });
  // Watched from here on: no move onto broker 4 ever completes (a replica on 4 that is not adding).
  const completedOn4: string[] = [];
  await waitFor('broker 4 empty, nothing moving', async () => {
    const ss = await states('slow');
    for (const s of ss) if (s.replicas.includes(4) && !s.addingReplicas?.includes(4)) completedOn4.push(JSON.stringify(s));
    return settled(ss, 6) && replicasOn(ss, 4) === 0;
  }, 40_000, 100);
  const elapsedMs = Date.now() - decommissionedAt;
  expect(completedOn4).toEqual([]);
  // Cancelled within a few rounds, not after a copy.
  expect(elapsedMs).toBeLessThan(15_000);
  const after = await waitFor('the cancelled moves gone from the status', async () => {
    const s = await balanceStatus();
    return s && s.inFlight.every((m) => !m.target.includes(4)) ? s : false;
  }, 30_000, 100);
  // Cancelled moves are not counted as completed.
  expect(after.movesCompleted).toBe(before.movesCompleted);
  process.stdout.write(`double-move guard: balance copies onto broker 4 cancelled ${elapsedMs} ms after its decommission\n`);
});
