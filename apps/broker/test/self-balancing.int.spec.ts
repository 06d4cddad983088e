// The self-balancer and decommissioning across real processes (etcd, two controllers, brokers
// added as the test goes, one gateway), with short intervals set through config: a 4th broker
// added to a 3-broker cluster with a 12-partition RF3 topic receives its share (9±1 replicas,
// 3±1 leaderships) while an acks=all producer runs, and the controller leader killed in the middle
// does not stop it; a broker killed for good has its replicas recreated on the others after the
// availability timeout; a decommission the rest cannot hold is refused; with one more broker it
// empties the broker, which then stops with nothing under-replicated.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import {
  balanceStatusKey,
  balanceStatusRecord,
  brokerConfigRecord,
  brokerConfigsPrefix,
  controllerLeader,
  controllerLeaderKey,
  partitionState,
  topicKey,
  topicPartitionsPrefix,
  topicRecord,
  type PartitionState,
} from '@dms/cluster';
import { waitFor } from '@dms/devcluster';
import { KafkaClient } from '@dms/kafka-client';
import { cleanup, runCli, startTestCluster, type TestCluster } from '@dms/testing';
import { isSubsequence, readAll, startProducer } from './replication-helpers';

jest.setTimeout(600_000);

const TOPIC = 'balanced';
let tc: TestCluster;
let client: KafkaClient;
let etcd: Etcd3;

beforeAll(async () => {
  tc = await startTestCluster({
    brokers: 3,
    controllers: 2,
    gateways: 1,
    config: {
      broker: { 'etcd.lease.ttl.ms': 6000, 'replica.lag.time.max.ms': 3000, 'broker.load.report.interval.ms': 1000 },
      controller: {
        'etcd.lease.ttl.ms': 3000,
        'auto.balance.enable': 'true',
        'auto.balance.interval.ms': 1000,
        'auto.balance.max.concurrent.moves': 4,
        'auto.balance.broker.availability.timeout.ms': 8000,
        'auto.balance.throttle.bytes.per.second': 2_000_000,
        'leader.imbalance.check.interval.seconds': 5,
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

async function states(): Promise<PartitionState[]> {
  const kvs = await etcd.getAll().prefix(topicPartitionsPrefix('dms', TOPIC)).strings();
  return Object.values(kvs).map((v) => partitionState.decode(v)!).filter(Boolean);
}
const moving = (s: PartitionState) => (s.addingReplicas?.length ?? 0) > 0 || (s.removingReplicas?.length ?? 0) > 0;
const settled = (ss: PartitionState[]) => ss.length === 12 && ss.every((s) => !moving(s) && s.leader >= 0 && s.isr.length === 3 && s.replicas.length === 3);
const replicasOn = (ss: PartitionState[], id: number) => ss.filter((s) => s.replicas.includes(id)).length;
const leadersOn = (ss: PartitionState[], id: number) => ss.filter((s) => s.leader === id).length;
const balanceStatus = async () => balanceStatusRecord.decode(await etcd.get(balanceStatusKey('dms')).string());

it('gives a new 4th broker 9±1 replicas and 3±1 leaderships of a 12-partition RF3 topic, through a controller failover, with no acknowledged record lost', async () => {
  const [created] = await client.createTopics([{ name: TOPIC, numPartitions: 12, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }]);
  expect(created.errorCode).toBe(0);
  await waitFor('every partition in sync', async () => settled(await states()), 60_000, 200);
  await waitFor('the balancer ready', async () => (await balanceStatus())?.state === 'ready', 30_000, 200);
  const producer = startProducer(client, TOPIC, 'b');
  await waitFor('some records acknowledged', () => producer.acked.length >= 100, 30_000, 50);

  const started = Date.now();
  const added = await tc.cluster.addBroker();
  expect(added.id).toBe(4);
  // The first moves start; then the controller leader dies and the standby carries on.
  await waitFor('a move onto broker 4', async () => (await states()).some((s) => s.replicas.includes(4)), 60_000, 100);
  const leaderId = controllerLeader.decode(await etcd.get(controllerLeaderKey('dms')).string())!.id;
  await tc.cluster.kill('controller', leaderId, 'SIGKILL');

  await waitFor('broker 4 holds its share', async () => {
    const ss = await states();
    return settled(ss) && Math.abs(replicasOn(ss, 4) - 9) <= 1 && Math.abs(leadersOn(ss, 4) - 3) <= 1;
  }, 300_000, 500);
  const elapsedMs = Date.now() - started;
  const ss = await states();
  for (const id of [1, 2, 3, 4]) expect(Math.abs(replicasOn(ss, id) - 9)).toBeLessThanOrEqual(1);
  // The new leader counts the moves it sees completed (the old one's too, from the status record).
  const status = await waitFor('the completed moves counted', async () => {
    const st = await balanceStatus();
    return st && st.controllerId !== leaderId && st.inFlight.length === 0 && st.movesCompleted >= 9 ? st : false;
  }, 30_000, 200);
  // Replica sizes reach the controller (broker-loads/<id>): partition 0 holds the producer's records.
  expect(status.brokers.filter((b) => b.bytes > 0).length).toBeGreaterThanOrEqual(3);
  process.stdout.write(`self-balancing: broker 4 got ${replicasOn(ss, 4)} replicas, ${leadersOn(ss, 4)} leaderships in ${elapsedMs} ms (${status.movesCompleted} moves)\n`);

  await producer.stop();
  expect(producer.errors).toEqual([]);
  const all = await readAll(client, TOPIC);
  expect(isSubsequence(producer.acked, all)).toBe(true);

  // The copies were throttled as kafka-reassign-partitions.sh --throttle does; nothing is left once they are done.
  await waitFor('the balancer\'s throttles removed', async () => {
    const topic = topicRecord.decode(await etcd.get(topicKey('dms', TOPIC)).string());
    const lists = [topic?.configs['leader.replication.throttled.replicas'] ?? '', topic?.configs['follower.replication.throttled.replicas'] ?? ''];
    const brokerConfigs = Object.values(await etcd.getAll().prefix(brokerConfigsPrefix('dms')).strings()).map((v) => brokerConfigRecord.decode(v)?.configs ?? {});
    return lists.every((l) => l === '') && brokerConfigs.every((c) => c['leader.replication.throttled.rate'] === undefined);
  }, 30_000, 200);

  const shown = await runCli(['cluster', 'balance', '--data-dir', tc.dataDir, '--json'], { timeoutMs: 30_000 });
  expect(shown.code).toBe(0);
  const view = JSON.parse(shown.stdout) as { status: { brokers: { id: number; replicas: number; state: string }[] } };
  expect(view.status.brokers.find((b) => b.id === 4)).toMatchObject({ state: 'live' });
  // The controller restarts (as a standby) for the rest of the spec.
  await tc.cluster.restart('controller', leaderId);
});

it('recreates the replicas of a broker killed for good on the others after the availability timeout', async () => {
  const victim = 3;
  const had = replicasOn(await states(), victim);
  expect(had).toBeGreaterThan(0);
  const killedAt = Date.now();
  await tc.cluster.kill('broker', victim, 'SIGKILL');
  await waitFor('every partition back at three in-sync replicas without broker 3', async () => {
    const ss = await states();
    return settled(ss) && replicasOn(ss, victim) === 0;
  }, 240_000, 500);
  const elapsedMs = Date.now() - killedAt;
  // Nothing moved before the timeout (8 s) plus the lease TTL: the broker might have come back.
  expect(elapsedMs).toBeGreaterThan(8000);
  const status = await balanceStatus();
  expect(status?.brokers.find((b) => b.id === victim)?.state).toBe('removed');
  process.stdout.write(`kill-for-good: ${had} replicas of broker 3 back at RF 3 on the others ${elapsedMs} ms after SIGKILL\n`);
});

it('refuses a decommission the remaining brokers cannot hold, then empties a broker once another joins', async () => {
  const refused = await runCli(['brokers', 'decommission', '2', '--data-dir', tc.dataDir], { timeoutMs: 30_000 });
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain('Cannot decommission broker 2');
  expect(refused.stderr).toContain('replication factor 3');

  const added = await tc.cluster.addBroker();
  expect(added.id).toBe(5);
  const started = Date.now();
  const res = await runCli(['brokers', 'decommission', '2', '--data-dir', tc.dataDir, '--wait', '--json', '--wait-timeout', '240000'], { timeoutMs: 260_000 });
  expect({ code: res.code, stderr: res.stderr }).toMatchObject({ code: 0 });
  expect(JSON.parse(res.stdout)).toMatchObject({ broker: 2, done: true, replicas: 0, leaders: 0, decommissioning: true });
  let last: PartitionState[] = [];
  await waitFor('every partition in sync without broker 2', async () => {
    last = await states();
    return settled(last) && replicasOn(last, 2) === 0;
  }, 120_000, 200).catch(async (e: Error) => {
    throw new Error(`${e.message}; partitions: ${JSON.stringify(last)}; balancer: ${JSON.stringify(await balanceStatus())}; logs:\n${replicationLog()}`);
  });
  process.stdout.write(`decommission: broker 2 emptied in ${Date.now() - started} ms\n`);
  const list = await runCli(['brokers', 'list', '--data-dir', tc.dataDir, '--json'], { timeoutMs: 30_000 });
  expect((JSON.parse(list.stdout) as { id: number; cordoned: boolean }[]).find((b) => b.id === 2)).toMatchObject({ cordoned: true, decommissioning: true });

  // Stopped now, it leaves nothing under-replicated.
  await tc.cluster.kill('broker', 2, 'SIGTERM');
  await waitFor('broker 2 unregistered', async () => (await runCli(['brokers', 'list', '--data-dir', tc.dataDir, '--json'], { timeoutMs: 30_000 })).stdout.includes('"running":false'), 30_000, 500);
  const ss = await states();
  expect(ss.every((s) => s.isr.length === 3 && !s.replicas.includes(2))).toBe(true);
  const status = await runCli(['brokers', 'decommission', '2', '--status', '--data-dir', tc.dataDir], { timeoutMs: 30_000 });
  expect(status.stdout).toContain('broker 2: empty');
});

/** Each broker's and controller's last log lines about the topic, for a failure's message. */
function replicationLog(): string {
  const dir = join(tc.dataDir, 'logs');
  const out: string[] = [];
  for (const f of readdirSync(dir).filter((n) => /^(broker|controller)-/.test(n))) {
    const lines = readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l.includes('"balanced"') || /warn|error/.test(l));
    out.push(...lines.slice(-25).map((l) => `${f}: ${l}`));
  }
  return out.join('\n');
}
