// Share groups (KIP-932) end to end through the gateway with our own client on the wire, real
// etcd and every service as its own process: two share consumers on one partition split its
// records; an unacknowledged record comes back when its lock expires; a rejected one never does;
// the delivery count limit holds across a restart of the partition's leader; the share-group
// tools (`dms share-groups`, `dms consume --share-group`) agree with what was consumed.
import { buildRecordBatch } from '@dms/kafka-codec';
import { AckType, KafkaClient, ShareConsumer, type ShareRecord } from '@dms/kafka-client';
import { waitFor } from '@dms/devcluster';
import { cleanup, runCli, startTestCluster, type TestCluster } from '@dms/testing';

jest.setTimeout(180_000);

const LOCK_MS = 2_000;
const LIMIT = 2;

let tc: TestCluster;
let client: KafkaClient;
const consumers: ShareConsumer[] = [];

beforeAll(async () => {
  tc = await startTestCluster({
    brokers: 1, controllers: 1, gateways: 1,
    settings: {
      'group.share.record.lock.duration.ms': String(LOCK_MS),
      'group.share.delivery.count.limit': String(LIMIT),
      'group.share.auto.offset.reset': 'earliest',
      'group.share.heartbeat.interval.ms': '500',
    },
  });
  client = new KafkaClient({ bootstrapServers: [tc.bootstrap], requestTimeoutMs: 15_000 });
});

afterAll(async () => {
  for (const c of consumers) await c.close().catch(() => undefined);
  client?.close();
  await cleanup();
});

async function topicWith(name: string, values: string[]): Promise<void> {
  const created = await client.createTopics([{ name, numPartitions: 1, replicationFactor: 1 }]);
  expect(created[0]!.errorCode).toBe(0);
  await waitFor(`${name} led`, async () => (await client.listOffsets(name, 0, -1n)).offset >= 0n, 30_000);
  await client.produce(name, 0, await buildRecordBatch({ records: values.map((value) => ({ value })) }));
}

async function consumer(groupId: string, topic: string, mode: 'implicit' | 'explicit' = 'explicit', maxRecords = 5): Promise<ShareConsumer> {
  const c = new ShareConsumer(client, { groupId, topics: [topic], acknowledgementMode: mode, maxRecords, maxWaitMs: 200, acquireMode: 1 });
  consumers.push(c);
  await c.subscribe(30_000);
  expect(c.assignment.size).toBe(1);
  return c;
}

/** Polls until `until` holds or the time is up; returns every record seen. */
async function pollUntil(c: ShareConsumer, until: (seen: ShareRecord[]) => boolean, ms: number, onRecord?: (r: ShareRecord) => void): Promise<ShareRecord[]> {
  const seen: ShareRecord[] = [];
  const deadline = Date.now() + ms;
  while (!until(seen) && Date.now() < deadline) {
    for (const r of await c.poll()) {
      seen.push(r);
      onRecord?.(r);
    }
  }
  return seen;
}

const text = (r: ShareRecord) => r.value!.toString();

describe('share groups', () => {
  it('two share consumers on one partition split its records, each delivered once', async () => {
    const values = Array.from({ length: 40 }, (_, i) => `v${i}`);
    await topicWith('queue-split', values);
    const a = await consumer('split', 'queue-split');
    const b = await consumer('split', 'queue-split');
    const got = new Map<string, string>();
    const take = (who: string) => (r: ShareRecord) => {
      expect(got.has(text(r))).toBe(false);
      got.set(text(r), who);
    };
    await Promise.all([
      pollUntil(a, () => got.size >= values.length, 30_000, (r) => { take('a')(r); a.acknowledge(r, AckType.ACCEPT); }),
      pollUntil(b, () => got.size >= values.length, 30_000, (r) => { take('b')(r); b.acknowledge(r, AckType.ACCEPT); }),
    ]);
    await a.commit();
    await b.commit();
    expect([...got.keys()].sort()).toEqual([...values].sort());
    const byA = [...got.values()].filter((w) => w === 'a').length;
    expect(byA).toBeGreaterThan(0);
    expect(byA).toBeLessThan(values.length);
  });

  it('an unacknowledged record comes back after its lock expires; a rejected one never does', async () => {
    await topicWith('queue-locks', ['keep', 'drop']);
    const c = await consumer('locks', 'queue-locks');
    const first = await pollUntil(c, (s) => s.length >= 2, 20_000);
    expect(first.map(text)).toEqual(['keep', 'drop']);
    expect(first.every((r) => r.deliveryCount === 1)).toBe(true);
    c.acknowledge(first[1]!, AckType.REJECT);
    expect([...(await c.commit()).values()]).toEqual([0]);
    // 'keep' is held, neither accepted nor released: nothing until its lock runs out.
    const started = Date.now();
    const again = await pollUntil(c, (s) => s.length >= 1, 20_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(LOCK_MS - 500);
    expect(again.map(text)).toEqual(['keep']);
    expect(again[0]!.deliveryCount).toBe(2);
    c.acknowledge(again[0]!, AckType.ACCEPT);
    await c.commit();
    // Twice the lock duration later nothing comes back: 'drop' was archived, 'keep' accepted.
    const nothing = await pollUntil(c, () => false, LOCK_MS * 2);
    expect(nothing).toEqual([]);
  });

  it('the delivery count limit holds across a restart of the partition leader', async () => {
    await topicWith('queue-limit', ['poison']);
    const c1 = await consumer('limit', 'queue-limit');
    const once = await pollUntil(c1, (s) => s.length >= 1, 20_000);
    expect(once.map((r) => [text(r), r.deliveryCount])).toEqual([['poison', 1]]);
    // The leader dies while c1 holds the lock (c1 neither acknowledges nor releases): only the
    // acquisition written to __share_group_state before the answer tells the new leader it was delivered.
    await tc.cluster.kill('broker', 1, 'SIGKILL');
    await tc.cluster.restart('broker', 1);
    await waitFor('queue-limit led again', async () => (await client.listOffsets('queue-limit', 0, -1n).catch(() => ({ offset: -1n }))).offset >= 1n, 60_000);
    const c2 = await consumer('limit', 'queue-limit');
    const twice = await pollUntil(c2, (s) => s.length >= 1, 60_000);
    expect(twice.map((r) => [text(r), r.deliveryCount])).toEqual([['poison', LIMIT]]);
    c2.acknowledge(twice[0]!, AckType.RELEASE);
    await c2.commit();
    // Released at the limit: archived, never delivered a third time.
    const more = await pollUntil(c2, () => false, LOCK_MS * 2);
    expect(more).toEqual([]);
  });

  it('dms consume --share-group and dms share-groups agree with what was consumed, and reset and delete its offsets', async () => {
    await topicWith('queue-cli', ['a', 'b', 'c', 'd']);
    const cli = (...args: string[]) => runCli([...args, '--bootstrap-server', tc.bootstrap], { timeoutMs: 60_000 });
    const consumed = await cli('consume', 'queue-cli', '--share-group', 'tools', '--max-messages', '3');
    expect(consumed.stderr).toBe('');
    expect(consumed.stdout.split('\n').filter(Boolean)).toEqual(['a', 'b', 'c']);
    const list = await cli('share-groups', '--list', '--json');
    expect(JSON.parse(list.stdout).map((g: { groupId: string }) => g.groupId)).toEqual(expect.arrayContaining(['tools', 'split', 'locks', 'limit']));
    // 'd' was acquired with the batch and released by the console consumer: the start offset is 3.
    const offsets = JSON.parse((await cli('share-groups', '--describe', '--group', 'tools', '--offsets', '--json')).stdout);
    expect(offsets.state).toBe('Empty');
    expect(offsets.offsets).toEqual([expect.objectContaining({ topic: 'queue-cli', partition: 0, startOffset: 3, lag: 1 })]);
    const reset = await cli('share-groups', '--reset-offsets', '--group', 'tools', '--topic', 'queue-cli', '--to-earliest', '--execute', '--json');
    expect(JSON.parse(reset.stdout)).toMatchObject({ executed: true, errors: [] });
    const again = await cli('consume', 'queue-cli', '--share-group', 'tools', '--max-messages', '4');
    expect(again.stdout.split('\n').filter(Boolean)).toEqual(['a', 'b', 'c', 'd']);
    const deleted = await cli('share-groups', '--delete-offsets', '--group', 'tools', '--topic', 'queue-cli', '--json');
    expect(JSON.parse(deleted.stdout).results).toEqual([expect.objectContaining({ topic: 'queue-cli', errorCode: 0 })]);
    const gone = JSON.parse((await cli('share-groups', '--describe', '--group', 'tools', '--offsets', '--json')).stdout);
    expect(gone.offsets).toEqual([]);
    expect((await cli('share-groups', '--delete', '--group', 'tools')).stdout).toContain('was successful');
    expect((await cli('share-groups', '--describe', '--group', 'tools')).stderr).toContain('does not exist');
  });
});
