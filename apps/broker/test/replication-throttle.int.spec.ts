// Replication throttles across real processes: `dms partitions reassign --execute --throttle`
// holds a new replica's catch-up to the rate (a 30 MB copy at 5 MB/s takes more than 4 s, where
// unthrottled it takes well under that), sets the configs Kafka's tool sets, and `--verify`
// removes them once the move is done.
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { waitFor } from '@dms/devcluster';
import { buildRecordBatch } from '@dms/kafka-codec';
import { describeConfigs, KafkaClient, RESOURCE_BROKER, RESOURCE_TOPIC } from '@dms/kafka-client';
import { cleanup, runCli, startTestCluster, type TestCluster } from '@dms/testing';
import { stateOf, waitState } from './replication-helpers';

jest.setTimeout(240_000);

let tc: TestCluster;
let client: KafkaClient;
let etcd: Etcd3;

beforeAll(async () => {
  tc = await startTestCluster({
    brokers: 2,
    controllers: 1,
    gateways: 1,
    // Two one-second samples: the rate binds after one second instead of Kafka's ten (window.num 11).
    config: { broker: { 'replication.quota.window.num': '2' }, controller: { 'auto.leader.rebalance.enable': 'false' } },
  });
  client = new KafkaClient({ bootstrapServers: [tc.bootstrap], requestTimeoutMs: 20_000 });
  etcd = new Etcd3({ hosts: `http://${tc.etcdEndpoint}` });
});

afterAll(async () => {
  client?.close();
  etcd?.close();
  await cleanup();
});

const reassign = (args: string[]) => runCli(['partitions', 'reassign', ...args, '--bootstrap-server', tc.bootstrap, '--disable-rack-aware'], { timeoutMs: 60_000 });
const dirBytes = (dir: string): number => {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.log')).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  } catch {
    return 0;
  }
};
const configOf = async (type: number, name: string, key: string) => (await describeConfigs(client, { type, name }, [key]))[0];

it('holds a throttled catch-up to the rate, sets Kafka\'s throttle configs, and --verify clears them', async () => {
  const topic = 'throttled';
  const [created] = await client.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 1 }]);
  expect(created!.errorCode).toBe(0);
  const before = await waitState(etcd, topic, 'a leader', (s) => s.leader >= 0);
  const source = before.leader;
  const added = source === 1 ? 2 : 1;
  // 30 MB in 60 batches of 512 KiB that do not compress.
  const chunk = Buffer.alloc(512 * 1024);
  for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE((i * 2654435761) >>> 0, i);
  for (let i = 0; i < 60; i++) await client.produce(topic, 0, await buildRecordBatch({ records: [{ key: String(i), value: chunk }] }), 1);
  const total = dirBytes(join(tc.dataDir, `broker-${source}`, `${topic}-0`));
  expect(total).toBeGreaterThan(30 * 1024 * 1024);

  const file = join(tc.dataDir, 'throttled.json');
  writeFileSync(file, JSON.stringify({ version: 1, partitions: [{ topic, partition: 0, replicas: [source, added] }] }));
  const rate = 5_000_000;
  const started = Date.now();
  const executed = await reassign(['--execute', '--reassignment-json-file', file, '--throttle', String(rate)]);
  expect(executed.stderr).toBe('');
  expect(executed.code).toBe(0);
  expect(executed.stdout).toContain(`The inter-broker throttle limit was set to ${rate} B/s`);
  expect(executed.stdout).toContain('Warning: You must run --verify periodically');

  // The configs Kafka's tool writes: rates on both brokers, the source as leader and the new replica as follower.
  for (const b of [source, added]) {
    expect(await configOf(RESOURCE_BROKER, String(b), 'leader.replication.throttled.rate')).toMatchObject({ value: String(rate), source: 'DYNAMIC_BROKER_CONFIG' });
    expect(await configOf(RESOURCE_BROKER, String(b), 'follower.replication.throttled.rate')).toMatchObject({ value: String(rate), source: 'DYNAMIC_BROKER_CONFIG' });
  }
  expect((await configOf(RESOURCE_TOPIC, topic, 'leader.replication.throttled.replicas'))?.value).toBe(`0:${source}`);
  expect((await configOf(RESOURCE_TOPIC, topic, 'follower.replication.throttled.replicas'))?.value).toBe(`0:${added}`);

  // While it is in progress, --verify says so and keeps the throttles.
  const early = await reassign(['--verify', '--reassignment-json-file', file]);
  if (early.stdout.includes('still in progress')) {
    expect(early.stdout).not.toContain('Clearing broker-level throttles');
    expect((await configOf(RESOURCE_BROKER, String(source), 'leader.replication.throttled.rate'))?.value).toBe(String(rate));
  }

  const samples: { t: number; bytes: number }[] = [];
  const target = join(tc.dataDir, `broker-${added}`, `${topic}-0`);
  await waitFor('the throttled move completed', async () => {
    samples.push({ t: Date.now(), bytes: dirBytes(target) });
    const s = await stateOf(etcd, topic);
    return (s.addingReplicas?.length ?? 0) === 0 && s.replicas.includes(added);
  }, 180_000, 200);
  const elapsedS = (Date.now() - started) / 1000;
  // 30 MB at 5 MB/s: one second's allowance first, then the rate; generous bounds for a loaded machine.
  expect(elapsedS).toBeGreaterThan(4);
  // Between 10 % and 90 % of the copy, the measured rate stays near the throttle (below twice it).
  const at = (share: number) => samples.find((s) => s.bytes >= total * share);
  const from = at(0.1);
  const to = at(0.9);
  expect(from && to && to.t > from.t).toBeTruthy();
  const measured = ((to!.bytes - from!.bytes) * 1000) / (to!.t - from!.t);
  expect(measured).toBeLessThan(rate * 2);

  const verified = await reassign(['--verify', '--reassignment-json-file', file]);
  expect(verified.code).toBe(0);
  expect(verified.stdout).toContain(`Reassignment of partition ${topic}-0 is completed.`);
  expect(verified.stdout).toContain('Clearing broker-level throttles on brokers');
  expect(verified.stdout).toContain(`Clearing topic-level throttles on topic ${topic}`);
  for (const b of [source, added]) {
    expect((await configOf(RESOURCE_BROKER, String(b), 'leader.replication.throttled.rate'))?.source).toBe('DEFAULT_CONFIG');
    expect((await configOf(RESOURCE_BROKER, String(b), 'follower.replication.throttled.rate'))?.source).toBe('DEFAULT_CONFIG');
  }
  expect((await configOf(RESOURCE_TOPIC, topic, 'leader.replication.throttled.replicas'))?.value).toBe('');
  expect((await configOf(RESOURCE_TOPIC, topic, 'follower.replication.throttled.replicas'))?.value).toBe('');
});

it('refuses what it cannot do, clearly', async () => {
  const file = join(tc.dataDir, 'any.json');
  writeFileSync(file, JSON.stringify({ version: 1, partitions: [{ topic: 'throttled', partition: 0, replicas: [1, 2] }] }));
  const logDirs = await reassign(['--execute', '--reassignment-json-file', file, '--replica-alter-log-dirs-throttle', '1000']);
  expect(logDirs.code).toBe(1);
  expect(logDirs.stderr).toContain('--replica-alter-log-dirs-throttle is not supported');
  const bad = await reassign(['--execute', '--reassignment-json-file', file, '--throttle', '5MB']);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain('invalid --throttle');
});
