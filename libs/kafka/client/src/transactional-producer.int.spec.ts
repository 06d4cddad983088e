// The client's transactional producer against a real dev cluster (1 controller, 1 broker, 1
// gateway): transactions committed and aborted, read back with read_committed (aborted records
// skipped, an open transaction invisible) and with read_uncommitted (everything written).
import { buildRecordBatch } from '@dms/kafka-codec';
import { ErrorCode } from '@dms/kafka-errors';
import { cleanup, startTestCluster, type TestCluster } from '@dms/testing';
import { KafkaClient, READ_COMMITTED, READ_UNCOMMITTED, type IsolationLevel } from './client';
import { consumeTopic } from './partition-consumer';
import { TransactionalProducer } from './transactional-producer';

jest.setTimeout(180_000);

const TOPIC = 'txp';
let tc: TestCluster;
let client: KafkaClient;

beforeAll(async () => {
  tc = await startTestCluster({ settings: { 'transaction.state.log.num.partitions': '3' } });
  client = new KafkaClient({ bootstrapServers: tc.bootstrap, clientId: 'txn-producer-spec' });
  const [created] = await client.createTopics([{ name: TOPIC, numPartitions: 2, replicationFactor: 1 }]);
  expect(created.errorCode).toBe(ErrorCode.NONE);
});

afterAll(async () => {
  client?.close();
  await cleanup();
});

const batch = (values: string[]) => buildRecordBatch({ records: values.map((value) => ({ value })) });

/** Every value of the topic from the start, read until nothing new comes for a while (bounded). */
async function readAll(isolationLevel: IsolationLevel): Promise<string[]> {
  const values: string[] = [];
  await consumeTopic(client, TOPIC, { start: { kind: 'earliest' }, isolationLevel, idleTimeoutMs: 2_000, maxWaitMs: 200 }, (r) => {
    values.push(r.value!.toString());
  });
  return values.sort();
}

it('commits and aborts; read_committed sees only committed records, read_uncommitted all of them', async () => {
  const producer = await TransactionalProducer.init(client, { transactionalId: 'it-tx', transactionTimeoutMs: 30_000 });
  producer.beginTransaction();
  await Promise.all([producer.send(TOPIC, 0, await batch(['c1', 'c2'])), producer.send(TOPIC, 1, await batch(['c3']))]);
  await producer.commitTransaction();

  producer.beginTransaction();
  await Promise.all([producer.send(TOPIC, 0, await batch(['a1'])), producer.send(TOPIC, 1, await batch(['a2']))]);
  await producer.abortTransaction();

  producer.beginTransaction();
  await producer.send(TOPIC, 0, await batch(['c4']));
  await producer.commitTransaction();

  // An open transaction holds the last stable offset: its record is not visible to read_committed.
  producer.beginTransaction();
  await producer.send(TOPIC, 1, await batch(['open']));

  expect(await readAll(READ_COMMITTED)).toEqual(['c1', 'c2', 'c3', 'c4']);
  expect(await readAll(READ_UNCOMMITTED)).toEqual(['a1', 'a2', 'c1', 'c2', 'c3', 'c4', 'open']);

  await producer.commitTransaction();
  expect(await readAll(READ_COMMITTED)).toEqual(['c1', 'c2', 'c3', 'c4', 'open']);
  producer.close();
});

it('a second producer with the same transactional id fences the first (PRODUCER_FENCED)', async () => {
  const first = await TransactionalProducer.init(client, { transactionalId: 'it-fence' });
  first.beginTransaction();
  await first.send(TOPIC, 0, await batch(['fenced']));
  const second = await TransactionalProducer.init(client, { transactionalId: 'it-fence' });
  await expect(first.commitTransaction()).rejects.toMatchObject({ code: ErrorCode.PRODUCER_FENCED });
  expect(first.hasFatalError).toBe(true);
  second.beginTransaction();
  await second.send(TOPIC, 0, await batch(['after-fence']));
  await second.commitTransaction();
  const committed = await readAll(READ_COMMITTED);
  expect(committed).toContain('after-fence');
  expect(committed).not.toContain('fenced');
  first.close();
  second.close();
});
