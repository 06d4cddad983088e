// Partition reassignment (KIP-455) across real processes on four storage brokers: a move with the
// CLI completes (the removed leader hands over, every record readable from the new replicas, the
// old replica's directory deleted only after completion, on its record); a move held up by a
// paused broker is listed and cancelled; a move survives the controller leader's SIGKILL; and
// kafkajs's admin calls work.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { controllerLeader, controllerLeaderKey, replicaDeletionsPrefix } from '@dms/cluster';
import { waitFor } from '@dms/devcluster';
import { KafkaClient } from '@dms/kafka-client';
import { ErrorCode } from '@dms/kafka-errors';
import { cleanup, runCli, startTestCluster, type TestCluster } from '@dms/testing';
import { isSubsequence, readAll, startProducer, stateOf, waitState } from './replication-helpers';

jest.setTimeout(180_000);

let tc: TestCluster;
let client: KafkaClient;
let etcd: Etcd3;
let admin: Admin;

beforeAll(async () => {
  tc = await startTestCluster({
    brokers: 4,
    controllers: 2,
    gateways: 1,
    config: {
      broker: { 'etcd.lease.ttl.ms': 15000, 'replica.lag.time.max.ms': 3000 },
      controller: { 'etcd.lease.ttl.ms': 3000, 'auto.leader.rebalance.enable': 'false' },
    },
  });
  client = new KafkaClient({ bootstrapServers: [tc.bootstrap], requestTimeoutMs: 10_000 });
  etcd = new Etcd3({ hosts: `http://${tc.etcdEndpoint}` });
  admin = new Kafka({ brokers: [tc.bootstrap], clientId: 'dms-reassign', logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 100 } }).admin();
  await admin.connect();
});

afterAll(async () => {
  await admin?.disconnect().catch(() => undefined);
  client?.close();
  etcd?.close();
  await cleanup();
});

const reassign = async (args: string[]) => runCli(['partitions', 'reassign', ...args, '--bootstrap-server', tc.bootstrap, '--disable-rack-aware'], { timeoutMs: 30_000 });
const planFile = (name: string, topic: string, replicas: number[]) => {
  const file = join(tc.dataDir, name);
  writeFileSync(file, JSON.stringify({ version: 1, partitions: [{ topic, partition: 0, replicas, log_dirs: replicas.map(() => 'any') }] }));
  return file;
};
const dirOf = (broker: number, topic: string) => join(tc.dataDir, `broker-${broker}`, `${topic}-0`);
const pendingDeletions = async () => Object.keys(await etcd.getAll().prefix(replicaDeletionsPrefix('dms')).strings());
const moving = (s: { addingReplicas?: number[]; removingReplicas?: number[] }) => (s.addingReplicas?.length ?? 0) > 0 || (s.removingReplicas?.length ?? 0) > 0;
const ALL = [1, 2, 3, 4];

it('moves a partition off its leader with the CLI, keeps every record, deletes the old directory only after completion', async () => {
  const topic = 'moved';
  const [created] = await client.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }]);
  expect(created.errorCode).toBe(0);
  const before = await waitState(etcd, topic, 'a full ISR', (s) => s.leader >= 0 && s.isr.length === 3);
  const producer = startProducer(client, topic, 'm');
  await waitFor('some records acknowledged', () => producer.acked.length >= 200, 30_000, 50);
  const removed = before.leader;
  const added = ALL.find((id) => !before.replicas.includes(id))!;
  const target = [...before.replicas.filter((id) => id !== removed), added];
  expect(existsSync(dirOf(removed, topic))).toBe(true);

  // --generate proposes a placement over the given brokers, in Kafka's JSON.
  const topicsFile = join(tc.dataDir, 'topics.json');
  writeFileSync(topicsFile, JSON.stringify({ version: 1, topics: [{ topic }] }));
  const generated = await reassign(['--generate', '--topics-to-move-json-file', topicsFile, '--broker-list', '2,3,4']);
  expect(generated.code).toBe(0);
  const [, currentJson, , proposedJson] = generated.stdout.trim().split('\n').filter((l) => l.trim() !== '');
  expect(generated.stdout).toContain('Proposed partition reassignment configuration');
  expect(JSON.parse(currentJson!).partitions).toEqual([{ topic, partition: 0, replicas: before.replicas, log_dirs: ['any', 'any', 'any'] }]);
  expect([...JSON.parse(proposedJson!).partitions[0].replicas].sort()).toEqual([2, 3, 4]);

  const file = planFile('move.json', topic, target);
  const executed = await reassign(['--execute', '--reassignment-json-file', file]);
  expect(executed.code).toBe(0);
  expect(executed.stdout).toContain('Save this to use as the --reassignment-json-file option during rollback');
  expect(executed.stdout).toContain(`Successfully started partition reassignments for ${topic}-0`);

  const done = await waitState(etcd, topic, 'the move completed', (s) => !moving(s) && s.replicas.join() === target.join(), 60_000);
  expect(done.isr.sort()).toEqual([...target].sort());
  expect(target).toContain(done.leader);
  expect(done.leaderEpoch).toBeGreaterThan(before.leaderEpoch);
  const verified = await reassign(['--verify', '--reassignment-json-file', file]);
  expect(verified.code).toBe(0);
  expect(verified.stdout).toContain(`Reassignment of partition ${topic}-0 is completed.`);

  // The old replica's directory goes once the completion (and its record) is committed; the record is then removed.
  await waitFor('the removed replica directory deleted', () => !existsSync(dirOf(removed, topic)), 30_000, 100);
  await waitFor('no pending replica deletion', async () => (await pendingDeletions()).length === 0, 30_000, 100);
  expect(existsSync(dirOf(added, topic))).toBe(true);

  await producer.stop();
  expect(producer.acked.length).toBeGreaterThan(200);
  const all = await readAll(client, topic);
  expect(isSubsequence(producer.acked, all)).toBe(true);
  // Metadata (kafkajs) names the new replicas.
  const md = await admin.fetchTopicMetadata({ topics: [topic] });
  expect(md.topics[0]!.partitions[0]!.replicas).toEqual(target);
});

it('lists a move held up by a paused broker, and cancels it back to the original replicas', async () => {
  const topic = 'cancelled';
  const [created] = await client.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 2 }]);
  expect(created.errorCode).toBe(0);
  const before = await waitState(etcd, topic, 'a full ISR', (s) => s.leader >= 0 && s.isr.length === 2);
  const added = ALL.find((id) => !before.replicas.includes(id))!;
  const target = [before.replicas[0]!, added];
  await tc.cluster.kill('broker', added, 'SIGSTOP');
  try {
    const file = planFile('cancel.json', topic, target);
    expect((await reassign(['--execute', '--reassignment-json-file', file])).code).toBe(0);
    const during = await stateOf(etcd, topic);
    expect(during).toMatchObject({ replicas: [...target, before.replicas[1]], addingReplicas: [added], removingReplicas: [before.replicas[1]] });
    await waitFor('the gateway lists the move', async () => (await reassign(['--list'])).stdout.includes(`${topic}-0: replicas: ${during.replicas.join(',')}. adding: ${added}. removing: ${before.replicas[1]}.`), 10_000, 200);
    const verify = await reassign(['--verify', '--reassignment-json-file', file]);
    expect(verify.stdout).toContain(`Reassignment of partition ${topic}-0 is still in progress.`);
    const listed = await admin.listPartitionReassignments({ topics: [{ topic, partitions: [0] }] });
    expect(listed.topics).toEqual([{ name: topic, partitions: [{ partition: 0, replicas: during.replicas, addingReplicas: [added], removingReplicas: [before.replicas[1]] }] }]);

    const cancelled = await reassign(['--cancel', '--reassignment-json-file', file]);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toContain(`Successfully cancelled partition reassignments for ${topic}-0`);
    const after = await stateOf(etcd, topic);
    expect(moving(after)).toBe(false);
    expect([...after.replicas].sort()).toEqual([...before.replicas].sort());
    // A second cancel has nothing to cancel: Kafka's code, exit status 1.
    const again = await reassign(['--cancel', '--reassignment-json-file', file]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('NO_REASSIGNMENT_IN_PROGRESS');
  } finally {
    await tc.cluster.kill('broker', added, 'SIGCONT');
  }
  // The broker taken off by the cancel drops its record (it may have no directory at all).
  await waitFor('no pending replica deletion', async () => (await pendingDeletions()).length === 0, 30_000, 100);
  await waitFor('the cancelled replica has no directory', () => !existsSync(dirOf(added, topic)), 30_000, 100);
});

it('finishes a move after the controller leader is killed in the middle of it', async () => {
  const topic = 'failover';
  const [created] = await client.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 3 }]);
  expect(created.errorCode).toBe(0);
  const before = await waitState(etcd, topic, 'a full ISR', (s) => s.leader >= 0 && s.isr.length === 3);
  const producer = startProducer(client, topic, 'f');
  await waitFor('some records acknowledged', () => producer.acked.length >= 100, 30_000, 50);
  const added = ALL.find((id) => !before.replicas.includes(id))!;
  const removed = before.replicas.find((id) => id !== before.leader)!;
  const target = [...before.replicas.filter((id) => id !== removed), added];
  await tc.cluster.kill('broker', added, 'SIGSTOP');
  let resumed = false;
  try {
    // Through kafkajs this time.
    await admin.alterPartitionReassignments({ topics: [{ topic, partitionAssignment: [{ partition: 0, replicas: target }] }] });
    const during = await stateOf(etcd, topic);
    expect(during.addingReplicas).toEqual([added]);
    // Not complete: the replica leaving keeps its directory.
    expect(existsSync(dirOf(removed, topic))).toBe(true);
    const leaderRaw = await etcd.get(controllerLeaderKey('dms')).string();
    const leaderId = controllerLeader.decode(leaderRaw)!.id;
    await tc.cluster.kill('controller', leaderId, 'SIGKILL');
    await tc.cluster.kill('broker', added, 'SIGCONT');
    resumed = true;
    const done = await waitState(etcd, topic, 'the move completed by the new controller', (s) => !moving(s) && s.replicas.join() === target.join(), 60_000);
    expect(done.isr.sort()).toEqual([...target].sort());
    const newLeader = controllerLeader.decode(await etcd.get(controllerLeaderKey('dms')).string());
    expect(newLeader?.id).not.toBe(leaderId);
  } finally {
    if (!resumed) await tc.cluster.kill('broker', added, 'SIGCONT');
  }
  await waitFor('the removed replica directory deleted', () => !existsSync(dirOf(removed, topic)), 30_000, 100);
  await producer.stop();
  expect(isSubsequence(producer.acked, await readAll(client, topic))).toBe(true);
});

it('finishes a move whose new replica\'s broker is killed and restarted in the middle of it', async () => {
  const topic = 'restarted';
  const [created] = await client.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 2 }]);
  expect(created.errorCode).toBe(0);
  const before = await waitState(etcd, topic, 'a full ISR', (s) => s.leader >= 0 && s.isr.length === 2);
  const producer = startProducer(client, topic, 'r');
  await waitFor('some records acknowledged', () => producer.acked.length >= 100, 30_000, 50);
  const added = ALL.find((id) => !before.replicas.includes(id))!;
  const target = [before.leader, added];
  await tc.cluster.kill('broker', added, 'SIGSTOP');
  const executed = await reassign(['--execute', '--reassignment-json-file', planFile('restart.json', topic, target)]);
  expect(executed.code).toBe(0);
  expect(moving(await stateOf(etcd, topic))).toBe(true);
  await tc.cluster.kill('broker', added, 'SIGKILL');
  await tc.cluster.restart('broker', added);
  const done = await waitState(etcd, topic, 'the move completed after the restart', (s) => !moving(s) && s.replicas.join() === target.join(), 60_000);
  expect(done.isr.sort()).toEqual([...target].sort());
  await producer.stop();
  expect(isSubsequence(producer.acked, await readAll(client, topic))).toBe(true);
});

it('answers Kafka error codes per partition', async () => {
  const topic = 'errors';
  const [created] = await client.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 2 }]);
  expect(created.errorCode).toBe(0);
  const { alterPartitionReassignments } = await import('@dms/kafka-client');
  const answers = await alterPartitionReassignments(client, [
    { topic, partition: 0, replicas: [1, 1] },
    { topic, partition: 0, replicas: [1, 99] },
    { topic, partition: 7, replicas: [1, 2] },
    { topic, partition: 0, replicas: null },
    { topic: 'no-such-topic', partition: 0, replicas: [1, 2] },
    { topic, partition: 0, replicas: [] },
  ]);
  // Grouped by topic as the response lays them out.
  expect(answers.map((a) => [a.topic, a.partition, a.errorCode])).toEqual([
    [topic, 0, ErrorCode.INVALID_REPLICA_ASSIGNMENT],
    [topic, 0, ErrorCode.INVALID_REPLICA_ASSIGNMENT],
    [topic, 7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    [topic, 0, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS],
    [topic, 0, ErrorCode.INVALID_REPLICA_ASSIGNMENT],
    ['no-such-topic', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
  ]);
  expect(answers[1]!.errorMessage).toContain('99');
});
