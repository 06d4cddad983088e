// `dms messages get|search` against a real dev cluster (etcd, controller, broker, gateway as their
// own processes, internal mutual TLS with the dev admin certificate): keyed records over several
// 1 MiB segments found by key (through the key index), by time range and by offset window; again
// after the broker restarts (indexes reloaded from disk) and after retention deleted old segments.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildRecordBatch } from '@dms/kafka-codec';
import { alterConfigs, KafkaClient, RESOURCE_TOPIC } from '@dms/kafka-client';
import { waitFor } from '@dms/devcluster';
import { cleanup, runCli, startTestCluster, type TestCluster } from '@dms/testing';

jest.setTimeout(240_000);

const TOPIC = 'keyed';
const BATCHES = 180;
const PER_BATCH = 10;
const KEYS = 37;
const T0 = BigInt(Date.now() - 3_600_000);
// About 40 KiB a batch: 90 batches fill three 1 MiB segments and part of a fourth per partition.
const PAD = 'x'.repeat(4000);

interface Produced {
  partition: number;
  offset: bigint;
  key: string;
  timestamp: bigint;
  value: string;
}

let tc: TestCluster;
let client: KafkaClient;
const produced: Produced[] = [];

beforeAll(async () => {
  tc = await startTestCluster({ config: { broker: { 'log.retention.check.interval.ms': 200 } } });
  client = new KafkaClient({ bootstrapServers: [tc.bootstrap], requestTimeoutMs: 10_000 });
  const [created] = await client.createTopics([
    { name: TOPIC, numPartitions: 2, replicationFactor: 1, configs: { 'segment.bytes': '1048576', 'file.delete.delay.ms': '0' } },
  ]);
  expect(created!.errorCode).toBe(0);
  for (let b = 0; b < BATCHES; b++) {
    const partition = b % 2;
    const records = Array.from({ length: PER_BATCH }, (_, i) => ({
      key: `user-${(b * PER_BATCH + i) % KEYS}`,
      value: JSON.stringify({ b, i, pad: PAD }),
      timestamp: T0 + BigInt(b * 1000 + i),
    }));
    const res = await client.produce(TOPIC, partition, await buildRecordBatch({ records }), -1, 10_000);
    records.forEach((r, i) => produced.push({ partition, offset: res.baseOffset + BigInt(i), key: r.key, timestamp: r.timestamp, value: r.value }));
  }
});

afterAll(async () => {
  client?.close();
  await cleanup();
});

async function messages(args: string[]): Promise<{ records: { partition: number; offset: string; key: string; value: unknown; timestamp: string }[]; stats: { usedKeyIndex: boolean; batchesRead: number }; partitions: { logStartOffset?: string }[] }> {
  const res = await runCli(['messages', ...args, '--topic', TOPIC, '--data-dir', tc.dataDir, '--json'], { timeoutMs: 60_000 });
  if (res.code !== 0) throw new Error(`dms messages ${args.join(' ')} exited ${res.code}: ${res.stderr}`);
  return JSON.parse(res.stdout);
}

const ids = (rs: { partition: number; offset: bigint | string }[]) => rs.map((r) => `${r.partition}:${r.offset}`);
const partitionDir = (p: number) => join(tc.dataDir, 'broker-1', `${TOPIC}-${p}`);

async function checkKeySearch(minOffset = [0n, 0n]): Promise<void> {
  const key = 'user-7';
  const expected = produced.filter((r) => r.key === key && r.offset >= minOffset[r.partition]!);
  const one = await messages(['search', '--key', key, '--partition', '0', '--limit', '1000']);
  expect(ids(one.records)).toEqual(ids(expected.filter((r) => r.partition === 0)));
  expect(one.stats.usedKeyIndex).toBe(true);
  // 90 batches in partition 0; a key in about every fourth: the index reads far fewer than all.
  expect(one.stats.batchesRead).toBeLessThan(60);
  const all = await messages(['search', '--key', key, '--limit', '1000', '--format', 'json']);
  expect(all.records).toHaveLength(expected.length);
  // Across partitions the answer is merged by timestamp; values render as JSON.
  expect(all.records.map((r) => r.timestamp)).toEqual(expected.map((r) => r.timestamp.toString()).sort());
  expect(all.records[0]!.value).toMatchObject({ pad: PAD });
}

describe('dms messages', () => {
  it('finds by key through the key index of sealed segments and the active tail', async () => {
    for (const p of [0, 1]) {
      await waitFor(`key index files of ${TOPIC}-${p}`, () => readdirSync(partitionDir(p)).filter((f) => f.endsWith('.keyidx')).length >= 2, 30_000, 100);
    }
    await checkKeySearch();
    const full = await messages(['search', '--key', 'user-7', '--partition', '0', '--limit', '1000', '--full-scan']);
    expect(full.stats.usedKeyIndex).toBe(false);
    expect(full.stats.batchesRead).toBe(BATCHES / 2);
  });

  it('gets an offset window and searches a time range', async () => {
    const got = await messages(['get', '--partition', '1', '--offset', '100', '--before', '2', '--after', '2']);
    const p1 = produced.filter((r) => r.partition === 1);
    expect(ids(got.records)).toEqual(ids(p1.filter((r) => r.offset >= 98n && r.offset <= 102n)));
    expect(got.records.map((r) => r.key)).toEqual(p1.filter((r) => r.offset >= 98n && r.offset <= 102n).map((r) => r.key));

    const from = new Date(Number(T0) + 50_000).toISOString();
    const to = String(T0 + 53_005n);
    const ranged = await messages(['search', '--from', from, '--to', to, '--limit', '1000']);
    const expected = produced.filter((r) => r.timestamp >= T0 + 50_000n && r.timestamp <= T0 + 53_005n);
    expect(ids(ranged.records).sort()).toEqual(ids(expected).sort());

    // Text output and a clear refusal for an offset past the end.
    const text = await runCli(['messages', 'get', '--topic', TOPIC, '--partition', '0', '--offset', '3', '--data-dir', tc.dataDir], { timeoutMs: 60_000 });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`${TOPIC}-0 offset 3 `);
    expect(text.stdout).toContain(`key:   ${produced.find((r) => r.partition === 0 && r.offset === 3n)!.key}`);
    const bad = await runCli(['messages', 'get', '--topic', TOPIC, '--partition', '0', '--offset', '999999', '--data-dir', tc.dataDir], { timeoutMs: 60_000 });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('OFFSET_OUT_OF_RANGE');
    const noTopic = await runCli(['messages', 'search', '--topic', 'nope', '--key', 'a', '--data-dir', tc.dataDir], { timeoutMs: 60_000 });
    expect(noTopic.code).toBe(1);
    expect(noTopic.stderr).toContain("topic 'nope' does not exist");
  });

  it('answers the same after a broker restart, from the index files on disk', async () => {
    const before = readdirSync(partitionDir(0)).filter((f) => f.endsWith('.keyidx')).sort();
    await tc.cluster.restart('broker', 1);
    await waitFor('the broker to lead again', async () => (await messages(['get', '--partition', '0', '--offset', '0']).catch(() => undefined))?.records.length === 1, 60_000, 200);
    expect(readdirSync(partitionDir(0)).filter((f) => f.endsWith('.keyidx')).sort()).toEqual(expect.arrayContaining(before));
    await checkKeySearch();
  });

  it('finds only what retention kept, and the deleted segments take their key index along', async () => {
    const first = join(partitionDir(0), '00000000000000000000.keyidx');
    expect(existsSync(first)).toBe(true);
    await alterConfigs(client, { type: RESOURCE_TOPIC, name: TOPIC }, { 'retention.bytes': '1048576' }, []);
    const starts = await waitFor('retention to delete old segments', async () => {
      const r = await messages(['get', '--partition', '0', '--offset', '0']).catch(() => undefined);
      if (r) return false; // offset 0 still readable
      const probe = await messages(['search', '--key', 'user-1', '--limit', '1']);
      const s = probe.partitions.map((p) => BigInt(p.logStartOffset ?? '0'));
      return s.every((x) => x > 0n) ? s : false;
    }, 60_000, 200);
    expect(existsSync(first)).toBe(false);
    await checkKeySearch([starts[0]!, starts[1]!]);
  });
});
