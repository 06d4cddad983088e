// The transaction APIs at the gateway: Kafka's ACL rules (idempotent producers, transactional
// ids, topics, the broker-only batched AddPartitionsToTxn), partition checks before the
// coordinator is asked, and PRODUCER_FENCED shown to old versions as INVALID_PRODUCER_EPOCH.
import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { Operation, Resource, CLUSTER_NAME } from './authorize';
import { initProducerIdHandler } from './22-init-producer-id';
import { addPartitionsToTxnHandler } from './24-add-partitions-to-txn';
import { addOffsetsToTxnHandler } from './25-add-offsets-to-txn';
import { endTxnHandler } from './26-end-txn';
import { describeTransactionsHandler } from './65-describe-transactions';
import { listTransactionsHandler } from './66-list-transactions';
import type { AddPartitionsToTxnInput, RequestContext, SecurityPort, TopicView, TransactionPort } from './ports';

type Grant = [operation: number, resourceType: number, name: string];

function context(grants: Grant[] | 'all', port: Partial<TransactionPort> = {}) {
  const asked: AddPartitionsToTxnInput[] = [];
  const transactions: Partial<TransactionPort> = {
    newProducerId: async () => 42n,
    initProducerId: async () => ({ errorCode: ErrorCode.PRODUCER_FENCED, errorMessage: null, producerId: -1n, producerEpoch: -1 }),
    addPartitionsToTxn: async (input) => {
      asked.push(input);
      return input.partitions.map(() => ErrorCode.NONE);
    },
    endTxn: async () => ErrorCode.PRODUCER_FENCED,
    addOffsetsToTxn: async () => ErrorCode.NONE,
    describeTransactions: async (ids) => ids.map((transactionalId) => ({
      errorCode: ErrorCode.NONE, transactionalId, transactionState: 'Ongoing', transactionTimeoutMs: 1000, transactionStartTimeMs: 5n, producerId: 1n, producerEpoch: 0,
      topics: [{ topic: 'orders', partitions: [0] }, { topic: 'secret', partitions: [1] }],
    })),
    listTransactions: async () => ({ errorCode: ErrorCode.NONE, transactions: [{ transactionalId: 'tx', producerId: 1n, transactionState: 'Ongoing' }, { transactionalId: 'hidden', producerId: 2n, transactionState: 'Empty' }] }),
    ...port,
  };
  const allowed = (op: number, type: number, name: string) => grants === 'all' || grants.some(([o, t, n]) => o === op && t === type && n === name);
  const security = {
    authorizerEnabled: () => true,
    authorize: (_p: string, _h: string, op: number, type: number, name: string) => allowed(op, type, name),
    authorizeByResourceType: (_p: string, _h: string, op: number, type: number) => grants === 'all' || grants.some(([o, t]) => o === op && t === type),
  } as unknown as SecurityPort;
  const view = (name: string): TopicView => ({
    name, topicId: name, internal: name.startsWith('__'), configs: {},
    partitions: [0, 1].map((partition) => ({ partition, storageLeader: 1, advertisedLeader: 1, leaderAvailable: true, leaderEpoch: 0, replicas: [1], isr: [1] })),
  });
  const topics = new Map(['orders', 'secret', '__consumer_offsets'].map((n) => [n, view(n)]));
  const ctx = {
    clientId: 'spec', clientHost: '127.0.0.1', security, transactions,
    cluster: { topic: (n: string) => topics.get(n) } as unknown as RequestContext['cluster'],
  } as unknown as RequestContext;
  return { ctx, asked };
}

const W = Operation.WRITE;
const TXN = Resource.TRANSACTIONAL_ID;

describe('InitProducerId', () => {
  const idempotent = { transactionalId: null, transactionTimeoutMs: 1000, producerId: -1n, producerEpoch: -1 };

  it('gives an idempotent producer a fresh id with IDEMPOTENT_WRITE on the cluster or WRITE on any topic, else CLUSTER_AUTHORIZATION_FAILED', async () => {
    expect(await initProducerIdHandler.handle(context([[Operation.IDEMPOTENT_WRITE, Resource.CLUSTER, CLUSTER_NAME]]).ctx, idempotent, 4))
      .toMatchObject({ errorCode: ErrorCode.NONE, producerId: 42n, producerEpoch: 0 });
    expect(await initProducerIdHandler.handle(context([[W, Resource.TOPIC, 'orders']]).ctx, idempotent, 4)).toMatchObject({ errorCode: ErrorCode.NONE });
    expect(await initProducerIdHandler.handle(context([[Operation.READ, Resource.TOPIC, 'orders']]).ctx, idempotent, 4))
      .toMatchObject({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, producerId: -1n });
  });

  it('answers a controller outage with a retriable error', async () => {
    const { ctx } = context('all', { newProducerId: async () => { throw new KafkaError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS); } });
    expect(await initProducerIdHandler.handle(ctx, idempotent, 4)).toMatchObject({ errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS });
  });

  it('needs WRITE on the transactional id, and shows PRODUCER_FENCED to v0-v3 as INVALID_PRODUCER_EPOCH', async () => {
    const body = { ...idempotent, transactionalId: 'tx' };
    expect(await initProducerIdHandler.handle(context([]).ctx, body, 4)).toMatchObject({ errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED });
    const { ctx } = context([[W, TXN, 'tx']]);
    expect(await initProducerIdHandler.handle(ctx, body, 4)).toMatchObject({ errorCode: ErrorCode.PRODUCER_FENCED });
    expect(await initProducerIdHandler.handle(ctx, body, 3)).toMatchObject({ errorCode: ErrorCode.INVALID_PRODUCER_EPOCH });
  });
});

describe('AddPartitionsToTxn', () => {
  const v3 = (topics: { name: string; partitions: number[] }[]) => ({
    v3AndBelowTransactionalId: 'tx', v3AndBelowProducerId: 1n, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: topics,
  });
  const codes = (res: any, key = 'resultsByTopicV3AndBelow') =>
    Object.fromEntries(res[key].flatMap((t: any) => t.resultsByPartition.map((p: any) => [`${t.name}-${p.partitionIndex}`, p.partitionErrorCode])));

  it('adds authorized, existing partitions; otherwise nothing is added and the rest answer OPERATION_NOT_ATTEMPTED', async () => {
    const { ctx, asked } = context([[W, TXN, 'tx'], [W, Resource.TOPIC, 'orders'], [W, Resource.TOPIC, '__consumer_offsets']]);
    expect(codes(await addPartitionsToTxnHandler.handle(ctx, v3([{ name: 'orders', partitions: [0, 1] }]), 3))).toEqual({ 'orders-0': 0, 'orders-1': 0 });
    expect(asked).toEqual([{ transactionalId: 'tx', producerId: 1n, producerEpoch: 0, verifyOnly: false, partitions: [{ topic: 'orders', partition: 0 }, { topic: 'orders', partition: 1 }] }]);
    const refused = await addPartitionsToTxnHandler.handle(ctx, v3([
      { name: 'orders', partitions: [0, 9] }, { name: 'secret', partitions: [0] }, { name: '__consumer_offsets', partitions: [0] },
    ]), 3);
    expect(codes(refused)).toEqual({
      'orders-0': ErrorCode.OPERATION_NOT_ATTEMPTED,
      'orders-9': ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      'secret-0': ErrorCode.TOPIC_AUTHORIZATION_FAILED,
      '__consumer_offsets-0': ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    });
    expect(asked.length).toBe(1);
    expect(codes(await addPartitionsToTxnHandler.handle(context([[W, Resource.TOPIC, 'orders']]).ctx, v3([{ name: 'orders', partitions: [0] }]), 3)))
      .toEqual({ 'orders-0': ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED });
  });

  it('v4+ (from brokers) needs CLUSTER_ACTION and passes verify-only through', async () => {
    const batched = { transactions: [{ transactionalId: 'tx', producerId: 1n, producerEpoch: 0, verifyOnly: true, topics: [{ name: 'orders', partitions: [1] }] }] };
    expect(await addPartitionsToTxnHandler.handle(context([]).ctx, batched, 5)).toMatchObject({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, resultsByTransaction: [] });
    const { ctx, asked } = context([[Operation.CLUSTER_ACTION, Resource.CLUSTER, CLUSTER_NAME]]);
    const res: any = await addPartitionsToTxnHandler.handle(ctx, batched, 5);
    expect(res.errorCode).toBe(ErrorCode.NONE);
    expect(codes(res.resultsByTransaction[0], 'topicResults')).toEqual({ 'orders-1': 0 });
    expect(asked[0]).toMatchObject({ verifyOnly: true, partitions: [{ topic: 'orders', partition: 1 }] });
  });
});

describe('AddOffsetsToTxn, EndTxn, DescribeTransactions, ListTransactions', () => {
  it('AddOffsetsToTxn needs WRITE on the transactional id and READ on the group', async () => {
    const body = { transactionalId: 'tx', producerId: 1n, producerEpoch: 0, groupId: 'g' };
    expect(await addOffsetsToTxnHandler.handle(context([[W, TXN, 'tx']]).ctx, body, 3)).toMatchObject({ errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED });
    expect(await addOffsetsToTxnHandler.handle(context([[W, TXN, 'tx'], [Operation.READ, Resource.GROUP, 'g']]).ctx, body, 3)).toMatchObject({ errorCode: ErrorCode.NONE });
  });

  it('EndTxn shows PRODUCER_FENCED from v2 on, INVALID_PRODUCER_EPOCH before', async () => {
    const body = { transactionalId: 'tx', producerId: 1n, producerEpoch: 0, committed: true };
    const { ctx } = context([[W, TXN, 'tx']]);
    expect(await endTxnHandler.handle(ctx, body, 2)).toMatchObject({ errorCode: ErrorCode.PRODUCER_FENCED });
    expect(await endTxnHandler.handle(ctx, body, 1)).toMatchObject({ errorCode: ErrorCode.INVALID_PRODUCER_EPOCH });
    expect(await endTxnHandler.handle(context([]).ctx, body, 3)).toMatchObject({ errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED });
    expect(await endTxnHandler.handle(context('all').ctx, { ...body, transactionalId: '' }, 3)).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST });
  });

  it('describes and lists only what the principal may DESCRIBE', async () => {
    const { ctx } = context([[Operation.DESCRIBE, TXN, 'tx'], [Operation.DESCRIBE, Resource.TOPIC, 'orders']]);
    const described: any = await describeTransactionsHandler.handle(ctx, { transactionalIds: ['tx', 'hidden'] }, 0);
    expect(described.transactionStates).toEqual([
      expect.objectContaining({ transactionalId: 'tx', errorCode: 0, transactionState: 'Ongoing', topics: [{ topic: 'orders', partitions: [0] }] }),
      expect.objectContaining({ transactionalId: 'hidden', errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED }),
    ]);
    const listed: any = await listTransactionsHandler.handle(ctx, { stateFilters: ['Ongoing', 'Nope'], producerIdFilters: [], durationFilter: -1n }, 1);
    expect(listed).toMatchObject({ errorCode: 0, unknownStateFilters: ['Nope'], transactionStates: [{ transactionalId: 'tx', producerId: 1n, transactionState: 'Ongoing' }] });
  });
});
