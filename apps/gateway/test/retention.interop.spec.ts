// kafkajs (from npm) against a real cluster: its admin's deleteTopicRecords (DeleteRecords) and
// fetchTopicOffsets see the moved low watermark; a consumer group whose committed offset fell
// below it gets OFFSET_OUT_OF_RANGE and follows its reset policy (fromBeginning: earliest);
// kcat reading from the beginning starts at the new log start offset.
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { waitFor } from '@dms/devcluster';
import { cleanup, startTestCluster, type TestCluster } from '@dms/testing';
import { runProcess } from './run-process';

jest.setTimeout(120_000);
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

let tc: TestCluster;
let kafka: Kafka;
let admin: Admin;

beforeAll(async () => {
  tc = await startTestCluster({
    brokers: 3,
    controllers: 1,
    gateways: 1,
    config: { broker: { 'group.initial.rebalance.delay.ms': 300, 'group.min.session.timeout.ms': 1000 } },
  });
  kafka = new Kafka({ brokers: [tc.bootstrap], clientId: 'retention-interop', logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await admin?.disconnect();
  await cleanup();
});

describe('DeleteRecords with kafkajs and kcat', () => {
  it('moves the low watermark; a group committed below it resets to earliest', async () => {
    const topic = 'kjs-trim';
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}` })) });
    await producer.disconnect();

    await admin.setOffsets({ groupId: 'behind', topic, partitions: [{ partition: 0, offset: '3' }] });
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '6' }] });
    const [offsets] = await admin.fetchTopicOffsets(topic);
    expect(offsets).toMatchObject({ partition: 0, low: '6', high: '10' });

    const consumer = kafka.consumer({ groupId: 'behind', sessionTimeout: 6000, heartbeatInterval: 500 });
    const seen: { offset: string; value: string }[] = [];
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.push({ offset: message.offset, value: message.value?.toString() ?? '' }) });
      await waitFor('the consumer to read up to the end', () => seen.some((m) => m.offset === '9'), 60_000, 100);
    } finally {
      await consumer.disconnect();
    }
    // Committed 3 was below the start: out of range, reset to earliest (6), nothing below it.
    expect(seen.map((m) => m.value)).toEqual(['m6', 'm7', 'm8', 'm9']);

    const kcat = await runProcess('kcat', ['-C', '-b', tc.bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-f', '%o %s\n'], { timeoutMs: 30_000 });
    expect(kcat.stdout.trim().split('\n')).toEqual(['6 m6', '7 m7', '8 m8', '9 m9']);
  });
});
