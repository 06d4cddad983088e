// The transaction coordinator through the gateway on a 3-broker cluster (RF 3): FindCoordinator
// for transactional ids, InitProducerId with epoch bumps and fencing, AddPartitionsToTxn and
// EndTxn, a timed-out transaction aborted under a new epoch, Describe/ListTransactions, and a
// transaction that survives the SIGKILL of its coordinator broker: the new coordinator replays
// __transaction_state and carries it on.
import { Etcd3 } from 'etcd3';
import { partitionKey, partitionState } from '@dms/cluster';
import { waitFor } from '@dms/devcluster';
import { groupPartition } from '@dms/groups';
import { ApiKey } from '@dms/kafka-codec';
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

const initProducerId = (transactionalId: string, transactionTimeoutMs = 60_000, version = 4) =>
  untilSettled(`InitProducerId ${transactionalId}`, () =>
    conn.request<any>(ApiKey.InitProducerId, { transactionalId, transactionTimeoutMs, producerId: -1n, producerEpoch: -1 }, { version }), (r) => r.errorCode);

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

  it('aborts a transaction left open past its timeout under a new epoch, fencing its producer', async () => {
    const p = await initProducerId('tx-slow', 1_000);
    expect(codes(await addPartitions('tx-slow', p.producerId, p.producerEpoch, [{ name: 'orders', partitions: [1] }]))).toEqual({ 'orders-1': ErrorCode.NONE });
    await waitFor('the timed-out transaction aborted', async () => ['PrepareAbort', 'CompleteAbort'].includes((await describe1('tx-slow')).transactionState), 30_000, 200);
    expect(await describe1('tx-slow')).toMatchObject({ producerId: p.producerId, producerEpoch: 1 });
    expect((await endTxn('tx-slow', p.producerId, p.producerEpoch, true)).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
  });

  it('a transaction survives the SIGKILL of its coordinator broker; the new coordinator ends it', async () => {
    const p = await initProducerId('tx-survive');
    expect(codes(await addPartitions('tx-survive', p.producerId, p.producerEpoch, [{ name: 'orders', partitions: [0, 1] }]))).toEqual({
      'orders-0': ErrorCode.NONE,
      'orders-1': ErrorCode.NONE,
    });
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
    expect(['PrepareCommit', 'CompleteCommit']).toContain((await describe1('tx-survive')).transactionState);
    // A retried commit is not an error; an abort after it is.
    expect([ErrorCode.NONE, ErrorCode.CONCURRENT_TRANSACTIONS]).toContain(
      (await conn.request<any>(ApiKey.EndTxn, { transactionalId: 'tx-survive', producerId: p.producerId, producerEpoch: 0, committed: true }, { version: 3 })).errorCode,
    );
    expect((await conn.request<any>(ApiKey.EndTxn, { transactionalId: 'tx-survive', producerId: p.producerId, producerEpoch: 0, committed: false }, { version: 3 })).errorCode)
      .toBe(ErrorCode.INVALID_TXN_STATE);
    await tc.cluster.restart('broker', coordinator);
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
    expect(ids(all)).toEqual(['tx-fence', 'tx-slow', 'tx-survive']);
    expect(ids(await list({ stateFilters: ['Empty'] }))).toEqual(['tx-fence']);
    const fence = all.transactionStates.find((t: any) => t.transactionalId === 'tx-fence');
    expect(ids(await list({ producerIdFilters: [fence.producerId] }))).toEqual(['tx-fence']);
    const unknown = await list({ stateFilters: ['Bogus'] }, 0);
    expect(unknown).toMatchObject({ errorCode: ErrorCode.NONE, unknownStateFilters: ['Bogus'], transactionStates: [] });
    expect((await describe1('never-seen')).errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
  });

  it('dms transactions list and describe, as kafka-transactions.sh shows them', async () => {
    const listed = await runCli(['transactions', 'list', '--bootstrap-server', tc.bootstrap, '--json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).map((t: { transactionalId: string; coordinatorId: number }) => [t.transactionalId, t.coordinatorId])).toEqual([
      ['tx-fence', 1], ['tx-slow', 1], ['tx-survive', 1],
    ]);
    const empty = await runCli(['transactions', 'list', '--state', 'Empty', '--bootstrap-server', tc.bootstrap]);
    expect(empty.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^TransactionalId\s+Coordinator\s+ProducerId\s+TransactionState$/),
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
