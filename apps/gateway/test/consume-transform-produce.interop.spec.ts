// kafkajs transactions in a consume-transform-produce loop against a 3-broker cluster (RF 3,
// min.insync.replicas 2): a read_committed consumer, producer.transaction(), sendOffsets
// (AddOffsetsToTxn and TxnOffsetCommit), commit and abort mixed; every input is counted exactly
// once in the output and no record of an aborted transaction reaches a read_committed consumer.
// The loop runs once on a quiet cluster and once while the brokers leading its transaction
// coordinator and its group coordinator are SIGKILLed in turn. A transaction left open past its
// timeout is aborted. (Fencing by a second producer: transactions.interop.spec.ts.)
import { Etcd3 } from 'etcd3';
import { Kafka, logLevel, type Admin, type Consumer, type EachMessagePayload, type Producer } from 'kafkajs';
import { partitionKey, partitionState } from '@dms/cluster';
import { waitFor } from '@dms/devcluster';
import { groupPartition, OFFSETS_TOPIC } from '@dms/groups';
import { cleanup, startTestCluster, type TestCluster } from '@dms/testing';

jest.setTimeout(300_000);
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const LEASE = { 'etcd.lease.ttl.ms': '3000' };
const INTERNAL_PARTITIONS = 6;
const TXN_STATE = '__transaction_state';

let tc: TestCluster;
let etcd: Etcd3;
let kafka: Kafka;
let admin: Admin;
const toClose: { disconnect(): Promise<void> }[] = [];

beforeAll(async () => {
  tc = await startTestCluster({
    brokers: 3,
    controllers: 1,
    gateways: 1,
    config: {
      broker: () => ({ ...LEASE, 'group.initial.rebalance.delay.ms': 0 }),
      controller: { ...LEASE, 'offsets.topic.num.partitions': INTERNAL_PARTITIONS, 'transaction.state.log.num.partitions': INTERNAL_PARTITIONS },
      gateway: LEASE,
    },
  });
  etcd = new Etcd3({ hosts: tc.etcdEndpoint });
  kafka = new Kafka({ brokers: [tc.bootstrap], clientId: 'txn-interop', logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 2000 } });
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  for (const c of toClose.reverse()) await c.disconnect().catch(() => undefined);
  await admin?.disconnect();
  etcd?.close();
  await cleanup();
});

async function createTopics(...names: string[]): Promise<void> {
  await admin.createTopics({
    topics: names.map((topic) => ({ topic, numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] })),
    waitForLeaders: true,
  });
}

/** Everything a fresh read_committed consumer sees on `topic`, until `done` says enough. */
async function readCommitted(topic: string, groupId: string, done: (values: string[]) => boolean): Promise<string[]> {
  const consumer = kafka.consumer({ groupId, readUncommitted: false, sessionTimeout: 10_000 });
  toClose.push(consumer);
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const values: string[] = [];
  await consumer.run({ eachMessage: async ({ message }) => { values.push(message.value!.toString()); } });
  await waitFor(`read_committed ${topic}`, () => done(values), 90_000, 100);
  await consumer.disconnect();
  return values;
}

/**
 * Transforms `n` inputs to `<name>-out` in one transaction each (every seventh input aborted on
 * its first attempt and read again), starting `during(committedSoFar)` as inputs commit; then
 * checks the output with a read_committed consumer and the group's committed offsets.
 */
async function consumeTransformProduce(name: string, n: number, during: (committed: number) => Promise<void> = async () => undefined): Promise<void> {
  const [input, output, group, txnId] = [`${name}-in`, `${name}-out`, name, `${name}-tx`];
  await createTopics(input, output);
  const plain = kafka.producer();
  toClose.push(plain);
  await plain.connect();
  await plain.send({ topic: input, acks: -1, messages: Array.from({ length: n }, (_, i) => ({ key: `k${i % 10}`, value: `in-${i}` })) });

  const producer: Producer = kafka.producer({ transactionalId: txnId, maxInFlightRequests: 1, idempotent: true });
  toClose.push(producer);
  await producer.connect();
  const consumer: Consumer = kafka.consumer({ groupId: group, readUncommitted: false, sessionTimeout: 10_000 });
  toClose.push(consumer);
  await consumer.connect();
  await consumer.subscribe({ topic: input, fromBeginning: true });

  const errors: string[] = [];
  const faults: Promise<void>[] = [];
  const attempts = new Map<string, number>();
  const committed = new Set<string>();
  const aborted: string[] = [];
  const transform = async ({ topic, partition, message }: EachMessagePayload): Promise<void> => {
    const value = message.value!.toString();
    const attempt = (attempts.get(value) ?? 0) + 1;
    attempts.set(value, attempt);
    const out = `out-${value}-a${attempt}`;
    const txn = await producer.transaction();
    try {
      await txn.send({ topic: output, acks: -1, messages: [{ key: message.key, value: out }] });
      await txn.sendOffsets({ consumerGroupId: group, topics: [{ topic, partitions: [{ partition, offset: (BigInt(message.offset) + 1n).toString() }] }] });
      // Every seventh input is aborted on its first attempt, then read again from the committed offset.
      if (Number(value.slice(3)) % 7 === 3 && attempt === 1) {
        aborted.push(out);
        await txn.abort();
        consumer.seek({ topic, partition, offset: message.offset });
        return;
      }
      await txn.commit();
    } catch (err) {
      // Whatever this attempt wrote must not count: it is aborted (or was, by the coordinator).
      aborted.push(out);
      await txn.abort().catch(() => undefined);
      throw err;
    }
    committed.add(value);
    // Faults run beside the loop, so transactions are in flight when they strike.
    faults.push(during(committed.size));
  };
  await consumer.run({
    autoCommit: false,
    eachMessage: async (payload) => {
      try {
        await transform(payload);
      } catch (err) {
        errors.push(String(err));
        throw err;
      }
    },
  });
  // kafkajs retries a failed message itself; many failures in a row will not heal.
  await waitFor('every input transformed', () => committed.size === n || errors.length >= 20, 240_000, 200);
  await Promise.all(faults);
  if (committed.size !== n) throw new Error(`${committed.size} of ${n} inputs transformed; last errors: ${errors.slice(-3).join(' | ')}`);
  await consumer.disconnect();

  // The group's offsets moved only with committed transactions: to the end of each partition.
  const offsets = await admin.fetchOffsets({ groupId: group, topics: [input] });
  const ends = await admin.fetchTopicOffsets(input);
  expect(offsets[0].partitions.map((p) => [p.partition, p.offset]).sort()).toEqual(ends.map((e) => [e.partition, e.offset]).sort());

  const seen = await readCommitted(output, `${name}-check`, (v) => v.length >= n);
  expect(aborted.length).toBeGreaterThanOrEqual(Math.floor(n / 7));
  expect(seen.filter((v) => aborted.includes(v))).toEqual([]);
  const inputs = seen.map((v) => v.replace(/^out-(in-\d+)-a\d+$/, '$1'));
  expect(new Set(inputs).size).toBe(seen.length);
  expect([...inputs].sort()).toEqual(Array.from({ length: n }, (_, i) => `in-${i}`).sort());
}

it('consume-transform-produce with commits and aborts: every input exactly once, nothing aborted visible', async () => {
  await consumeTransformProduce('ctp', 120);
});

/** SIGKILLs the broker leading `topic`-`partition`, waits for another leader, restarts it. */
async function killLeader(topic: string, partition: number): Promise<number> {
  const stateOf = async () => partitionState.decode(await etcd.get(partitionKey('dms', topic, partition)).buffer());
  const victim = (await stateOf())!.leader;
  await tc.cluster.kill('broker', victim, 'SIGKILL');
  await waitFor(`a new leader of ${topic}-${partition}`, async () => {
    const s = await stateOf();
    return s !== undefined && s.leader >= 0 && s.leader !== victim;
  }, 60_000, 100);
  await tc.cluster.restart('broker', victim);
  return victim;
}

it('consume-transform-produce through SIGKILLs of its transaction coordinator and group coordinator: still exactly once', async () => {
  const kills: string[] = [];
  await consumeTransformProduce('ctp-kill', 90, async (committed) => {
    if (committed === 30) kills.push(`transaction coordinator broker ${await killLeader(TXN_STATE, groupPartition('ctp-kill-tx', INTERNAL_PARTITIONS))}`);
    if (committed === 60) kills.push(`group coordinator broker ${await killLeader(OFFSETS_TOPIC, groupPartition('ctp-kill', INTERNAL_PARTITIONS))}`);
  });
  expect(kills).toHaveLength(2);
  expect(tc.unexpectedExits).toEqual([]);
});

it('a transaction left open past its timeout is aborted: read_committed moves past it without its records', async () => {
  const topic = 'timeout-out';
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
  const stuck = kafka.producer({ transactionalId: 'timeout-tx', transactionTimeout: 2_000, maxInFlightRequests: 1, idempotent: true });
  toClose.push(stuck);
  await stuck.connect();
  const open = await stuck.transaction();
  await open.send({ topic, acks: -1, messages: [{ value: 'left-open' }] });
  // Never committed. Another producer's transaction after it waits behind it for read_committed.
  const other = kafka.producer({ transactionalId: 'timeout-other', maxInFlightRequests: 1, idempotent: true });
  toClose.push(other);
  await other.connect();
  const t = await other.transaction();
  await t.send({ topic, acks: -1, messages: [{ value: 'committed-after' }] });
  await t.commit();
  const started = Date.now();
  const seen = await readCommitted(topic, 'timeout-check', (v) => v.includes('committed-after'));
  expect(seen).toEqual(['committed-after']);
  process.stdout.write(`open transaction aborted by its timeout after ${Date.now() - started} ms\n`);
});
