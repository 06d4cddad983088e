// Burrow 1.2.1 (Debian; sarama 1.22), LinkedIn's lag monitor built for Kafka 2.x, against a real
// cluster of 3 brokers and 2 gateways: it lists a group and reports its lag as end offset − committed
// offset, with the kafka-version a Kafka 2.x deployment sets ("2.0.0") and with the oldest
// one whose requests Kafka 4 still serves ("0.11.0": Fetch v4). Older kafka-versions make sarama
// fetch __consumer_offsets with Fetch v0-v3, which Kafka 4 and DMS refuse by closing the
// connection; the third case checks that, with Burrow's default and oldest kafka-version (0.8),
// the end offsets still come through ListOffsets v0 and the refused fetch is named in the log.
// Last, the broker leading the group's __consumer_offsets partition is killed: Burrow goes on
// reading the partition from its new leader.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { partitionKey, partitionState, type PartitionState } from '@dms/cluster';
import { waitFor } from '@dms/devcluster';
import { groupPartition, OFFSETS_TOPIC } from '@dms/groups';
import { cleanup, repoRoot, runCli, runProcess, startTestCluster, type TestCluster } from '@dms/testing';
import { BURROW_BIN, startBurrow, startZooKeeper, waitForLag, type Burrow, type ZooKeeper } from './burrow-runner';

const PYTHON = process.env.DMS_COMPAT_PYTHON ?? '/usr/bin/python3';
const TOPIC = 'burrow-lag';
const GROUP = 'burrow-group';
const OFFSETS_PARTITIONS = 5;

if (!existsSync(BURROW_BIN)) throw new Error(`${BURROW_BIN} is missing: install Debian's burrow and zookeeper (tools/ci/ensure-deps.sh --test-clients)`);

let tc: TestCluster;
let etcd: Etcd3;
let dir: string;
let zk: ZooKeeper | undefined;
const burrows: Burrow[] = [];

async function produce(partition: number, count: number): Promise<void> {
  const lines = Array.from({ length: count }, (_, i) => `p${partition}-${i}`).join('\n') + '\n';
  const res = await runCli(['produce', TOPIC, '--partition', String(partition), '--bootstrap-server', tc.bootstrap], { input: lines });
  if (res.code !== 0) throw new Error(`dms produce: ${res.stderr}`);
}

/** kafka-python commits `offsets` (partition → offset) for GROUP, as a standalone consumer. */
async function commit(offsets: Record<number, number>): Promise<void> {
  const script = join(repoRoot(), 'tools', 'compat', 'python', 'commit_offsets.py');
  const args = Object.entries(offsets).map(([p, o]) => `${p}=${o}`);
  const res = await runProcess(PYTHON, [script, tc.bootstrap, GROUP, TOPIC, ...args], { timeoutMs: 60_000 });
  if (res.code !== 0) throw new Error(`commit_offsets.py exited ${res.code}: ${res.stderr.slice(-2000)}`);
  expect(JSON.parse(res.stdout.trim().split('\n').pop()!)).toEqual(Object.fromEntries(Object.entries(offsets).map(([p, o]) => [p, o])));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dms-compat-burrow-'));
  [tc, zk] = await Promise.all([
    startTestCluster({ brokers: 3, controllers: 1, gateways: 2, config: { controller: { 'offsets.topic.num.partitions': OFFSETS_PARTITIONS } } }),
    startZooKeeper(join(dir, 'zookeeper')),
  ]);
  etcd = new Etcd3({ hosts: tc.etcdEndpoint });
  const created = await runCli(['topics', 'create', TOPIC, '--partitions', '3', '--replication-factor', '3', '--bootstrap-server', tc.bootstrap]);
  if (created.code !== 0) throw new Error(`dms topics create: ${created.stderr}`);
  await produce(0, 10);
  await produce(1, 4);
  await commit({ 0: 6, 1: 4 });
  const servers = [1, 2].map((id) => `127.0.0.1:${tc.cluster.service('gateway', id).ports.kafkaPort}`);
  for (const [cluster, kafkaVersion] of [['kafka2', '2.0.0'], ['kafka011', '0.11.0']]) {
    burrows.push(await startBurrow({ dir: join(dir, cluster), servers, zookeeper: zk.address, kafkaVersion, cluster }));
  }
}, 240_000);

afterAll(async () => {
  try {
    await Promise.all(burrows.map((b) => b.stop()));
    await zk?.stop();
    etcd?.close();
    await cleanup();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

/** The storage state of the __consumer_offsets partition that coordinates GROUP. */
async function offsetsState(): Promise<PartitionState> {
  const raw = await etcd.get(partitionKey('dms', OFFSETS_TOPIC, groupPartition(GROUP, OFFSETS_PARTITIONS))).buffer();
  const state = raw && partitionState.decode(raw);
  if (!state) throw new Error(`no state for the offsets partition of ${GROUP}`);
  return state;
}

/** Both Burrows (kafka-version 2.0.0 and 0.11.0) report `expected` (partition → [committed, lag]). */
async function bothReport(expected: Record<number, [number, number]>, totalLag: number): Promise<void> {
  const reports = await Promise.all(burrows.slice(0, 2).map((b) => waitForLag(b, GROUP, expected)));
  for (const r of reports) {
    // Burrow lists every partition of a topic the group committed to; partition 2 has no commit.
    expect(r.partitions.map((p) => [p.topic, p.partition, p.end === null])).toEqual([[TOPIC, 0, false], [TOPIC, 1, false], [TOPIC, 2, true]]);
    expect(r.totallag).toBe(totalLag);
  }
}

it('lists the group and reports lag = end offset − committed offset (kafka-version 2.0.0 and 0.11.0)', async () => {
  for (const b of burrows) {
    await waitFor(`${GROUP} among Burrow ${b.cluster}'s consumers`, async () => (await b.consumers()).includes(GROUP), 60_000, 500);
    expect(await b.topicOffsets(TOPIC)).toEqual([10, 4, 0]);
  }
  await bothReport({ 0: [6, 4], 1: [4, 0] }, 4);
}, 150_000);

it('sees the lag grow when records are produced and shrink when the group commits', async () => {
  await produce(1, 5);
  await bothReport({ 0: [6, 4], 1: [4, 5] }, 9);
  await commit({ 0: 10, 1: 7 });
  await bothReport({ 0: [10, 0], 1: [7, 2] }, 2);
  expect(tc.unexpectedExits).toEqual([]);
}, 150_000);

it('kafka-version 0.8 (Burrow\'s default, its oldest): end offsets through ListOffsets v0; its Fetch v0 is refused as Kafka 4 refuses it, and named', async () => {
  // sarama at V0_8_2_0 sends Metadata v0, ListOffsets v0 (served: Kafka 4 removed it, DMS keeps
  // it) and Fetch v0 (refused: the connection is closed, as Kafka 4 closes it).
  const old = await startBurrow({ dir: join(dir, 'kafka08'), servers: [tc.bootstrap], zookeeper: zk!.address, kafkaVersion: '0.8', cluster: 'kafka08' });
  burrows.push(old);
  const gatewayLog = join(tc.dataDir, 'logs', 'gateway-1.log');
  const refusal = await waitFor('the gateway to log the refused Fetch v0 of burrow-kafka08', () => readFileSync(gatewayLog, 'utf8').split('\n')
    .filter((l) => l.includes('unsupported version of a Kafka API')).map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.clientId === 'burrow-kafka08'), 60_000, 500);
  expect(refusal).toMatchObject({ api: 'Fetch', apiKey: 1, apiVersion: 0, served: expect.stringMatching(/^4-/) });
  // Its cluster module reads every partition's end offset; its consumer module gets no record.
  await waitFor('the old Burrow to read the end offsets', async () => JSON.stringify(await old.topicOffsets(TOPIC)) === JSON.stringify([10, 9, 0]), 60_000, 500);
  expect(await old.consumers()).toEqual([]);
  expect(old.log()).toMatch(/consume error/);
  expect(tc.unexpectedExits).toEqual([]);
}, 90_000);

it('keeps reading __consumer_offsets when the coordinator\'s broker is killed: a commit to the new coordinator shows', async () => {
  const before = await waitFor('the offsets partition with 3 in-sync replicas', async () => {
    const st = await offsetsState();
    return st.isr.length === 3 && st;
  }, 60_000, 500);
  await tc.cluster.kill('broker', before.leader, 'SIGKILL');
  await waitFor('a new leader of the offsets partition', async () => {
    const st = await offsetsState();
    return st.leader >= 0 && st.leader !== before.leader;
  }, 90_000, 500);
  await commit({ 0: 10, 1: 8 });
  await bothReport({ 0: [10, 0], 1: [8, 1] }, 1);
  expect(tc.unexpectedExits).toEqual([]);
}, 180_000);
