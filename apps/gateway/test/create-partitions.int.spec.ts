// CreatePartitions through the gateway on a 3-broker cluster: a topic grows from 2 to 4 partitions
// under a live kafkajs producer and a two-member kafkajs consumer group, which rebalances onto the
// new partitions once its metadata shows them; the refusals Kafka answers; the CLI's alter.
import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import { waitFor } from '@dms/devcluster';
import { KafkaClient } from '@dms/kafka-client';
import { ErrorCode } from '@dms/kafka-errors';
import { cleanup, runCli, startTestCluster, type TestCluster } from '@dms/testing';

jest.setTimeout(180_000);
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

let tc: TestCluster;
let kafka: Kafka;
let admin: Admin;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  tc = await startTestCluster({ brokers: 3, controllers: 1, gateways: 1 });
  kafka = new Kafka({ brokers: [tc.bootstrap], clientId: 'dms-partitions', logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await admin?.disconnect();
  await cleanup();
});

async function partitionCount(topic: string): Promise<number> {
  const md = await admin.fetchTopicMetadata({ topics: [topic] });
  return md.topics[0].partitions.length;
}

describe('CreatePartitions', () => {
  it('grows a topic from 2 to 4 under a live producer; a two-member group ends up consuming all 4 and loses nothing', async () => {
    const topic = 'grow';
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 2 }], waitForLeaders: true })).toBe(true);
    const consumed = new Map<string, number>();
    const consumers: Consumer[] = [];
    for (let i = 0; i < 2; i++) {
      const c = kafka.consumer({ groupId: 'grow-group', metadataMaxAge: 1_000, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200, rebalanceTimeout: 10_000 });
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
      await c.run({ eachMessage: async ({ partition, message }) => void consumed.set(message.value!.toString(), partition) });
      consumers.push(c);
    }
    const producer: Producer = kafka.producer({ metadataMaxAge: 1_000 });
    await producer.connect();
    const sent: string[] = [];
    let stop = false;
    const writing = (async () => {
      for (let i = 0; !stop; i++) {
        const value = `m${i}`;
        await producer.send({ topic, acks: -1, messages: [{ value }] });
        sent.push(value);
        await sleep(10);
      }
    })();
    try {
      await waitFor('the group consuming before the change', () => consumed.size >= 20, 60_000);
      await admin.createPartitions({ topicPartitions: [{ topic, count: 4 }] });
      // The handler waited until this gateway's view shows them: Metadata lists 4 at once.
      expect(await partitionCount(topic)).toBe(4);
      const partitionsSeen = () => new Set(consumed.values());
      await waitFor('records consumed from all 4 partitions', () => [0, 1, 2, 3].every((p) => partitionsSeen().has(p)), 90_000, 200);
    } finally {
      stop = true;
      await writing;
    }
    await waitFor('every acknowledged record consumed', () => sent.every((v) => consumed.has(v)), 60_000, 200);
    const perPartition = [0, 1, 2, 3].map((p) => [...consumed.values()].filter((x) => x === p).length);
    expect(perPartition.every((n) => n > 0)).toBe(true);
    // Still one stable group of two members after the rebalance.
    const group = await admin.describeGroups(['grow-group']);
    expect(group.groups[0]).toMatchObject({ errorCode: 0, state: 'Stable' });
    expect(group.groups[0].members).toHaveLength(2);
    await producer.disconnect();
    for (const c of consumers) await c.disconnect();
  });

  it('answers INVALID_PARTITIONS when the count does not grow, and changes nothing', async () => {
    const topic = 'shrink';
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await expect(admin.createPartitions({ topicPartitions: [{ topic, count: 2 }] })).rejects.toMatchObject({ type: 'INVALID_PARTITIONS' });
    // kafkajs keeps only the code: the messages through our own client.
    const client = new KafkaClient({ bootstrapServers: [tc.bootstrap] });
    try {
      expect(await client.createPartitions([{ name: topic, count: 2 }, { name: 'no-such-topic', count: 2 }, { name: topic, count: 3 }])).toEqual([
        { name: topic, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' },
        { name: 'no-such-topic', errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: expect.any(String) },
        { name: topic, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' },
      ]);
      expect(await client.createPartitions([{ name: topic, count: 2 }])).toEqual([
        { name: topic, errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: 'The topic shrink currently has 3 partition(s); 2 would not be an increase.' },
      ]);
      expect(await client.createPartitions([{ name: topic, count: 3 }])).toEqual([
        { name: topic, errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: 'Topic already has 3 partition(s).' },
      ]);
      expect(await client.createPartitions([{ name: '__consumer_offsets', count: 200 }])).toMatchObject([{ errorCode: ErrorCode.INVALID_REQUEST }]);
    } finally {
      client.close();
    }
    expect(await partitionCount(topic)).toBe(3);
  });

  it('validates explicit assignments, honours validate_only and refuses unknown topics', async () => {
    const topic = 'assigned';
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 2 }], waitForLeaders: true });
    const refused = (count: number, assignments: number[][]) => admin.createPartitions({ topicPartitions: [{ topic, count, assignments }] });
    await expect(refused(3, [[1, 2]])).rejects.toMatchObject({ type: 'INVALID_REPLICA_ASSIGNMENT' });
    await expect(refused(2, [[1]])).rejects.toMatchObject({ type: 'INVALID_REPLICA_ASSIGNMENT' });
    await expect(refused(2, [[1, 1]])).rejects.toMatchObject({ type: 'INVALID_REPLICA_ASSIGNMENT' });
    await expect(refused(2, [[1, 42]])).rejects.toMatchObject({ type: 'INVALID_REPLICA_ASSIGNMENT' });
    await admin.createPartitions({ validateOnly: true, topicPartitions: [{ topic, count: 5 }] });
    expect(await partitionCount(topic)).toBe(1);
    await admin.createPartitions({ topicPartitions: [{ topic, count: 3, assignments: [[3, 1], [2, 3]] }] });
    const md = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(md.topics[0].partitions).toHaveLength(3);
    // The storage replicas are the ones asked for.
    const storage = await runCli(['topics', 'describe', topic, '--bootstrap-server', tc.bootstrap, '--etcd', tc.etcdEndpoint, '--json']);
    const described = JSON.parse(storage.stdout)[0].partitions;
    expect(described.map((p: { storageReplicas: number[] }) => p.storageReplicas).slice(1)).toEqual([[3, 1], [2, 3]]);
  });

  it('dms topics alter --partitions grows a topic and reports a refusal like kafka-topics.sh', async () => {
    await admin.createTopics({ topics: [{ topic: 'cli-alter', numPartitions: 1 }], waitForLeaders: true });
    const ok = await runCli(['topics', 'alter', 'cli-alter', '--partitions', '3', '--bootstrap-server', tc.bootstrap, '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ name: 'cli-alter', errorCode: 0, partitions: 3 });
    expect(await partitionCount('cli-alter')).toBe(3);
    const bad = await runCli(['topics', 'alter', 'cli-alter', '--partitions', '2', '--bootstrap-server', tc.bootstrap]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Error while executing topic command : The topic cli-alter currently has 3 partition(s); 2 would not be an increase.');
  });
});
