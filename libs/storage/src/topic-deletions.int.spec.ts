// What a broker does with partition directories when etcd's view changes (real etcd, a real
// ReplicaManager on a temp log dir): a topic merely absent from etcd keeps its directory; a
// deletion record deletes it and is acknowledged; a directory of an unknown or replaced topic id
// is renamed aside as a stray, never deleted.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import {
  ClusterView,
  clusterIdKey,
  clusterIdRecord,
  partitionKey,
  partitionState,
  topicDeletionKey,
  topicDeletionRecord,
  topicDeletionsPrefix,
  topicKey,
  topicPartitionsPrefix,
  topicRecord,
} from '@dms/cluster';
import { waitFor } from '@dms/devcluster';
import { PartitionLog } from '@dms/log';
import { createLogger } from '@dms/platform';
import { cleanup, startTestEtcd, type TestEtcd } from '@dms/testing';
import { ReplicaManager } from './replica-manager';
import { acknowledgeTopicDeletion } from './topic-deletions';

jest.setTimeout(60_000);

const CLUSTER = 'deletions';
const BROKER = 1;
const logger = createLogger({ service: 'spec', id: 0, level: 'silent' });

let etcd: TestEtcd;
let client: Etcd3;
const dirs: string[] = [];
const managers: ReplicaManager[] = [];
const views: ClusterView[] = [];

beforeAll(async () => {
  etcd = await startTestEtcd();
  client = new Etcd3({ hosts: `http://${etcd.endpoint}` });
  await client.put(clusterIdKey(CLUSTER)).value(clusterIdRecord.encode({ clusterId: 'AAAAAAAAAAAAAAAAAAAAAA' }));
});

afterEach(async () => {
  for (const m of managers.splice(0)) await m.close();
  for (const v of views.splice(0)) await v.close();
  await client.delete().prefix(topicDeletionsPrefix(CLUSTER));
});

afterAll(async () => {
  client?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await cleanup();
});

async function startManager(logDir?: string): Promise<{ rm: ReplicaManager; logDir: string }> {
  const dir = logDir ?? mkdtempSync(join(tmpdir(), 'dms-deletions-'));
  if (!logDir) dirs.push(dir);
  const view = new ClusterView(client, CLUSTER).start();
  views.push(view);
  await view.ready;
  const rm = new ReplicaManager(view, {
    brokerId: BROKER,
    logDir: dir,
    logConfig: { segmentBytes: 1 << 20 },
    clusterId: 'AAAAAAAAAAAAAAAAAAAAAA',
    acknowledgeDeletion: (record, rev) => acknowledgeTopicDeletion(client, CLUSTER, BROKER, record, rev),
    hwCheckpointIntervalMs: 0,
    logger,
  });
  managers.push(rm);
  await rm.start();
  await rm.idle();
  return { rm, logDir: dir };
}

function topicOps(name: string, topicId: string) {
  const state = { replicas: [BROKER, 2], leader: 2, leaderEpoch: 0, isr: [BROKER, 2], partitionEpoch: 0 };
  return [
    client.put(topicKey(CLUSTER, name)).value(topicRecord.encode({ topicId, partitions: 1, replicationFactor: 2, configs: {}, createdAtMs: Date.now() })),
    client.put(partitionKey(CLUSTER, name, 0)).value(partitionState.encode(state)),
  ];
}

const removeTopicOps = (name: string) => [client.delete().key(topicKey(CLUSTER, name)), client.delete().prefix(topicPartitionsPrefix(CLUSTER, name))];

const deletionOp = (name: string, topicId: string, brokers: number[]) =>
  client.put(topicDeletionKey(CLUSTER, topicId)).value(topicDeletionRecord.encode({ topicId, name, partitions: 1, brokers, deletedAtMs: Date.now() }));

async function createTopic(rm: ReplicaManager, name: string): Promise<string> {
  const topicId = randomUUID();
  await client.if(topicKey(CLUSTER, name), 'Create', '==', 0).then(...topicOps(name, topicId)).commit();
  await waitFor(`${name}-0 open`, () => rm.getNow(name, 0)?.topicId === topicId, 20_000);
  return topicId;
}

const metadataOf = (dir: string) => readFileSync(join(dir, 'partition.metadata'), 'utf8');
const strays = (logDir: string, name: string) => readdirSync(logDir).filter((n) => n.startsWith(`${name}-0.`) && n.endsWith('-stray'));

it('keeps the directory of a topic that merely vanished from etcd (a wipe or an old backup)', async () => {
  const { rm, logDir } = await startManager();
  const topicId = await createTopic(rm, 'vanished');
  const dir = join(logDir, 'vanished-0');
  const files = readdirSync(dir).sort();
  expect(files.some((f) => f.endsWith('.log'))).toBe(true);

  await client.if(topicKey(CLUSTER, 'vanished'), 'Create', '>', 0).then(...removeTopicOps('vanished')).commit();
  await waitFor('replica closed', () => rm.getNow('vanished', 0) === undefined, 20_000);
  await rm.idle();
  expect(readdirSync(dir)).toEqual(expect.arrayContaining(files));
  expect(metadataOf(dir)).toContain(topicId);
});

it('deletes the directory named by a deletion record and acknowledges it; the last broker removes the record', async () => {
  const { rm, logDir } = await startManager();
  const topicId = await createTopic(rm, 'doomed');
  await client.if(topicKey(CLUSTER, 'doomed'), 'Create', '>', 0).then(...removeTopicOps('doomed'), deletionOp('doomed', topicId, [BROKER, 2])).commit();
  await waitFor('directory deleted', () => !existsSync(join(logDir, 'doomed-0')), 20_000);
  // Broker 1 acknowledged: broker 2 is still to act.
  const left = await waitFor('acknowledged by broker 1', async () => {
    const rec = topicDeletionRecord.decode(await client.get(topicDeletionKey(CLUSTER, topicId)).buffer());
    return rec && !rec.brokers.includes(BROKER) ? rec : undefined;
  }, 20_000);
  expect(left.brokers).toEqual([2]);
  // Broker 2 acts: the record is gone.
  const kv = (await client.get(topicDeletionKey(CLUSTER, topicId)).exec()).kvs[0]!;
  expect(await acknowledgeTopicDeletion(client, CLUSTER, 2, left, BigInt(kv.mod_revision))).toBe(true);
  expect(await client.get(topicDeletionKey(CLUSTER, topicId)).exists()).toBe(false);
  expect(strays(logDir, 'doomed')).toEqual([]);
});

it('replaces the old directory when a deleted topic is re-created under the same name', async () => {
  const { rm, logDir } = await startManager();
  const oldId = await createTopic(rm, 'again');
  const newId = randomUUID();
  // One revision: the old topic deleted (with its record) and the new one created.
  await client.if(topicKey(CLUSTER, 'again'), 'Create', '>', 0).then(...topicOps('again', newId), deletionOp('again', oldId, [BROKER])).commit();
  await waitFor('new topic open', () => rm.getNow('again', 0)?.topicId === newId, 20_000);
  await rm.idle();
  expect(metadataOf(join(logDir, 'again-0'))).toContain(newId);
  expect(strays(logDir, 'again')).toEqual([]);
  await waitFor('record acknowledged and removed', async () => !(await client.get(topicDeletionKey(CLUSTER, oldId)).exists()), 20_000);
});

it('renames aside, never deletes, a directory whose name now belongs to another topic id with no deletion on record', async () => {
  const { rm, logDir } = await startManager();
  const oldId = await createTopic(rm, 'swapped');
  const newId = randomUUID();
  await client.if(topicKey(CLUSTER, 'swapped'), 'Create', '>', 0).then(...topicOps('swapped', newId)).commit();
  await waitFor('new topic open', () => rm.getNow('swapped', 0)?.topicId === newId, 20_000);
  const [stray] = strays(logDir, 'swapped');
  expect(stray).toBeDefined();
  expect(metadataOf(join(logDir, stray!))).toContain(oldId);
  expect(readdirSync(join(logDir, stray!)).some((f) => f.endsWith('.log'))).toBe(true);
});

it('at start-up: deletes a directory whose deletion happened while the broker was down, renames an unknown one aside', async () => {
  const logDir = mkdtempSync(join(tmpdir(), 'dms-deletions-'));
  dirs.push(logDir);
  const deletedId = randomUUID();
  const unknownId = randomUUID();
  for (const [name, id] of [['gone-while-down', deletedId], ['ghost', unknownId]] as const) {
    const log = await PartitionLog.open(join(logDir, `${name}-0`), { topicId: id });
    await log.close();
  }
  await client.put(topicDeletionKey(CLUSTER, deletedId)).value(topicDeletionRecord.encode({ topicId: deletedId, name: 'gone-while-down', partitions: 1, brokers: [BROKER], deletedAtMs: Date.now() }));
  await startManager(logDir);
  await waitFor('deleted on start-up', () => !existsSync(join(logDir, 'gone-while-down-0')), 20_000);
  await waitFor('record removed by the last replica', async () => !(await client.get(topicDeletionKey(CLUSTER, deletedId)).exists()), 20_000);
  expect(existsSync(join(logDir, 'ghost-0'))).toBe(false);
  const [stray] = strays(logDir, 'ghost');
  expect(metadataOf(join(logDir, stray!))).toContain(unknownId);
});
