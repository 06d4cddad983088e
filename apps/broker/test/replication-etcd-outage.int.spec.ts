// etcd unreachable (its process stopped with SIGSTOP, so connections hang as in a network
// partition): acks=all produce and consume on an existing RF=3 topic go on, nothing acknowledged
// is lost, nothing crashes, and once etcd answers again every broker re-registers and the
// partition keeps a leader and its full ISR.
import { Etcd3 } from 'etcd3';
import { KafkaClient } from '@dms/kafka-client';
import { waitFor } from '@dms/devcluster';
import { cleanup, startTestCluster, type TestCluster } from '@dms/testing';
import { isSubsequence, readAll, startProducer, stateOf, waitState } from './replication-helpers';

jest.setTimeout(180_000);

let tc: TestCluster;
let client: KafkaClient;
let etcd: Etcd3;
let etcdPid: number | undefined;

beforeAll(async () => {
  tc = await startTestCluster({
    brokers: 3,
    controllers: 1,
    gateways: 1,
    config: {
      broker: { 'etcd.lease.ttl.ms': 2000, 'replica.lag.time.max.ms': 1500 },
      controller: { 'etcd.lease.ttl.ms': 2000 },
      gateway: { 'etcd.lease.ttl.ms': 2000 },
    },
  });
  client = new KafkaClient({ bootstrapServers: [tc.bootstrap], requestTimeoutMs: 10_000 });
  etcd = new Etcd3({ hosts: `http://${tc.etcdEndpoint}` });
  etcdPid = tc.cluster.status().etcd.pid ?? undefined;
});

afterAll(async () => {
  if (etcdPid) process.kill(etcdPid, 'SIGCONT');
  client?.close();
  etcd?.close();
  await cleanup();
});

it('serves acks=all produce and consume while etcd is unreachable and heals when it returns', async () => {
  const topic = 'outage';
  const [created] = await client.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }]);
  expect(created.errorCode).toBe(0);
  await client.metadata([topic]);
  const producer = startProducer(client, topic, 'o');
  await waitFor('writes before the outage', () => producer.acked.length >= 100, 30_000);

  expect(etcdPid).toBeDefined();
  process.kill(etcdPid!, 'SIGSTOP');
  const before = producer.acked.length;
  // Well past every session's deadline (2/3 of the 2 s TTL) and the lease TTL itself.
  await new Promise((r) => setTimeout(r, 6_000));
  const during = producer.acked.length - before;
  const consumed = await readAll(client, topic);
  process.kill(etcdPid!, 'SIGCONT');

  expect(during).toBeGreaterThan(50);
  expect(isSubsequence(producer.acked.slice(0, before + during - 1), consumed)).toBe(true);

  // Generous bounds: after a 6 s etcd stop every session re-registers and the controller re-checks
  // every partition; on a machine loaded by other suites that took more than 30 s (1 run in 4 at
  // load average 10-15, before and after the changes of that time alike).
  await waitFor('writes after the outage', () => producer.acked.length >= before + during + 100, 60_000);
  await producer.stop();
  const s = await waitState(etcd, topic, 'a leader with the full ISR', (x) => x.leader >= 0 && x.isr.length === 3, 60_000);
  expect(s.replicas).toHaveLength(3);
  expect(isSubsequence(producer.acked, await readAll(client, topic))).toBe(true);
  expect(tc.unexpectedExits).toEqual([]);
  await stateOf(etcd, topic);
});
