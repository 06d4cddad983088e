import { buildRecordBatch, decodeRecordBatches } from '@dms/kafka-codec';
import { ErrorCode } from '@dms/kafka-errors';
import { ApiKey } from '@dms/kafka-schema';
import { KafkaClient } from './client';
import { FakeBroker } from './fake-broker';
import { IdempotentProducer } from './idempotent-producer';

const batch = (values: string[]) => buildRecordBatch({ records: values.map((value) => ({ value })) });

/** Every record value of the partition's log with its batch's producer header, in log order. */
async function logOf(broker: FakeBroker, topic = 't', partition = 0) {
  const log = broker.topics.get(topic)!.partitions[partition];
  const batches = (await Promise.all(log.batches.map((b) => decodeRecordBatches(b)))).flat();
  return {
    values: batches.flatMap((b) => b.records.map((r) => r.value!.toString())),
    sequences: batches.map((b) => `${b.header.producerId}/${b.header.producerEpoch}/${b.header.baseSequence}`),
  };
}

/** Answers of a produce request, in the shape the fake broker sends. */
const produceError = (body: any, errorCode: number) => ({
  throttleTimeMs: 0,
  responses: body.topicData.map((t: any) => ({
    name: t.name,
    partitionResponses: t.partitionData.map((p: any) => ({ index: p.index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], errorMessage: null })),
  })),
});

describe('IdempotentProducer against the fake broker', () => {
  let broker: FakeBroker;
  let client: KafkaClient;
  beforeEach(async () => {
    broker = await FakeBroker.start();
    broker.createTopic('t', 2);
    client = new KafkaClient({ bootstrapServers: broker.address, retryBackoffMs: 5 });
  });
  afterEach(async () => {
    client.close();
    await broker.stop();
  });

  it('numbers batches per partition and keeps up to five in flight, in order', async () => {
    const p = await IdempotentProducer.create(client, { retryBackoffMs: 5 });
    let inFlight = 0;
    let most = 0;
    broker.intercept = async (key) => {
      if (key !== ApiKey.Produce) return undefined;
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return undefined;
    };
    const sends = [];
    for (let i = 0; i < 12; i++) sends.push(p.send('t', i % 2, await batch([`a${i}`, `b${i}`])));
    const results = await Promise.all(sends);
    expect(results.filter((_, i) => i % 2 === 0).map((r) => r.baseOffset)).toEqual([0n, 2n, 4n, 6n, 8n, 10n]);
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(10);
    const log0 = await logOf(broker, 't', 0);
    expect(log0.values).toEqual([0, 2, 4, 6, 8, 10].flatMap((i) => [`a${i}`, `b${i}`]));
    expect(log0.sequences).toEqual([0, 2, 4, 6, 8, 10].map((s) => `1000/0/${s}`));
  });

  it('resends a batch whose answer was lost with the same sequence: the broker keeps one copy', async () => {
    const p = await IdempotentProducer.create(client, { retryBackoffMs: 5 });
    let lost = 0;
    broker.intercept = async (key, version, body) => {
      if (key !== ApiKey.Produce || lost >= 2) return undefined;
      lost++;
      await broker.answer(key, version, body); // appended, then the answer is lost
      return produceError(body, ErrorCode.REQUEST_TIMED_OUT);
    };
    const sends = [];
    for (let i = 0; i < 6; i++) sends.push(p.send('t', 0, await batch([`v${i}`])));
    await Promise.all(sends);
    expect((await logOf(broker)).values).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5']);
  });

  it('a batch that overtook a failed one is resent after it, in sequence order', async () => {
    const p = await IdempotentProducer.create(client, { retryBackoffMs: 5 });
    let first = true;
    broker.intercept = async (key, _version, body) => {
      if (key !== ApiKey.Produce || !first) return undefined;
      first = false;
      // The first batch is not appended (leader moved): the four behind it arrive out of order.
      return produceError(body, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    };
    const sends = [];
    for (let i = 0; i < 5; i++) sends.push(p.send('t', 0, await batch([`v${i}`])));
    await Promise.all(sends);
    expect((await logOf(broker)).values).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
  });

  it('bumps to a new producer after UNKNOWN_PRODUCER_ID and renumbers from 0 (KIP-360)', async () => {
    const p = await IdempotentProducer.create(client, { retryBackoffMs: 5 });
    await p.send('t', 0, await batch(['before']));
    let refused = false;
    broker.intercept = (key, _version, body) => {
      if (key !== ApiKey.Produce || refused) return undefined;
      refused = true;
      return produceError(body, ErrorCode.UNKNOWN_PRODUCER_ID);
    };
    await Promise.all([p.send('t', 0, await batch(['x'])), p.send('t', 0, await batch(['y']))]);
    expect(broker.producerIds).toEqual([1000n, 1001n]);
    const log = await logOf(broker);
    expect(log.values).toEqual(['before', 'x', 'y']);
    expect(log.sequences).toEqual(['1000/0/0', '1001/0/0', '1001/0/1']);
  });

  it('fails the batch the broker refuses for itself and carries on with the next ones', async () => {
    const p = await IdempotentProducer.create(client, { retryBackoffMs: 5 });
    let refused = false;
    broker.intercept = (key, _version, body) => {
      if (key !== ApiKey.Produce || refused) return undefined;
      refused = true;
      return produceError(body, ErrorCode.MESSAGE_TOO_LARGE);
    };
    const big = p.send('t', 0, await batch(['big']));
    const next = p.send('t', 0, await batch(['next']));
    await expect(big).rejects.toMatchObject({ code: ErrorCode.MESSAGE_TOO_LARGE });
    await next;
    expect((await logOf(broker)).values).toEqual(['next']);
  });

  it('is fenced for good by INVALID_PRODUCER_EPOCH', async () => {
    const p = await IdempotentProducer.create(client, { retryBackoffMs: 5 });
    broker.intercept = (key, _version, body) => (key === ApiKey.Produce ? produceError(body, ErrorCode.INVALID_PRODUCER_EPOCH) : undefined);
    await expect(p.send('t', 0, await batch(['a']))).rejects.toMatchObject({ code: ErrorCode.INVALID_PRODUCER_EPOCH });
    await expect(p.send('t', 0, await batch(['b']))).rejects.toMatchObject({ code: ErrorCode.INVALID_PRODUCER_EPOCH });
  });

  it('gives up on a batch after delivery.timeout.ms', async () => {
    const p = await IdempotentProducer.create(client, { retryBackoffMs: 5, deliveryTimeoutMs: 100 });
    broker.intercept = (key, _version, body) => (key === ApiKey.Produce ? produceError(body, ErrorCode.NOT_ENOUGH_REPLICAS) : undefined);
    await expect(p.send('t', 0, await batch(['a']))).rejects.toMatchObject({ code: ErrorCode.REQUEST_TIMED_OUT });
    p.close();
  });
});
