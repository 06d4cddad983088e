// Preferred leaders across real processes: after the leader's SIGKILL the storage view shows the
// new leader and the partition under-replicated; ElectLeaders answers Kafka's codes through the
// gateway and the CLI; when the killed broker is back in the ISR the auto rebalance returns
// leadership to it, under acks=all load, losing nothing acknowledged.
import { Etcd3 } from 'etcd3';
import { KafkaClient } from '@dms/kafka-client';
import { ErrorCode } from '@dms/kafka-errors';
import { cleanup, runCli, startTestCluster, type TestCluster } from '@dms/testing';
import { isSubsequence, readAll, startProducer, stateOf, waitState } from './replication-helpers';

jest.setTimeout(120_000);

let tc: TestCluster;
let client: KafkaClient;
let etcd: Etcd3;

beforeAll(async () => {
  tc = await startTestCluster({
    brokers: 3,
    controllers: 1,
    gateways: 1,
    config: {
      broker: { 'etcd.lease.ttl.ms': 3000, 'replica.lag.time.max.ms': 1500 },
      controller: { 'etcd.lease.ttl.ms': 3000, 'leader.imbalance.check.interval.seconds': 1 },
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

const cli = async (args: string[]) => {
  const r = await runCli(args[0] === 'topics' ? [...args, '--bootstrap-server', tc.bootstrap] : args, { timeoutMs: 30_000 });
  return { ...r, json: () => JSON.parse(r.stdout) };
};

it('elections, storage visibility and the auto rebalance after a leader failure', async () => {
  const topic = 'preferred';
  const [created] = await client.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }]);
  expect(created.errorCode).toBe(0);
  const initial = await stateOf(etcd, topic);
  const preferred = initial.replicas[0];
  expect(initial.leader).toBe(preferred);

  const healthy = await cli(['cluster', 'status', '--etcd', tc.etcdEndpoint, '--json']);
  expect(healthy.json()).toMatchObject({ underReplicated: [], offline: [] });

  const producer = startProducer(client, topic, 'p');
  await tc.cluster.kill('broker', preferred, 'SIGKILL');
  const moved = await waitState(etcd, topic, 'a new leader', (s) => s.leader >= 0 && s.leader !== preferred && !s.isr.includes(preferred));

  // The storage view: describe names the storage leader and epoch; status lists the partition.
  const described = (await cli(['topics', 'describe', topic, '--etcd', tc.etcdEndpoint, '--json'])).json();
  expect(described[0].partitions[0]).toMatchObject({ storageLeader: moved.leader, leaderEpoch: moved.leaderEpoch, storageReplicas: initial.replicas, storageIsr: moved.isr });
  const text = await cli(['topics', 'describe', topic, '--etcd', tc.etcdEndpoint]);
  expect(text.stdout).toContain(`Partition: 0\tLeader: ${moved.leader}\tLeaderEpoch: ${moved.leaderEpoch}`);
  const degraded = (await cli(['cluster', 'status', '--etcd', tc.etcdEndpoint, '--json'])).json();
  expect(degraded.underReplicated).toEqual([expect.objectContaining({ topic, partition: 0, leader: moved.leader, isr: moved.isr })]);
  expect(degraded.offline).toEqual([]);

  // The preferred replica is down: Kafka's code, exit status 1; unclean is not needed anywhere.
  const refused = await cli(['topics', 'elect-leaders', '--election-type', 'preferred', '--topic', topic, '--partition', '0', '--json']);
  expect(refused.code).toBe(1);
  expect(refused.json()).toEqual([expect.objectContaining({ topic, partition: 0, errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE })]);
  const unclean = await cli(['topics', 'elect-leaders', '--election-type', 'unclean', '--all-topic-partitions', '--json']);
  expect(unclean.code).toBe(0);
  expect(unclean.json().map((r: { errorCode: number }) => r.errorCode)).toEqual(unclean.json().map(() => ErrorCode.ELECTION_NOT_NEEDED));
  const unknown = await client.electLeaders('preferred', [{ topic, partition: 5 }, { topic: 'no-such-topic', partition: 0 }]);
  expect(unknown.map((r) => r.errorCode)).toEqual([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);

  // Back, caught up, in the ISR: the rebalancer (1 s checks) makes it leader again.
  await tc.cluster.restart('broker', preferred);
  const back = await waitState(etcd, topic, 'the preferred replica leading again', (s) => s.leader === preferred, 30_000);
  expect(back.leaderEpoch).toBeGreaterThan(moved.leaderEpoch);
  const ackedAtSwitch = producer.acked.length;
  await waitState(etcd, topic, 'a full ISR', (s) => s.isr.length === 3);
  await new Promise((r) => setTimeout(r, 500));
  const settled = await waitFor(() => producer.acked.length >= ackedAtSwitch + 50);
  expect(settled).toBe(true);
  await producer.stop();
  expect(isSubsequence(producer.acked, await readAll(client, topic))).toBe(true);

  const notNeeded = await cli(['topics', 'elect-leaders', '--election-type', 'preferred', '--topic', topic]);
  expect(notNeeded).toMatchObject({ code: 0, stdout: `Valid replica already elected for partitions ${topic}-0\n` });
  expect((await cli(['cluster', 'status', '--etcd', tc.etcdEndpoint, '--json'])).json()).toMatchObject({ underReplicated: [], offline: [] });
  expect(tc.unexpectedExits).toEqual([]);
});

async function waitFor(ok: () => boolean, timeoutMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
