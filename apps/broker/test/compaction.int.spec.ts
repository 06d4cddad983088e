// Log compaction across real processes: a compacted topic (RF 3) with 10,000 updates over 100 keys
// plus tombstones reads back the latest value per key and no deleted key, from every replica's own
// log on disk and through the gateway, before and after a SIGKILL of the leader.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { buildRecordBatch, decodeRecordBatches, type KafkaRecord } from '@dms/kafka-codec';
import { alterConfigs, GroupAdmin, KafkaClient, RESOURCE_TOPIC, readPartitionRecords } from '@dms/kafka-client';
import { freePort, waitFor } from '@dms/devcluster';
import { cleanup, startTestCluster, type TestCluster } from '@dms/testing';
import { stateOf, waitState } from './replication-helpers';

jest.setTimeout(180_000);

const TOPIC = 'compacted';
const KEYS = 100;
const ROUNDS = 100;
const DELETED = new Set(Array.from({ length: 20 }, (_, i) => `k${i}`));
/** Values of about 1 KiB, so 10,000 updates close about ten 1 MiB segments. */
const PAD = 'x'.repeat(1000);

let tc: TestCluster;
let client: KafkaClient;
let etcd: Etcd3;
const metricsPorts = new Map<number, number>();

beforeAll(async () => {
  for (const id of [1, 2, 3]) metricsPorts.set(id, await freePort());
  tc = await startTestCluster({
    brokers: 3,
    controllers: 1,
    gateways: 1,
    config: {
      broker: (id) => ({
        'etcd.lease.ttl.ms': 3000,
        'replica.lag.time.max.ms': 1500,
        'log.cleaner.backoff.ms': 100,
        'metrics.port': metricsPorts.get(id)!,
      }),
      controller: { 'etcd.lease.ttl.ms': 3000, 'offsets.topic.num.partitions': 1 },
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

async function produce(records: { key: string; value: string | null }[]): Promise<void> {
  await client.produce(TOPIC, 0, await buildRecordBatch({ records }), -1, 10_000);
}

/** What a consumer rebuilding a table from the log gets: tombstones delete. */
function table(records: readonly KafkaRecord[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const r of records) {
    const key = r.key!.toString();
    if (r.value === null) m.delete(key);
    else m.set(key, r.value.toString());
  }
  return m;
}

/** A broker's Prometheus sample (first line with that name and labels). */
async function metric(brokerId: number, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPorts.get(brokerId)}/metrics`)).text();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

/** One broker's segment files of the partition, read from disk: closed segments, then the active one. */
async function onDisk(brokerId: number, topic = TOPIC): Promise<{ closed: KafkaRecord[]; active: KafkaRecord[] }> {
  const dir = join(tc.dataDir, `broker-${brokerId}`, `${topic}-0`);
  const files = (await readdir(dir)).filter((n) => /^\d{20}\.log$/.test(n)).sort();
  const read = async (f: string) =>
    (await decodeRecordBatches(await readFile(join(dir, f)))).flatMap((b) => (b.header.isControl ? [] : b.records));
  const closed: KafkaRecord[] = [];
  for (const f of files.slice(0, -1)) closed.push(...(await read(f)));
  return { closed, active: files.length ? await read(files[files.length - 1]!) : [] };
}

/**
 * A replica's log is compacted when its closed segments hold one record per live key and no
 * deleted key is left anywhere (tombstones expired and swept).
 */
async function compactedOnDisk(brokerId: number, expected: Map<string, string>): Promise<KafkaRecord[] | false> {
  const disk = await onDisk(brokerId).catch(() => undefined); // files may be renamed mid-read
  if (!disk) return false;
  const all = [...disk.closed, ...disk.active];
  if (all.some((r) => DELETED.has(r.key!.toString()))) return false;
  const keys = disk.closed.map((r) => r.key!.toString());
  if (new Set(keys).size !== keys.length || keys.length > expected.size) return false;
  return all;
}

describe('log compaction on a 3-broker cluster', () => {
  it('keeps the latest value per key and no deleted key on every replica, also after a leader failover', async () => {
    const [created] = await client.createTopics([
      {
        name: TOPIC,
        numPartitions: 1,
        replicationFactor: 3,
        configs: {
          'cleanup.policy': 'compact',
          'segment.bytes': '1048576', // Kafka 4's smallest: 10 MB of updates fill about ten
          'min.cleanable.dirty.ratio': '0.01',
          'delete.retention.ms': '2000',
          'file.delete.delay.ms': '1000',
          'min.insync.replicas': '2',
        },
      },
    ]);
    expect(created.errorCode).toBe(0);
    const initial = await waitState(etcd, TOPIC, 'all three replicas in sync', (s) => s.isr.length === 3 && s.leader >= 0);

    // 10,000 updates over 100 keys, then tombstones for 20 keys, then more updates of the others
    // so the tombstones land in closed segments.
    for (let round = 0; round < ROUNDS; round++) {
      await produce(Array.from({ length: KEYS }, (_, k) => ({ key: `k${k}`, value: `v${round}-k${k}-${PAD}` })));
    }
    await produce([...DELETED].map((key) => ({ key, value: null })));
    for (let round = ROUNDS; round < ROUNDS + 30; round++) {
      await produce(Array.from({ length: KEYS - DELETED.size }, (_, i) => ({ key: `k${i + DELETED.size}`, value: `v${round}-k${i + DELETED.size}-${PAD}` })));
    }
    const expected = new Map<string, string>();
    for (let k = DELETED.size; k < KEYS; k++) expected.set(`k${k}`, `v${ROUNDS + 29}-k${k}-${PAD}`);

    // Every replica compacts its own log: tombstones expire (2 s) and a quiet-log sweep drops them.
    for (const id of initial.replicas) {
      const recs = await waitFor(`broker ${id} to compact its replica`, () => compactedOnDisk(id, expected), 60_000, 250);
      expect(table(recs)).toEqual(expected);
      const checkpoint = await readFile(join(tc.dataDir, `broker-${id}`, 'cleaner-offset-checkpoint'), 'utf8');
      expect(checkpoint).toMatch(new RegExp(`^${TOPIC} 0 \\d+$`, 'm'));
      expect(await metric(id, 'kafka_log_cleaner_rounds_total')).toBeGreaterThan(0);
      expect(await metric(id, 'kafka_log_cleaner_bytes_total', { direction: 'read' })).toBeGreaterThan(0);
    }

    // Through the gateway, from the leader: the same table, offsets with gaps, no deleted key.
    const read = await readPartitionRecords(client, TOPIC, 0);
    expect(table(read)).toEqual(expected);
    expect(read.some((r) => DELETED.has(r.key!.toString()))).toBe(false);
    expect(read.length).toBeLessThan(ROUNDS * KEYS / 10);

    // The leader dies: another replica leads and serves its own compacted log.
    const victim = initial.leader;
    await tc.cluster.kill('broker', victim, 'SIGKILL');
    const moved = await waitState(etcd, TOPIC, 'a new leader', (s) => s.leader >= 0 && s.leader !== victim, 30_000);
    expect(moved.leader).not.toBe(victim);
    const afterFailover = await waitFor('a read from the new leader', async () => {
      const recs = await readPartitionRecords(client, TOPIC, 0);
      return recs.length > 0 ? recs : false;
    }, 30_000, 250);
    expect(table(afterFailover)).toEqual(expected);
    expect(afterFailover.some((r) => DELETED.has(r.key!.toString()))).toBe(false);

    // The new leader keeps taking updates; a deleted key written again comes back.
    await produce([{ key: 'k0', value: 'reborn' }, { key: 'k50', value: 'changed' }]);
    expected.set('k0', 'reborn');
    expected.set('k50', 'changed');
    expect(table(await readPartitionRecords(client, TOPIC, 0))).toEqual(expected);

    // The killed broker restarts, catches up and reads the same table from its own disk.
    await tc.cluster.restart('broker', victim);
    await waitState(etcd, TOPIC, 'the restarted broker back in the ISR', (s) => s.isr.includes(victim), 60_000);
    const healed = await waitFor('the restarted replica to hold the new writes', async () => {
      const disk = await onDisk(victim).catch(() => undefined);
      const recs = disk && [...disk.closed, ...disk.active];
      return recs && table(recs).get('k50') === 'changed' ? recs : false;
    }, 30_000, 250);
    expect(table(healed)).toEqual(expected);
    expect((await stateOf(etcd, TOPIC)).isr).toHaveLength(3);
    expect(tc.unexpectedExits).toEqual([]);
  });

  it('compacts __consumer_offsets, and a new coordinator loads committed offsets and deleted groups from it', async () => {
    const admin = new GroupAdmin(client);
    await admin.commitOffsets('gone', [{ topic: TOPIC, partition: 0, offset: 1n }]);
    // Segments of Kafka 4's smallest size, filled by commits carrying ~4 KB of metadata each.
    await alterConfigs(client, { type: RESOURCE_TOPIC, name: '__consumer_offsets' }, { 'segment.bytes': '1048576' }, []);
    const metadata = 'm'.repeat(4000);
    for (let i = 1; i <= 400; i++) {
      const results = await admin.commitOffsets('app', [{ topic: TOPIC, partition: 0, offset: BigInt(i), metadata }]);
      expect(results.every((r) => r.errorCode === 0)).toBe(true);
    }
    expect(await admin.deleteGroup('gone')).toBe(0);
    // More commits so the tombstones land in closed segments.
    for (let i = 401; i <= 700; i++) await admin.commitOffsets('app', [{ topic: TOPIC, partition: 0, offset: BigInt(i), metadata }]);

    const state = await waitState(etcd, '__consumer_offsets', 'the offsets partition in sync', (s) => s.isr.length === 3);
    for (const id of state.replicas) {
      await waitFor(`broker ${id} to compact __consumer_offsets`, async () => {
        const disk = await onDisk(id, '__consumer_offsets').catch(() => undefined);
        if (!disk || disk.closed.length === 0) return false;
        const keys = disk.closed.map((r) => r.key!.toString('hex'));
        return new Set(keys).size === keys.length;
      }, 60_000, 250);
    }

    await tc.cluster.kill('broker', state.leader, 'SIGKILL');
    await waitState(etcd, '__consumer_offsets', 'a new coordinator', (s) => s.leader >= 0 && s.leader !== state.leader, 30_000);
    const offsets = await waitFor('the new coordinator to serve offsets', () => admin.fetchOffsets('app').then((o) => (o.length ? o : false)), 30_000, 250);
    expect(offsets.map((o) => [o.topic, o.partition, o.offset])).toEqual([[TOPIC, 0, 700n]]);
    expect(await admin.fetchOffsets('gone')).toEqual([]);
    expect((await admin.listGroups()).map((g) => g.groupId)).not.toContain('gone');
    await tc.cluster.restart('broker', state.leader);
  });
});
