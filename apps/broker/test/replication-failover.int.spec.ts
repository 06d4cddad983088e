// ISR replication across real processes: acks=all survives SIGKILL of the partition leader with
// a few seconds of unavailability, nothing acknowledged is lost, the killed broker catches up
// and rejoins the ISR; min.insync.replicas and replication factor limits answer as Kafka does.
import { Etcd3 } from 'etcd3';
import { KafkaClient } from '@dms/kafka-client';
import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { waitFor } from '@dms/devcluster';
import { cleanup, startTestCluster, type TestCluster } from '@dms/testing';
import { isSubsequence, readAll, startProducer, stateOf, waitState } from './replication-helpers';

jest.setTimeout(90_000);

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
      controller: { 'etcd.lease.ttl.ms': 3000 },
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

describe('replication', () => {
  it('refuses a replication factor above the live brokers', async () => {
    const [r] = await client.createTopics([{ name: 'too-wide', numPartitions: 1, replicationFactor: 4 }]);
    expect(r.errorCode).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
  });

  it('keeps acks=all writes going through a leader SIGKILL and loses nothing acknowledged', async () => {
    const topic = 'ha';
    const [created] = await client.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }]);
    expect(created.errorCode).toBe(0);
    const initial = await stateOf(etcd, topic);
    expect(initial.isr).toHaveLength(3);
    expect(initial.leader).toBe(initial.replicas[0]);

    const producer = startProducer(client, topic, 'v');
    await waitFor('acknowledged writes before the failure', () => producer.acked.length >= 200, 30_000);
    const victim = initial.leader;
    await tc.cluster.kill('broker', victim, 'SIGKILL');
    const killedAt = Date.now();
    const ackedAtKill = producer.acked.length;
    const moved = await waitState(etcd, topic, 'a new leader', (s) => s.leader >= 0 && s.leader !== victim);
    expect(moved.leaderEpoch).toBeGreaterThan(initial.leaderEpoch);
    expect(moved.isr).not.toContain(victim);
    await waitFor('acks=all writes after the failure', () => producer.acked.length >= ackedAtKill + 200, 30_000);
    const resumedMs = Date.now() - killedAt;
    await producer.stop();
    // A few seconds: one lease TTL (3 s) to notice, then election and the gateway's retry.
    expect(producer.longestGapMs()).toBeLessThan(10_000);
    expect(resumedMs).toBeLessThan(20_000);

    const values = await readAll(client, topic);
    expect(isSubsequence(producer.acked, values)).toBe(true);

    // The killed broker comes back as a follower, catches up and rejoins the ISR.
    await tc.cluster.restart('broker', victim);
    const healed = await waitState(etcd, topic, 'the restarted broker back in the ISR', (s) => s.isr.includes(victim));
    expect(healed.leader).not.toBe(victim);
    expect(healed.isr).toHaveLength(3);
  });

  it('answers NOT_ENOUGH_REPLICAS when min.insync.replicas cannot be met', async () => {
    const topic = 'strict';
    const [created] = await client.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }]);
    expect(created.errorCode).toBe(0);
    const s = await stateOf(etcd, topic);
    const followers = s.replicas.filter((id) => id !== s.leader);
    await Promise.all(followers.map((id) => tc.cluster.kill('broker', id, 'SIGKILL')));
    await waitState(etcd, topic, 'the ISR down to the leader', (x) => x.isr.length === 1 && x.leader === s.leader);
    const { buildRecordBatch } = await import('@dms/kafka-codec');
    const err = await client.produce(topic, 0, await buildRecordBatch({ records: [{ value: 'x' }] }), -1, 2_000).catch((e) => e);
    expect(err).toBeInstanceOf(KafkaError);
    expect((err as KafkaError).code).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
    // acks=1 needs only the leader.
    await expect(client.produce(topic, 0, await buildRecordBatch({ records: [{ value: 'y' }] }), 1, 2_000)).resolves.toBeDefined();
    await Promise.all(followers.map((id) => tc.cluster.restart('broker', id)));
    await waitState(etcd, topic, 'followers back in the ISR', (x) => x.isr.length === 3);
    expect(tc.unexpectedExits).toEqual([]);
  });
});
