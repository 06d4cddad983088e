// Leader-epoch truncation across real processes: a broker that led alone and wrote records the
// others never saw (acks=1) comes back after an unclean election as a follower, truncates those
// records at the epoch boundary, copies the new leader's history, and serves exactly that history
// once it leads again.
import { Etcd3 } from 'etcd3';
import { buildRecordBatch } from '@dms/kafka-codec';
import { KafkaClient } from '@dms/kafka-client';
import { waitFor } from '@dms/devcluster';
import { cleanup, startTestCluster, type TestCluster } from '@dms/testing';
import { readAll, stateOf, waitState } from './replication-helpers';

jest.setTimeout(90_000);

let tc: TestCluster;
let client: KafkaClient;
let etcd: Etcd3;

beforeAll(async () => {
  tc = await startTestCluster({
    brokers: 2,
    controllers: 1,
    gateways: 1,
    config: {
      broker: { 'etcd.lease.ttl.ms': 2000, 'replica.lag.time.max.ms': 1000 },
      controller: { 'etcd.lease.ttl.ms': 2000 },
    },
  });
  client = new KafkaClient({ bootstrapServers: [tc.bootstrap], requestTimeoutMs: 10_000, retries: 20, retryBackoffMs: 100 });
  etcd = new Etcd3({ hosts: `http://${tc.etcdEndpoint}` });
});

afterAll(async () => {
  client?.close();
  etcd?.close();
  await cleanup();
});

async function produce(topic: string, values: string[], acks: number): Promise<void> {
  for (const value of values) await client.produce(topic, 0, await buildRecordBatch({ records: [{ value }] }), acks, 5_000);
}

it('a stale leader truncates what it alone wrote once it follows the unclean new leader', async () => {
  const topic = 'diverge';
  const [created] = await client.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 2, configs: { 'unclean.leader.election.enable': 'true' } }]);
  expect(created.errorCode).toBe(0);
  const s0 = await stateOf(etcd, topic);
  const stale = s0.leader;
  const other = s0.replicas.find((id) => id !== stale)!;

  await produce(topic, ['a0', 'a1', 'a2'], -1); // both replicas hold these
  // The follower dies; the leader goes on alone and writes what nobody else will ever have.
  await tc.cluster.kill('broker', other, 'SIGKILL');
  await waitState(etcd, topic, 'the ISR down to the leader', (s) => s.isr.length === 1 && s.leader === stale);
  await produce(topic, ['x0', 'x1', 'x2', 'x3'], 1);
  expect(await readAll(client, topic)).toEqual(['a0', 'a1', 'a2', 'x0', 'x1', 'x2', 'x3']);

  // The leader dies too; the follower returns and, unclean election allowed, leads with its older log.
  await tc.cluster.kill('broker', stale, 'SIGKILL');
  await waitState(etcd, topic, 'the partition offline', (s) => s.leader === -1);
  await tc.cluster.restart('broker', other);
  const s1 = await waitState(etcd, topic, 'the returned follower leading', (s) => s.leader === other);
  expect(s1.isr).toEqual([other]);
  await produce(topic, ['b0', 'b1'], -1);
  expect(await readAll(client, topic)).toEqual(['a0', 'a1', 'a2', 'b0', 'b1']);

  // The stale leader returns as a follower: it must drop x0..x3 and copy b0, b1.
  await tc.cluster.restart('broker', stale);
  await waitState(etcd, topic, 'the stale leader back in the ISR', (s) => s.isr.includes(stale));
  // Make it lead: what it serves is its own log.
  await tc.cluster.kill('broker', other, 'SIGKILL');
  await waitState(etcd, topic, 'the former stale leader leading', (s) => s.leader === stale);
  const values = await waitFor('the log served by the new leader', async () => {
    const v = await readAll(client, topic);
    return v.length >= 5 ? v : false;
  }, 20_000);
  expect(values).toEqual(['a0', 'a1', 'a2', 'b0', 'b1']);
  await produce(topic, ['c0'], 1);
  expect(await readAll(client, topic)).toEqual(['a0', 'a1', 'a2', 'b0', 'b1', 'c0']);

  // OffsetForLeaderEpoch (23) through the gateway, from the leader's epoch cache: epoch 0 ended
  // at 3 (x0..x3 are gone), epoch 1 never wrote, the current epoch ends at the log end.
  const current = (await stateOf(etcd, topic)).leaderEpoch;
  const conn = await client.leaderConnection(topic, 0);
  const ask = async (leaderEpoch: number) => {
    const res = await conn.request<any>(23, { replicaId: -1, topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: current, leaderEpoch }] }] }, { version: 4 });
    const p = res.topics[0].partitions[0];
    return { errorCode: p.errorCode, leaderEpoch: p.leaderEpoch, endOffset: p.endOffset };
  };
  expect(await ask(0)).toEqual({ errorCode: 0, leaderEpoch: 0, endOffset: 3n });
  expect(await ask(1)).toEqual({ errorCode: 0, leaderEpoch: 0, endOffset: 3n });
  expect(await ask(current)).toEqual({ errorCode: 0, leaderEpoch: current, endOffset: 6n });
  const fenced = await conn.request<any>(23, { replicaId: -1, topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: current - 1, leaderEpoch: 0 }] }] }, { version: 4 });
  expect(fenced.topics[0].partitions[0].errorCode).toBe(74); // FENCED_LEADER_EPOCH
});
