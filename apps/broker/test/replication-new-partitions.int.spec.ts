// A follower whose fetch to a leader is parked in a long poll takes up a new partition of that
// leader at once. With replica.fetch.wait.max.ms at 30 s, a follower that waited for its poll to
// end would leave an acks=all write to a fresh topic unacknowledged past its 10 s timeout (the
// ISR does not shrink within replica.lag.time.max.ms, 60 s here).
import { buildRecordBatch } from '@dms/kafka-codec';
import { KafkaClient } from '@dms/kafka-client';
import { cleanup, startTestCluster, type TestCluster } from '@dms/testing';

jest.setTimeout(90_000);

let tc: TestCluster;
let client: KafkaClient;

beforeAll(async () => {
  tc = await startTestCluster({
    brokers: 2,
    controllers: 1,
    gateways: 1,
    config: { broker: { 'replica.fetch.wait.max.ms': 30_000, 'replica.lag.time.max.ms': 60_000 } },
  });
  client = new KafkaClient({ bootstrapServers: [tc.bootstrap], requestTimeoutMs: 15_000, retries: 50, retryBackoffMs: 100 });
});

afterAll(async () => {
  client?.close();
  await cleanup();
});

const batch = (value: string) => buildRecordBatch({ records: [{ value }] });

it('a new partition joins the follower fetch already parked on its leader, so acks=all is acknowledged', async () => {
  // Two partitions over two brokers: each broker follows the other, and after these writes each
  // follower's next fetch is parked on its leader for up to 30 s.
  const [first] = await client.createTopics([{ name: 'first', numPartitions: 2, replicationFactor: 2 }]);
  expect(first.errorCode).toBe(0);
  for (const p of [0, 1]) await client.produce('first', p, await batch(`first-${p}`), -1, 10_000);

  const [second] = await client.createTopics([{ name: 'second', numPartitions: 2, replicationFactor: 2 }]);
  expect(second.errorCode).toBe(0);
  // acks=1 first: the leaders know their role (retried while they learn it).
  for (const p of [0, 1]) await client.produce('second', p, await batch(`second-${p}-a`), 1, 10_000);
  // Now only the followers' replication completes these, and nothing is appended to `first`
  // that would end the parked polls early.
  // One attempt each: a timeout fails the test rather than being retried.
  for (const p of [0, 1]) {
    const res = await client.produceOnce('second', p, await batch(`second-${p}-b`), -1, 10_000);
    expect(res.baseOffset).toBe(1n);
  }
});
