import { buildRecordBatch, decodeRecordBatches } from '@dms/kafka-codec';
import { ErrorCode } from '@dms/kafka-errors';
import { ApiKey } from '@dms/kafka-schema';
import { KafkaClient } from './client';
import { FakeBroker } from './fake-broker';
import { TransactionalProducer } from './transactional-producer';

const batch = (values: string[]) => buildRecordBatch({ records: values.map((value) => ({ value })) });

const produceError = (body: any, errorCode: number) => ({
  throttleTimeMs: 0,
  responses: body.topicData.map((t: any) => ({
    name: t.name,
    partitionResponses: t.partitionData.map((p: any) => ({ index: p.index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], errorMessage: null })),
  })),
});

describe('TransactionalProducer against the fake broker', () => {
  let broker: FakeBroker;
  let client: KafkaClient;
  /** Every request after ApiVersions, as `key@version`, in arrival order. */
  let seen: { key: number; version: number; body: any }[];
  let intercept: ((key: number, version: number, body: any) => any) | undefined;
  beforeEach(async () => {
    broker = await FakeBroker.start();
    broker.createTopic('t', 3);
    client = new KafkaClient({ bootstrapServers: broker.address, retryBackoffMs: 5 });
    seen = [];
    intercept = undefined;
    broker.intercept = (key, version, body) => {
      if (key !== ApiKey.ApiVersions) seen.push({ key, version, body });
      return intercept?.(key, version, body);
    };
  });
  afterEach(async () => {
    client.close();
    await broker.stop();
  });
  const init = (id = 'tx-1') => TransactionalProducer.init(client, { transactionalId: id, transactionTimeoutMs: 15_000, retryBackoffMs: 5 });
  const keys = () => seen.map((s) => s.key).filter((k) => k !== ApiKey.Metadata);

  it('finds the coordinator (key type 1), inits with the transactional id and timeout, adds partitions (v3) before their first batch, commits', async () => {
    const p = await init();
    // FindCoordinator v4 names the key in coordinatorKeys.
    expect(seen[0]).toMatchObject({ key: ApiKey.FindCoordinator, version: 4, body: { keyType: 1, coordinatorKeys: ['tx-1'] } });
    expect(seen[1]).toMatchObject({ key: ApiKey.InitProducerId, body: { transactionalId: 'tx-1', transactionTimeoutMs: 15_000 } });
    p.beginTransaction();
    const [a, b, c] = await Promise.all([batch(['a']), batch(['b']), batch(['c'])]);
    // Partitions new in the same tick join in one request.
    const sends = [p.send('t', 0, a), p.send('t', 1, b), p.send('t', 0, c)];
    await Promise.all(sends);
    await p.commitTransaction();
    const adds = seen.filter((s) => s.key === ApiKey.AddPartitionsToTxn);
    expect(adds).toHaveLength(1);
    expect(adds[0].version).toBe(3);
    expect(adds[0].body.v3AndBelowTopics).toEqual([{ name: 't', partitions: [0, 1] }]);
    expect(keys().indexOf(ApiKey.AddPartitionsToTxn)).toBeLessThan(keys().indexOf(ApiKey.Produce));
    expect(seen.filter((s) => s.key === ApiKey.Produce).every((s) => s.body.transactionalId === 'tx-1')).toBe(true);
    expect(broker.txn.ends).toEqual([{ transactionalId: 'tx-1', committed: true, partitions: ['t-0', 't-1'] }]);
    const [stored] = await decodeRecordBatches(broker.topics.get('t')!.partitions[0].batches[0]);
    expect(stored.header.isTransactional).toBe(true);
    expect(stored.header.producerId).toBe(p.id.producerId);
  });

  it('commit waits until every batch in flight is acknowledged before EndTxn', async () => {
    const p = await init();
    const order: string[] = [];
    intercept = async (key, version, body) => {
      if (key === ApiKey.Produce) {
        await new Promise((r) => setTimeout(r, 30));
        const out = await broker.answer(key, version, body);
        order.push('produce acked');
        return out!;
      }
      if (key === ApiKey.EndTxn) order.push('EndTxn');
      return undefined;
    };
    p.beginTransaction();
    for (let i = 0; i < 4; i++) void p.send('t', i % 3, await batch([`v${i}`]));
    await p.commitTransaction();
    expect(order).toEqual(['produce acked', 'produce acked', 'produce acked', 'produce acked', 'EndTxn']);
    expect(broker.txn.ends[0]).toMatchObject({ committed: true });
  });

  it('aborts with EndTxn(committed=false); the next transaction adds its partitions again', async () => {
    const p = await init();
    p.beginTransaction();
    await p.send('t', 2, await batch(['x']));
    await p.abortTransaction();
    p.beginTransaction();
    await p.send('t', 2, await batch(['y']));
    await p.commitTransaction();
    expect(broker.txn.ends.map((e) => [e.committed, e.partitions])).toEqual([[false, ['t-2']], [true, ['t-2']]]);
    expect(seen.filter((s) => s.key === ApiKey.AddPartitionsToTxn)).toHaveLength(2);
  });

  it('a transaction without records ends without EndTxn', async () => {
    const p = await init();
    p.beginTransaction();
    await p.commitTransaction();
    expect(keys()).not.toContain(ApiKey.EndTxn);
  });

  it('retries CONCURRENT_TRANSACTIONS, and finds the coordinator again after NOT_COORDINATOR and COORDINATOR_LOAD_IN_PROGRESS', async () => {
    const p = await init();
    const errors = [ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS];
    let concurrent = 2;
    intercept = (key, _version, body) => {
      if (key === ApiKey.AddPartitionsToTxn && errors.length > 0) {
        const code = errors.shift()!;
        return { throttleTimeMs: 0, resultsByTopicV3AndBelow: body.v3AndBelowTopics.map((t: any) => ({ name: t.name, resultsByPartition: t.partitions.map((i: number) => ({ partitionIndex: i, partitionErrorCode: code })) })) };
      }
      if (key === ApiKey.EndTxn && concurrent-- > 0) return { throttleTimeMs: 0, errorCode: ErrorCode.CONCURRENT_TRANSACTIONS };
      return undefined;
    };
    p.beginTransaction();
    await p.send('t', 0, await batch(['a']));
    await p.commitTransaction();
    expect(seen.filter((s) => s.key === ApiKey.FindCoordinator)).toHaveLength(3);
    expect(seen.filter((s) => s.key === ApiKey.AddPartitionsToTxn)).toHaveLength(3);
    expect(seen.filter((s) => s.key === ApiKey.EndTxn)).toHaveLength(3);
    expect(broker.txn.ends).toEqual([{ transactionalId: 'tx-1', committed: true, partitions: ['t-0'] }]);
  });

  it('a newer producer with the same transactional id fences the older one for good (PRODUCER_FENCED)', async () => {
    const old = await init('shared');
    old.beginTransaction();
    await old.send('t', 0, await batch(['old']));
    const young = await init('shared');
    expect(young.id.producerEpoch).toBe(old.id.producerEpoch + 1);
    await expect(old.commitTransaction()).rejects.toMatchObject({ code: ErrorCode.PRODUCER_FENCED });
    expect(() => old.beginTransaction()).toThrow(expect.objectContaining({ code: ErrorCode.PRODUCER_FENCED }));
    await expect(old.send('t', 0, await batch(['late']))).rejects.toMatchObject({ code: ErrorCode.PRODUCER_FENCED });
    // The young producer's init aborted what the old one left open.
    expect(broker.txn.ends).toEqual([{ transactionalId: 'shared', committed: false, partitions: ['t-0'] }]);
  });

  it('TRANSACTIONAL_ID_AUTHORIZATION_FAILED at init is surfaced', async () => {
    intercept = (key) => (key === ApiKey.InitProducerId ? { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 } : undefined);
    await expect(init()).rejects.toMatchObject({ code: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED });
  });

  it('a failed batch makes the transaction abortable: commit throws, abort bumps the epoch, the next transaction starts from sequence 0', async () => {
    const p = await init();
    const epoch = p.id.producerEpoch;
    let refused = false;
    intercept = (key, _version, body) => {
      if (key !== ApiKey.Produce || refused) return undefined;
      refused = true;
      return produceError(body, ErrorCode.MESSAGE_TOO_LARGE);
    };
    p.beginTransaction();
    await expect(p.send('t', 0, await batch(['too big']))).rejects.toMatchObject({ code: ErrorCode.MESSAGE_TOO_LARGE });
    await expect(p.send('t', 0, await batch(['after']))).rejects.toMatchObject({ code: ErrorCode.MESSAGE_TOO_LARGE });
    await expect(p.commitTransaction()).rejects.toMatchObject({ code: ErrorCode.MESSAGE_TOO_LARGE });
    await p.abortTransaction();
    expect(p.id.producerEpoch).toBe(epoch + 1);
    p.beginTransaction();
    await p.send('t', 0, await batch(['ok']));
    await p.commitTransaction();
    const [stored] = await decodeRecordBatches(broker.topics.get('t')!.partitions[0].batches[0]);
    expect(stored.header).toMatchObject({ producerEpoch: epoch + 1, baseSequence: 0 });
    expect(broker.txn.ends.map((e) => e.committed)).toEqual([false, true]);
  });

  it('refuses to send outside a transaction', async () => {
    const p = await init();
    await expect(p.send('t', 0, await batch(['a']))).rejects.toMatchObject({ code: ErrorCode.INVALID_TXN_STATE });
    await expect(p.commitTransaction()).rejects.toMatchObject({ code: ErrorCode.INVALID_TXN_STATE });
  });
});
