// Share groups across a share-coordinator failover (3 brokers, real etcd, every service its own
// process): the broker leading the share partition's __share_group_state partition is SIGKILLed
// while a consumer holds a record; the record comes back with its delivery count carried on, is
// archived at the limit, and stays archived when the data partition's leader then moves too.
import { Etcd3 } from 'etcd3';
import { partitionKey, partitionState, type PartitionState } from '@dms/cluster';
import { buildRecordBatch } from '@dms/kafka-codec';
import { AckType, KafkaClient, ShareConsumer, type ShareRecord } from '@dms/kafka-client';
import { waitFor } from '@dms/devcluster';
import { groupPartition, SHARE_STATE_TOPIC, shareCoordinatorKey } from '@dms/groups';
import { cleanup, startTestCluster, type TestCluster } from '@dms/testing';

jest.setTimeout(240_000);

const LOCK_MS = 2_000;
const LIMIT = 2;
const STATE_PARTITIONS = 50;

let tc: TestCluster;
let client: KafkaClient;
let etcd: Etcd3;
const consumers: ShareConsumer[] = [];

beforeAll(async () => {
  tc = await startTestCluster({
    brokers: 3, controllers: 1, gateways: 1,
    settings: {
      'group.share.record.lock.duration.ms': String(LOCK_MS),
      'group.share.delivery.count.limit': String(LIMIT),
      'group.share.auto.offset.reset': 'earliest',
      'group.share.heartbeat.interval.ms': '500',
    },
    config: {
      broker: { 'etcd.lease.ttl.ms': 3000, 'replica.lag.time.max.ms': 1500 },
      controller: { 'etcd.lease.ttl.ms': 3000 },
    },
  });
  client = new KafkaClient({ bootstrapServers: [tc.bootstrap], requestTimeoutMs: 15_000 });
  etcd = new Etcd3({ hosts: `http://${tc.etcdEndpoint}` });
});

afterAll(async () => {
  for (const c of consumers) await c.close().catch(() => undefined);
  client?.close();
  etcd?.close();
  await cleanup();
});

async function stateOf(topic: string, partition: number): Promise<PartitionState | undefined> {
  const raw = await etcd.get(partitionKey('dms', topic, partition)).buffer();
  return raw ? partitionState.decode(raw) : undefined;
}

async function consumer(groupId: string, topic: string): Promise<ShareConsumer> {
  const c = new ShareConsumer(client, { groupId, topics: [topic], acknowledgementMode: 'explicit', maxRecords: 5, maxWaitMs: 200, acquireMode: 1 });
  consumers.push(c);
  await c.subscribe(60_000);
  return c;
}

async function pollUntil(c: ShareConsumer, until: (seen: ShareRecord[]) => boolean, ms: number): Promise<ShareRecord[]> {
  const seen: ShareRecord[] = [];
  const deadline = Date.now() + ms;
  while (!until(seen) && Date.now() < deadline) {
    try {
      seen.push(...await c.poll());
    } catch {
      // A leader or coordinator is moving: ask again.
    }
  }
  return seen;
}

describe('share groups across failovers', () => {
  it('keeps delivery counts and archived records across a share-coordinator SIGKILL and a data-leader move', async () => {
    const topic = 'queue-failover';
    const group = 'failover';
    expect((await client.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 3 }]))[0]!.errorCode).toBe(0);
    await waitFor('topic led', async () => (await client.listOffsets(topic, 0, -1n)).offset >= 0n, 30_000);
    await client.produce(topic, 0, await buildRecordBatch({ records: [{ value: 'poison' }] }));

    const c1 = await consumer(group, topic);
    const first = await pollUntil(c1, (s) => s.length >= 1, 30_000);
    expect(first.map((r) => [r.value!.toString(), r.deliveryCount])).toEqual([['poison', 1]]);

    // The share coordinator of this share partition: the leader of its __share_group_state partition.
    const topicId = (await client.metadata([topic])).topics[0]!.topicId;
    const statePartition = groupPartition(shareCoordinatorKey({ groupId: group, topicId, partition: 0 }), STATE_PARTITIONS);
    const coordinator = (await stateOf(SHARE_STATE_TOPIC, statePartition))!.leader;
    expect(coordinator).toBeGreaterThan(0);
    await tc.cluster.kill('broker', coordinator, 'SIGKILL');
    await waitFor('a new share coordinator', async () => {
      const s = await stateOf(SHARE_STATE_TOPIC, statePartition);
      return !!s && s.leader > 0 && s.leader !== coordinator;
    }, 60_000, 200);

    // c1 never acknowledges: its lock runs out and the record comes back once, at the limit.
    const c2 = await consumer(group, topic);
    const second = await pollUntil(c2, (s) => s.length >= 1, 90_000);
    expect(second.map((r) => [r.value!.toString(), r.deliveryCount])).toEqual([['poison', LIMIT]]);
    c2.acknowledge(second[0]!, AckType.RELEASE);
    await c2.commit();

    // Bring the dead broker back, then move the data partition's leader: the new leader loads the
    // window from the share coordinator, which must say the record is archived.
    await tc.cluster.restart('broker', coordinator);
    const data = (await stateOf(topic, 0))!;
    await waitFor('the restarted broker back in sync', async () => ((await stateOf(topic, 0))?.isr.length ?? 0) === 3, 90_000, 200);
    await tc.cluster.kill('broker', data.leader, 'SIGKILL');
    await waitFor('a new data leader', async () => {
      const s = await stateOf(topic, 0);
      return !!s && s.leader > 0 && s.leader !== data.leader;
    }, 60_000, 200);
    const c3 = await consumer(group, topic);
    const after = await pollUntil(c3, () => false, LOCK_MS * 3);
    expect(after).toEqual([]);
  });
});
