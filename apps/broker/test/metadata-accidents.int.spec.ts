// Metadata accidents never erase broker data (real etcd, real processes):
// - a topic deleted while one of its replica brokers is down is deleted on every replica, the
//   down one included once it is back, and the deletion record leaves etcd after all acted;
// - the whole cluster restarted on a wiped etcd keeps every byte of its logs: the brokers refuse
//   to start for the new cluster id (saying why), and serve everything again once etcd's data is
//   restored.
import { createHash } from 'node:crypto';
import { cpSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { clusterIdKey, clusterIdRecord, topicDeletionsPrefix } from '@dms/cluster';
import { buildRecordBatch } from '@dms/kafka-codec';
import { KafkaClient, readPartitionValues } from '@dms/kafka-client';
import { waitFor } from '@dms/devcluster';
import { cleanup, startTestCluster, type TestCluster } from '@dms/testing';

jest.setTimeout(240_000);

const BROKERS = [1, 2, 3];
const CLUSTER = 'dms';

let tc: TestCluster;
let etcd: Etcd3;

beforeAll(async () => {
  tc = await startTestCluster({
    brokers: BROKERS.length,
    controllers: 1,
    gateways: 1,
    config: {
      broker: { 'etcd.lease.ttl.ms': 3000, 'replica.lag.time.max.ms': 3000 },
      controller: { 'etcd.lease.ttl.ms': 3000 },
      gateway: { 'etcd.lease.ttl.ms': 3000 },
    },
  });
  etcd = new Etcd3({ hosts: `http://${tc.etcdEndpoint}` });
});

afterAll(async () => {
  etcd?.close();
  await cleanup();
});

const brokerDir = (id: number) => join(tc.dataDir, `broker-${id}`);
const topicDirs = (id: number, topic: string) => readdirSync(brokerDir(id)).filter((n) => new RegExp(`^${topic}-\\d+$`).test(n));

/** Every file of the topic's partition directories on every broker, with its sha256. */
function filesOf(topic: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const id of BROKERS) {
    for (const d of topicDirs(id, topic)) {
      for (const f of readdirSync(join(brokerDir(id), d))) {
        const path = join(brokerDir(id), d, f);
        if (statSync(path).isFile()) out.set(`broker-${id}/${d}/${f}`, createHash('sha256').update(readFileSync(path)).digest('hex'));
      }
    }
  }
  return out;
}

async function produceSome(client: KafkaClient, topic: string, partitions: number, count: number): Promise<string[][]> {
  const sent: string[][] = Array.from({ length: partitions }, () => []);
  for (let i = 0; i < count; i++) {
    const p = i % partitions;
    const value = `${topic}-${i}-${'x'.repeat(200)}`;
    await client.produce(topic, p, await buildRecordBatch({ records: [{ value }] }), -1, 10_000);
    sent[p].push(value);
  }
  return sent;
}

it('deletes a topic on every replica, including one that was down during the delete, then drops the record', async () => {
  const client = new KafkaClient({ bootstrapServers: [tc.bootstrap], requestTimeoutMs: 10_000 });
  try {
    const [created] = await client.createTopics([{ name: 'doomed', numPartitions: 2, replicationFactor: 3 }]);
    expect(created.errorCode).toBe(0);
    await produceSome(client, 'doomed', 2, 20);
    await waitFor('every replica has its dirs', () => BROKERS.every((id) => topicDirs(id, 'doomed').length === 2), 30_000);

    await tc.cluster.kill('broker', 3, 'SIGKILL');
    const [deleted] = await client.deleteTopics(['doomed']);
    expect(deleted.errorCode).toBe(0);
    await waitFor('live replicas deleted their dirs', () => [1, 2].every((id) => topicDirs(id, 'doomed').length === 0), 30_000);
    // The record waits for broker 3.
    const pending = await waitFor('record names only broker 3', async () => {
      const kvs = (await etcd.getAll().prefix(topicDeletionsPrefix(CLUSTER)).exec()).kvs;
      const recs = kvs.map((kv) => JSON.parse(kv.value.toString()) as { name: string; brokers: number[] }).filter((r) => r.name === 'doomed');
      return recs.length === 1 && recs[0].brokers.join() === '3' ? recs[0] : undefined;
    }, 30_000);
    expect(pending.brokers).toEqual([3]);
    expect(topicDirs(3, 'doomed')).toHaveLength(2);

    await tc.cluster.restart('broker', 3);
    await waitFor('broker 3 deleted its dirs', () => topicDirs(3, 'doomed').length === 0, 30_000);
    await waitFor('record gone from etcd', async () => (await etcd.getAll().prefix(topicDeletionsPrefix(CLUSTER)).keys()).length === 0, 30_000);
    expect(readdirSync(brokerDir(3)).filter((n) => n.startsWith('doomed'))).toEqual([]);
  } finally {
    client.close();
  }
});

it('keeps every byte on disk when the cluster restarts on a wiped etcd, refuses the new cluster id, and serves again once etcd is restored', async () => {
  const client = new KafkaClient({ bootstrapServers: [tc.bootstrap], requestTimeoutMs: 10_000 });
  let sent: string[][];
  try {
    const [created] = await client.createTopics([{ name: 'precious', numPartitions: 3, replicationFactor: 3 }]);
    expect(created.errorCode).toBe(0);
    sent = await produceSome(client, 'precious', 3, 300);
  } finally {
    client.close();
  }
  const oldClusterId = clusterIdRecord.decode(await etcd.get(clusterIdKey(CLUSTER)).buffer())!.clusterId;

  const c = tc.cluster;
  await c.kill('gateway', 1, 'SIGTERM');
  await Promise.all(BROKERS.map((id) => c.kill('broker', id, 'SIGTERM')));
  await c.kill('controller', 1, 'SIGTERM');
  await c.killEtcd('SIGTERM');
  const before = filesOf('precious');
  const bytes = [...before.keys()].reduce((n, k) => n + statSync(join(tc.dataDir, k)).size, 0);
  expect(before.size).toBeGreaterThan(0);
  expect(bytes).toBeGreaterThan(300 * 200 * 3);
  for (const id of BROKERS) expect(readFileSync(join(brokerDir(id), 'meta.properties'), 'utf8')).toContain(`cluster.id=${oldClusterId}`);

  // The accident: etcd's data is gone (kept aside here to restore it afterwards).
  const etcdData = join(tc.dataDir, 'etcd');
  const backup = join(tc.dataDir, 'etcd-backup');
  cpSync(etcdData, backup, { recursive: true });
  rmSync(etcdData, { recursive: true, force: true });
  await c.restartEtcd();
  await c.restart('controller', 1);
  const newClusterId = await waitFor('a new cluster id', async () => clusterIdRecord.decode(await etcd.get(clusterIdKey(CLUSTER)).buffer())?.clusterId, 30_000, 100);
  expect(newClusterId).not.toBe(oldClusterId);

  for (const id of BROKERS) {
    await expect(c.restart('broker', id)).rejects.toThrow(/exited \(code 1/);
    const log = readFileSync(join(tc.dataDir, 'logs', `broker-${id}.log`), 'utf8');
    expect(log).toContain(`belongs to cluster ${oldClusterId}`);
    expect(log).toContain(`etcd holds cluster id ${newClusterId}; refusing to start`);
  }
  // Not one byte changed, nothing renamed aside.
  expect(filesOf('precious')).toEqual(before);
  for (const id of BROKERS) expect(readdirSync(brokerDir(id)).filter((n) => n.endsWith('-stray'))).toEqual([]);

  // Restore etcd's data: the same cluster serves everything again.
  await c.kill('controller', 1, 'SIGTERM');
  await c.killEtcd('SIGTERM');
  rmSync(etcdData, { recursive: true, force: true });
  cpSync(backup, etcdData, { recursive: true });
  await c.restartEtcd();
  await c.restart('controller', 1);
  await Promise.all(BROKERS.map((id) => c.restart('broker', id)));
  await c.restart('gateway', 1);
  const reader = new KafkaClient({ bootstrapServers: [tc.bootstrap], requestTimeoutMs: 10_000 });
  try {
    for (let p = 0; p < 3; p++) {
      const end = await waitFor(`partition ${p} served again`, async () => {
        const o = (await reader.listOffsets('precious', p, -1n).catch(() => undefined))?.offset;
        return o !== undefined && o >= BigInt(sent[p].length) ? o : undefined;
      }, 60_000, 200);
      expect(end).toBe(BigInt(sent[p].length));
      expect(await readPartitionValues(reader, 'precious', p, end)).toEqual(sent[p]);
    }
  } finally {
    reader.close();
  }
});

it('stops every broker, data kept, when etcd is wiped under the running cluster', async () => {
  // The cluster serves 'precious' again (previous test); now etcd loses its data while it runs.
  const dataFiles = () => new Map([...filesOf('precious')].filter(([k]) => k.endsWith('.log') || k.endsWith('partition.metadata')));
  const before = dataFiles();
  expect(before.size).toBeGreaterThan(0);
  const exitsBefore = tc.unexpectedExits.length;
  const c = tc.cluster;
  await c.killEtcd('SIGKILL');
  rmSync(join(tc.dataDir, 'etcd'), { recursive: true, force: true });
  await c.restartEtcd();
  const exits = await waitFor('every broker stopped', () => {
    const gone = tc.unexpectedExits.slice(exitsBefore).filter((e) => e.role === 'broker');
    return gone.length === BROKERS.length ? gone : undefined;
  }, 90_000, 200);
  for (const e of exits) {
    expect(e.code).toBe(1);
    expect(readFileSync(e.logFile, 'utf8')).toMatch(/etcd now holds (no cluster id|cluster id \S+) but log dir .* belongs to cluster/);
  }
  expect(dataFiles()).toEqual(before);
  for (const id of BROKERS) expect(readdirSync(brokerDir(id)).filter((n) => n.endsWith('-stray'))).toEqual([]);
});
