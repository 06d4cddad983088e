// The transaction coordinator through the gateway on a 3-broker cluster (RF 3): FindCoordinator
// for transactional ids, InitProducerId with epoch bumps and fencing, AddPartitionsToTxn and
// EndTxn with COMMIT/ABORT markers in the data partitions, a second producer and a timeout
// aborting an open transaction under a new epoch, Describe/ListTransactions and the CLI, and a
// transaction that survives the SIGKILL of its coordinator broker: the new coordinator replays
// __transaction_state and completes it.
import { Etcd3 } from 'etcd3';
import { partitionKey, partitionState } from '@dms/cluster';
import { waitFor } from '@dms/devcluster';
import { groupPartition } from '@dms/groups';
import { ApiKey, buildRecordBatch, controlRecordType, decodeRecordBatches } from '@dms/kafka-codec';
import { KafkaClient, KafkaConnection } from '@dms/kafka-client';
import { ErrorCode } from '@dms/kafka-errors';
import { cleanup, runCli, startTestCluster, type TestCluster } from '@dms/testing';

jest.setTimeout(240_000);

const STATE_PARTITIONS = 3;
const RETRIABLE = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.CONCURRENT_TRANSACTIONS]);

let tc: TestCluster;
let etcd: Etcd3;
let client: KafkaClient;
let conn: KafkaConnection;
/** The transactional id of each producer id handed out (Produce names it). */
const txnIdOf = new Map<bigint, string>();

beforeAll(async () => {
  tc = await startTestCluster({
    brokers: 3,
    controllers: 1,
    gateways: 1,
    settings: {
      'transaction.state.log.num.partitions': String(STATE_PARTITIONS),
      'transaction.abort.timed.out.transaction.cleanup.interval.ms': '500',
      'default.replication.factor': '3',
      'min.insync.replicas': '2',
    },
  });
  etcd = new Etcd3({ hosts: `http://${tc.etcdEndpoint}` });
  client = new KafkaClient({ bootstrapServers: tc.bootstrap, clientId: 'dms-transactions' });
  const [host, port] = tc.bootstrap.split(':');
  conn = await KafkaConnection.open(host, Number(port), {});
  const created = await client.createTopics([{ name: 'orders', numPartitions: 2, replicationFactor: 3 }]);
  expect(created[0].errorCode).toBe(ErrorCode.NONE);
});

afterAll(async () => {
  conn?.close();
  client?.close();
  etcd?.close();
  await cleanup();
});

/** Sends until the answer is not retriable (bounded). */
async function untilSettled<T>(what: string, send: () => Promise<T>, code: (r: T) => number, timeoutMs = 60_000): Promise<T> {
  let last: T | undefined;
  await waitFor(what, async () => {
    last = await send();
    return !RETRIABLE.has(code(last));
  }, timeoutMs, 200);
  return last!;
}

const findCoordinator = (transactionalId: string) =>
  untilSettled(`coordinator of ${transactionalId}`, () => conn.request<any>(ApiKey.FindCoordinator, { key: transactionalId, keyType: 1 }, { version: 3 }), (r) => r.errorCode);

async function initProducerId(transactionalId: string, transactionTimeoutMs = 60_000, version = 4) {
  const r = await untilSettled(`InitProducerId ${transactionalId}`, () =>
    conn.request<any>(ApiKey.InitProducerId, { transactionalId, transactionTimeoutMs, producerId: -1n, producerEpoch: -1 }, { version }), (r) => r.errorCode);
  if (r.errorCode === ErrorCode.NONE) txnIdOf.set(r.producerId, transactionalId);
  return r;
}

const addPartitions = (transactionalId: string, producerId: bigint, producerEpoch: number, topics: { name: string; partitions: number[] }[], version = 3) =>
  untilSettled(`AddPartitionsToTxn ${transactionalId}`, () =>
    conn.request<any>(ApiKey.AddPartitionsToTxn, {
      v3AndBelowTransactionalId: transactionalId, v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch, v3AndBelowTopics: topics,
    }, { version }), (r) => r.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode);

const endTxn = (transactionalId: string, producerId: bigint, producerEpoch: number, committed: boolean) =>
  untilSettled(`EndTxn ${transactionalId}`, () =>
    conn.request<any>(ApiKey.EndTxn, { transactionalId, producerId, producerEpoch, committed }, { version: 3 }), (r) => r.errorCode);

const describe1 = async (transactionalId: string) =>
  (await untilSettled(`DescribeTransactions ${transactionalId}`, () =>
    conn.request<any>(ApiKey.DescribeTransactions, { transactionalIds: [transactionalId] }, { version: 0 }), (r) => r.transactionStates[0].errorCode)).transactionStates[0];

/** A transactional batch through the gateway's Produce (acks=all). */
async function produceTxn(topic: string, partition: number, producerId: bigint, producerEpoch: number, baseSequence: number, values: string[]): Promise<void> {
  const records = await buildRecordBatch({ producerId, producerEpoch, baseSequence, transactional: true, records: values.map((v) => ({ value: Buffer.from(v) })) });
  const res = await conn.request<any>(ApiKey.Produce, {
    transactionalId: txnIdOf.get(producerId), acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  });
  expect(res.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE);
}

/** The batches of one producer in a partition: its records' values, or the marker type of a control batch. */
async function batchesOf(topic: string, partition: number, producerId: bigint): Promise<Array<string[] | string | null>> {
  const f = await client.fetch(topic, partition, 0n, 1 << 20, 100);
  return (await decodeRecordBatches(f.records))
    .filter((b) => b.header.producerId === producerId)
    .map((b) => (b.header.isControl ? controlRecordType(b.records[0].key) : b.records.map((r) => r.value!.toString())));
}

const completed = (transactionalId: string, state: string) =>
  waitFor(`${transactionalId} in ${state}`, async () => (await describe1(transactionalId)).transactionState === state, 60_000, 100);

const codes = (r: any) => Object.fromEntries(r.resultsByTopicV3AndBelow.flatMap((t: any) => t.resultsByPartition.map((p: any) => [`${t.name}-${p.partitionIndex}`, p.partitionErrorCode])));

describe('transactions', () => {
  it('finds the coordinator, bumps epochs, fences the old producer and refuses bad partitions', async () => {
    const coordinator = await findCoordinator('tx-fence');
    expect(coordinator).toMatchObject({ errorCode: ErrorCode.NONE, nodeId: 1 });
    const md = await client.metadata(['__transaction_state']);
    expect(md.topics[0].partitions.length).toBe(STATE_PARTITIONS);

    const first = await initProducerId('tx-fence');
    expect(first).toMatchObject({ errorCode: ErrorCode.NONE, producerEpoch: 0 });
    expect(first.producerId).toBeGreaterThanOrEqual(0n);
    const second = await initProducerId('tx-fence');
    expect(second).toMatchObject({ errorCode: ErrorCode.NONE, producerId: first.producerId, producerEpoch: 1 });
    expect(codes(await addPartitions('tx-fence', first.producerId, 0, [{ name: 'orders', partitions: [0] }]))).toEqual({ 'orders-0': ErrorCode.PRODUCER_FENCED });
    expect(codes(await addPartitions('tx-fence', first.producerId, 0, [{ name: 'orders', partitions: [0] }], 1))).toEqual({ 'orders-0': ErrorCode.INVALID_PRODUCER_EPOCH });
    expect(codes(await addPartitions('tx-fence', first.producerId, 1, [{ name: 'orders', partitions: [0, 7] }, { name: 'missing', partitions: [0] }]))).toEqual({
      'orders-0': ErrorCode.OPERATION_NOT_ATTEMPTED,
      'orders-7': ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      'missing-0': ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    });
    expect((await initProducerId('tx-fence', 900_001)).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    expect((await endTxn('tx-fence', first.producerId, 1, true)).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
  });

  it('commit and abort write COMMIT/ABORT markers to the data partitions, then complete', async () => {
    const c = await initProducerId('m-commit');
    expect(codes(await addPartitions('m-commit', c.producerId, c.producerEpoch, [{ name: 'orders', partitions: [0] }]))).toEqual({ 'orders-0': ErrorCode.NONE });
    await produceTxn('orders', 0, c.producerId, c.producerEpoch, 0, ['c1', 'c2']);
    expect((await endTxn('m-commit', c.producerId, c.producerEpoch, true)).errorCode).toBe(ErrorCode.NONE);
    await completed('m-commit', 'CompleteCommit');
    expect(await batchesOf('orders', 0, c.producerId)).toEqual([['c1', 'c2'], 'commit']);
    // A retried commit is not an error; an abort after it is.
    expect((await endTxn('m-commit', c.producerId, c.producerEpoch, true)).errorCode).toBe(ErrorCode.NONE);
    expect((await endTxn('m-commit', c.producerId, c.producerEpoch, false)).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);

    const a = await initProducerId('m-abort');
    await addPartitions('m-abort', a.producerId, a.producerEpoch, [{ name: 'orders', partitions: [1] }]);
    await produceTxn('orders', 1, a.producerId, a.producerEpoch, 0, ['a1']);
    expect((await endTxn('m-abort', a.producerId, a.producerEpoch, false)).errorCode).toBe(ErrorCode.NONE);
    await completed('m-abort', 'CompleteAbort');
    expect(await batchesOf('orders', 1, a.producerId)).toEqual([['a1'], 'abort']);
  });

  it('a second producer fences the first: its open transaction is aborted with markers, then it gets the next epoch', async () => {
    const first = await initProducerId('m-fence');
    await addPartitions('m-fence', first.producerId, first.producerEpoch, [{ name: 'orders', partitions: [0] }]);
    await produceTxn('orders', 0, first.producerId, first.producerEpoch, 0, ['f1']);
    // The first answer is CONCURRENT_TRANSACTIONS while the abort completes; the retry gets epoch 2.
    const second = await initProducerId('m-fence');
    expect(second).toMatchObject({ errorCode: ErrorCode.NONE, producerId: first.producerId, producerEpoch: 2 });
    expect(await batchesOf('orders', 0, first.producerId)).toEqual([['f1'], 'abort']);
    expect((await endTxn('m-fence', first.producerId, first.producerEpoch, true)).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
  });

  it('aborts a transaction left open past its timeout under a new epoch, fencing its producer', async () => {
    const p = await initProducerId('tx-slow', 1_000);
    expect(codes(await addPartitions('tx-slow', p.producerId, p.producerEpoch, [{ name: 'orders', partitions: [1] }]))).toEqual({ 'orders-1': ErrorCode.NONE });
    await produceTxn('orders', 1, p.producerId, p.producerEpoch, 0, ['late']);
    await completed('tx-slow', 'CompleteAbort');
    expect(await describe1('tx-slow')).toMatchObject({ producerId: p.producerId, producerEpoch: 1 });
    expect(await batchesOf('orders', 1, p.producerId)).toEqual([['late'], 'abort']);
    expect((await endTxn('tx-slow', p.producerId, p.producerEpoch, true)).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
  });

  it('a transaction survives the SIGKILL of its coordinator broker; the new coordinator commits it with markers', async () => {
    const p = await initProducerId('tx-survive');
    expect(codes(await addPartitions('tx-survive', p.producerId, p.producerEpoch, [{ name: 'orders', partitions: [0, 1] }]))).toEqual({
      'orders-0': ErrorCode.NONE,
      'orders-1': ErrorCode.NONE,
    });
    await produceTxn('orders', 0, p.producerId, p.producerEpoch, 0, ['s0']);
    await produceTxn('orders', 1, p.producerId, p.producerEpoch, 0, ['s1']);
    const before = await describe1('tx-survive');
    expect(before).toMatchObject({ transactionState: 'Ongoing', producerId: p.producerId, producerEpoch: 0, topics: [{ topic: 'orders', partitions: [0, 1] }] });
    expect(before.transactionStartTimeMs).toBeGreaterThan(0n);

    const statePartition = groupPartition('tx-survive', STATE_PARTITIONS);
    const leaderOf = async () => partitionState.decode(await etcd.get(partitionKey(tc.cluster.clusterName, '__transaction_state', statePartition)).buffer())?.leader ?? -1;
    const coordinator = await leaderOf();
    expect(coordinator).toBeGreaterThan(0);
    await tc.cluster.kill('broker', coordinator, 'SIGKILL');
    await waitFor('a new coordinator leader', async () => {
      const l = await leaderOf();
      return l > 0 && l !== coordinator;
    }, 60_000, 200);

    // The new coordinator replayed the replicated state: same producer, epoch and partitions.
    expect(await describe1('tx-survive')).toMatchObject({ transactionState: 'Ongoing', producerId: p.producerId, producerEpoch: 0, transactionStartTimeMs: before.transactionStartTimeMs });
    expect((await endTxn('tx-survive', p.producerId, p.producerEpoch, true)).errorCode).toBe(ErrorCode.NONE);
    await completed('tx-survive', 'CompleteCommit');
    for (const partition of [0, 1]) expect(await batchesOf('orders', partition, p.producerId)).toEqual([[`s${partition}`], 'commit']);
    await tc.cluster.restart('broker', coordinator);
  });

  it('markers reach a partition whose leader was SIGKILLed: the coordinator retries until the new leader has them', async () => {
    const p = await initProducerId('tx-moved');
    await addPartitions('tx-moved', p.producerId, p.producerEpoch, [{ name: 'orders', partitions: [1] }]);
    await produceTxn('orders', 1, p.producerId, p.producerEpoch, 0, ['m1']);
    const leaderOf = async () => partitionState.decode(await etcd.get(partitionKey(tc.cluster.clusterName, 'orders', 1)).buffer())?.leader ?? -1;
    const leader = await leaderOf();
    await tc.cluster.kill('broker', leader, 'SIGKILL');
    expect((await endTxn('tx-moved', p.producerId, p.producerEpoch, true)).errorCode).toBe(ErrorCode.NONE);
    await completed('tx-moved', 'CompleteCommit');
    expect(await leaderOf()).not.toBe(leader);
    expect(await batchesOf('orders', 1, p.producerId)).toEqual([['m1'], 'commit']);
    await tc.cluster.restart('broker', leader);
  });

  it('lists transactions across coordinators with state and producer filters', async () => {
    const list = async (body: object, version = 1) => {
      const res = await conn.request<any>(ApiKey.ListTransactions, { stateFilters: [], producerIdFilters: [], durationFilter: -1n, ...body }, { version });
      return res;
    };
    let all: any;
    await waitFor('every coordinator answering ListTransactions', async () => {
      all = await list({});
      return all.errorCode === ErrorCode.NONE;
    }, 60_000, 200);
    const ids = (r: any) => r.transactionStates.map((t: any) => t.transactionalId).sort();
    expect(ids(all)).toEqual(['m-abort', 'm-commit', 'm-fence', 'tx-fence', 'tx-moved', 'tx-slow', 'tx-survive']);
    expect(ids(await list({ stateFilters: ['Empty'] }))).toEqual(['m-fence', 'tx-fence']);
    expect(ids(await list({ stateFilters: ['CompleteCommit', 'CompleteAbort'] }))).toEqual(['m-abort', 'm-commit', 'tx-moved', 'tx-slow', 'tx-survive']);
    const fence = all.transactionStates.find((t: any) => t.transactionalId === 'tx-fence');
    expect(ids(await list({ producerIdFilters: [fence.producerId] }))).toEqual(['tx-fence']);
    const unknown = await list({ stateFilters: ['Bogus'] }, 0);
    expect(unknown).toMatchObject({ errorCode: ErrorCode.NONE, unknownStateFilters: ['Bogus'], transactionStates: [] });
    expect((await describe1('never-seen')).errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
  });

  it('dms transactions list and describe, as kafka-transactions.sh shows them', async () => {
    const listed = await runCli(['transactions', 'list', '--bootstrap-server', tc.bootstrap, '--json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).map((t: { transactionalId: string; coordinatorId: number }) => [t.transactionalId, t.coordinatorId])).toEqual(
      ['m-abort', 'm-commit', 'm-fence', 'tx-fence', 'tx-moved', 'tx-slow', 'tx-survive'].map((id) => [id, 1]),
    );
    const empty = await runCli(['transactions', 'list', '--state', 'Empty', '--bootstrap-server', tc.bootstrap]);
    expect(empty.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^TransactionalId\s+Coordinator\s+ProducerId\s+TransactionState$/),
      expect.stringMatching(/^m-fence\s+1\s+\d+\s+Empty$/),
      expect.stringMatching(/^tx-fence\s+1\s+\d+\s+Empty$/),
    ]);
    const described = await runCli(['transactions', 'describe', '--transactional-id', 'tx-fence', '--bootstrap-server', tc.bootstrap, '--json']);
    expect(described.code).toBe(0);
    expect(JSON.parse(described.stdout)).toMatchObject({ transactionalId: 'tx-fence', coordinatorId: 1, state: 'Empty', producerEpoch: 1, startTimeMs: -1, durationMs: null, topicPartitions: [] });
    const table = await runCli(['transactions', 'describe', '--transactional-id', 'tx-fence', '--bootstrap-server', tc.bootstrap]);
    expect(table.stdout).toMatch(/^CoordinatorId\s+TransactionalId\s+ProducerId\s+ProducerEpoch\s+TransactionState\s+TransactionTimeoutMs/);
    const missing = await runCli(['transactions', 'describe', '--transactional-id', 'nope', '--bootstrap-server', tc.bootstrap]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/TRANSACTIONAL_ID_NOT_FOUND/);
  });
});
