// Per-group configs (Kafka's GROUP config resources) end to end: `dms configs --entity-type groups`
// sets them through the controller, which checks the broker bounds; DescribeConfigs reports them
// with source GROUP_CONFIG; and a share group whose share.record.lock.duration.ms and
// share.auto.offset.reset are set per group redelivers after that shorter lock, reading from the
// start, while the brokers' defaults stay 30 s and latest.
import { buildRecordBatch } from '@dms/kafka-codec';
import { alterConfigs, KafkaClient, RESOURCE_GROUP, ShareConsumer, type ShareRecord } from '@dms/kafka-client';
import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { waitFor } from '@dms/devcluster';
import { cleanup, runCli, startTestCluster, type TestCluster } from '@dms/testing';

jest.setTimeout(180_000);

const GROUP_LOCK_MS = 2_000;
const BROKER_LOCK_MS = 30_000;

let tc: TestCluster;
let client: KafkaClient;
const consumers: ShareConsumer[] = [];

beforeAll(async () => {
  tc = await startTestCluster({
    brokers: 1, controllers: 1, gateways: 1,
    settings: {
      'group.share.record.lock.duration.ms': String(BROKER_LOCK_MS),
      'group.share.min.record.lock.duration.ms': '1500',
      'group.share.auto.offset.reset': 'latest',
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

const cli = (...args: string[]) => runCli([...args, '--bootstrap-server', tc.bootstrap], { timeoutMs: 60_000 });

describe('group configs', () => {
  it('are set with dms configs, checked against the broker bounds and described with source GROUP_CONFIG', async () => {
    const set = await cli('configs', '--entity-type', 'groups', '--entity-name', 'fast', '--alter',
      '--add-config', `share.record.lock.duration.ms=${GROUP_LOCK_MS},share.auto.offset.reset=earliest`);
    expect(set.stderr).toBe('');
    expect(set.stdout).toBe('Completed updating config for group fast.\n');

    const described = JSON.parse((await cli('configs', '--entity-type', 'groups', '--entity-name', 'fast', '--describe', '--all', '--json')).stdout);
    const byName = new Map(described.map((e: { name: string; value: string; source: string }) => [e.name, [e.value, e.source]]));
    expect(byName.get('share.record.lock.duration.ms')).toEqual([String(GROUP_LOCK_MS), 'GROUP_CONFIG']);
    expect(byName.get('share.auto.offset.reset')).toEqual(['earliest', 'GROUP_CONFIG']);
    expect(byName.get('share.delivery.count.limit')).toEqual(['5', 'DEFAULT_CONFIG']);

    const refused = await alterConfigs(client, { type: RESOURCE_GROUP, name: 'fast' }, { 'share.record.lock.duration.ms': '1200' }, []).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(KafkaError);
    expect((refused as KafkaError).code).toBe(ErrorCode.INVALID_CONFIG);
    expect((refused as KafkaError).message).toContain('share.record.lock.duration.ms must be greater than or equal to group.share.min.record.lock.duration.ms');
    const unknown = await alterConfigs(client, { type: RESOURCE_GROUP, name: 'fast' }, { 'session.timeout.ms': '50000' }, []).catch((e: unknown) => e);
    expect((unknown as KafkaError).code).toBe(ErrorCode.INVALID_CONFIG);
  });

  it('a share group with its own share.record.lock.duration.ms redelivers after that shorter lock', async () => {
    const created = await client.createTopics([{ name: 'queue-fast', numPartitions: 1, replicationFactor: 1 }]);
    expect(created[0]!.errorCode).toBe(0);
    await waitFor('queue-fast led', async () => (await client.listOffsets('queue-fast', 0, -1n)).offset >= 0n, 30_000);
    // Written before the group's first fetch: only the group's share.auto.offset.reset=earliest delivers it.
    await client.produce('queue-fast', 0, await buildRecordBatch({ records: [{ value: 'held' }] }));

    const c = new ShareConsumer(client, { groupId: 'fast', topics: ['queue-fast'], acknowledgementMode: 'explicit', maxRecords: 5, maxWaitMs: 200, acquireMode: 1 });
    consumers.push(c);
    await c.subscribe(30_000);
    const poll = async (ms: number): Promise<ShareRecord[]> => {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        const got = await c.poll();
        if (got.length > 0) return got;
      }
      return [];
    };
    const first = await poll(20_000);
    expect(first.map((r) => [r.value!.toString(), r.deliveryCount])).toEqual([['held', 1]]);
    // Neither acknowledged nor released: it comes back once the group's lock runs out, long before the brokers' 30 s.
    const started = Date.now();
    const again = await poll(BROKER_LOCK_MS - 5_000);
    const waited = Date.now() - started;
    expect(again.map((r) => [r.value!.toString(), r.deliveryCount])).toEqual([['held', 2]]);
    expect(waited).toBeGreaterThanOrEqual(GROUP_LOCK_MS - 500);
    expect(waited).toBeLessThan(BROKER_LOCK_MS / 2);
  });
});
