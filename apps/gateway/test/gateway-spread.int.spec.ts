// Advertised leaders and coordinators spread over the gateways: three gateways give the same
// Metadata answer, each leading a third of a topic's partitions; group coordinators land on every
// gateway; when a gateway stops, one Metadata request to another names only live gateways, again
// evenly, and the partitions of the gateways that stayed mostly stay where they were.
import { waitFor } from '@dms/devcluster';
import { ApiKey } from '@dms/kafka-codec';
import { KafkaClient, KafkaConnection } from '@dms/kafka-client';
import { ErrorCode } from '@dms/kafka-errors';
import { cleanup, startTestCluster, type TestCluster } from '@dms/testing';

jest.setTimeout(180_000);

let tc: TestCluster;
let client: KafkaClient;
const conns: KafkaConnection[] = [];

beforeAll(async () => {
  tc = await startTestCluster({ brokers: 1, controllers: 1, gateways: 3 });
  client = new KafkaClient({ bootstrapServers: [tc.bootstrap], requestTimeoutMs: 20_000 });
});

afterAll(async () => {
  for (const c of conns) c.close();
  client?.close();
  await cleanup();
});

async function gatewayConnection(id: number): Promise<KafkaConnection> {
  const port = tc.cluster.service('gateway', id).ports.kafkaPort;
  const conn = await KafkaConnection.open('127.0.0.1', port, {});
  conns.push(conn);
  return conn;
}

interface MetadataAnswer {
  brokers: { nodeId: number }[];
  topics: { name: string; errorCode: number; partitions: { partitionIndex: number; leaderId: number }[] }[];
}

async function leaders(conn: KafkaConnection, topic: string): Promise<{ brokers: number[]; leaders: Map<number, number> }> {
  const md = await conn.request<MetadataAnswer>(ApiKey.Metadata, {
    topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false,
  }, { version: 12 });
  const t = md.topics[0]!;
  expect(t.errorCode).toBe(ErrorCode.NONE);
  return { brokers: md.brokers.map((b) => b.nodeId).sort(), leaders: new Map(t.partitions.map((p) => [p.partitionIndex, p.leaderId])) };
}

const countBy = (m: Map<number, number>) => {
  const c = new Map<number, number>();
  for (const g of m.values()) c.set(g, (c.get(g) ?? 0) + 1);
  return c;
};

it('spreads a topic\'s leaders and the group coordinators evenly, and re-spreads when a gateway leaves', async () => {
  const topic = 'spread';
  const [created] = await client.createTopics([{ name: topic, numPartitions: 12, replicationFactor: 1 }]);
  expect(created!.errorCode).toBe(ErrorCode.NONE);
  const gateways = await Promise.all([1, 2, 3].map((id) => gatewayConnection(id)));
  await waitFor('every gateway sees three gateways and the topic\'s leaders', async () => {
    for (const g of gateways) {
      const a = await leaders(g, topic);
      if (a.brokers.length !== 3 || [...a.leaders.values()].some((l) => l < 0)) return false;
    }
    return true;
  }, 30_000, 200);

  // Every gateway gives the same answer; each leads 4 of the 12 partitions.
  const answers = await Promise.all(gateways.map((g) => leaders(g, topic)));
  for (const a of answers) expect([...a.leaders]).toEqual([...answers[0]!.leaders]);
  const before = answers[0]!.leaders;
  expect([...countBy(before)].sort()).toEqual([[1, 4], [2, 4], [3, 4]]);

  // Group coordinators: every gateway coordinates some of 30 groups.
  const coordinators = new Map<string, number>();
  await waitFor('__consumer_offsets ready', async () => {
    for (let i = 0; i < 30; i++) {
      const r = await gateways[0]!.request<{ errorCode: number; nodeId: number }>(ApiKey.FindCoordinator, { key: `group-${i}`, keyType: 0 }, { version: 3 });
      if (r.errorCode !== ErrorCode.NONE) return false;
      coordinators.set(`group-${i}`, r.nodeId);
    }
    return true;
  }, 60_000, 300);
  expect([...new Set(coordinators.values())].sort()).toEqual([1, 2, 3]);

  // Gateway 3 stops: one Metadata request to gateway 1 names gateways 1 and 2 only, 6 leaders each.
  await tc.cluster.kill('gateway', 3, 'SIGTERM');
  let after = new Map<number, number>();
  await waitFor('gateway 1 sees two gateways', async () => {
    const a = await leaders(gateways[0]!, topic);
    after = a.leaders;
    return a.brokers.length === 2;
  }, 60_000, 200);
  const last = await leaders(gateways[0]!, topic);
  expect(last.brokers).toEqual([1, 2]);
  for (const l of last.leaders.values()) expect(last.brokers).toContain(l);
  expect([...countBy(last.leaders)].sort()).toEqual([[1, 6], [2, 6]]);
  // Gateway 3's four partitions moved; of the others at most one share (6) more.
  const moved = [...before].filter(([p, g]) => last.leaders.get(p) !== g);
  expect(moved.filter(([, g]) => g === 3)).toHaveLength(4);
  expect(moved.length).toBeLessThanOrEqual(4 + 6);
  expect(after.size).toBe(12);
});
