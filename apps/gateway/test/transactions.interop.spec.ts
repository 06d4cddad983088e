// kafkajs (from npm) transactional producers against a 3-broker cluster (RF 3): commits and
// aborts mixed, a read_committed consumer sees exactly the committed records, and a second
// producer with the same transactional id fences the first.
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { cleanup, runCli, startTestCluster, type TestCluster } from '@dms/testing';

jest.setTimeout(180_000);
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

let tc: TestCluster;
let kafka: Kafka;
let admin: Admin;

beforeAll(async () => {
  tc = await startTestCluster({
    brokers: 3,
    controllers: 1,
    gateways: 1,
    settings: { 'transaction.state.log.num.partitions': '5', 'offsets.topic.num.partitions': '5', 'min.insync.replicas': '2' },
  });
  kafka = new Kafka({ brokers: [tc.bootstrap], clientId: 'dms-txn-interop', logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'kjs-txn', numPartitions: 3, replicationFactor: 3 }], waitForLeaders: true });
});

afterAll(async () => {
  await admin?.disconnect();
  await cleanup();
});

describe('kafkajs transactions', () => {
  it('a read_committed consumer sees every committed record once and no aborted one', async () => {
    const producer = kafka.producer({ transactionalId: 'kjs-mixed', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const committed: string[] = [];
    for (let i = 0; i < 10; i++) {
      const txn = await producer.transaction();
      const values = [0, 1, 2].map((j) => `t${i}-${j}`);
      await txn.send({ topic: 'kjs-txn', messages: values.map((value, j) => ({ value, partition: j })) });
      if (i % 3 === 1) {
        await txn.abort();
      } else {
        await txn.commit();
        committed.push(...values);
      }
    }
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: 'kjs-txn-reader', readUncommitted: false, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'kjs-txn', fromBeginning: true });
    const seen: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    const deadline = Date.now() + 60_000;
    while (seen.length < committed.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    // Whatever arrives late (an aborted record leaking past the LSO) would show up here.
    await new Promise((r) => setTimeout(r, 1_000));
    await consumer.disconnect();
    expect([...seen].sort()).toEqual([...committed].sort());
  });

  it('a second producer with the same transactional id fences the first', async () => {
    const first = kafka.producer({ transactionalId: 'kjs-fence', idempotent: true, maxInFlightRequests: 1, retry: { retries: 2 } });
    await first.connect();
    const open = await first.transaction();
    await open.send({ topic: 'kjs-txn', messages: [{ value: 'fenced', partition: 0 }] });
    const second = kafka.producer({ transactionalId: 'kjs-fence', idempotent: true, maxInFlightRequests: 1 });
    await second.connect();
    // kafkajs initialises the producer id with its first transaction: that aborts the open one.
    const txn = await second.transaction();
    await expect(open.commit()).rejects.toThrow(/fenced|epoch/i);
    await txn.send({ topic: 'kjs-txn', messages: [{ value: 'winner', partition: 0 }] });
    await txn.commit();
    await first.disconnect().catch(() => undefined);
    await second.disconnect();
    const described = await runDescribe('kjs-fence');
    expect(described).toMatchObject({ state: 'CompleteCommit' });
  });
});

async function runDescribe(transactionalId: string): Promise<{ state: string }> {
  const res = await runCli(['transactions', 'describe', '--transactional-id', transactionalId, '--bootstrap-server', tc.bootstrap, '--json']);
  expect(res.code).toBe(0);
  return JSON.parse(res.stdout);
}
