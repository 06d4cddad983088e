import { buildRecordBatch, decodeRecordBatches, CompressionType } from '@dms/kafka-codec';
import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { ApiKey } from '@dms/kafka-schema';
import { KafkaClient, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from './client';
import { KafkaConnection } from './connection';
import { FakeBroker } from './fake-broker';

describe('KafkaConnection against the fake broker', () => {
  let broker: FakeBroker;
  afterEach(() => broker.stop());

  it('negotiates the highest version both sides implement', async () => {
    broker = await FakeBroker.start({ versions: { [ApiKey.Produce]: [3, 7], [ApiKey.Fetch]: [0, 17] } });
    const conn = await KafkaConnection.open('127.0.0.1', broker.port);
    expect(conn.version(ApiKey.Produce)).toBe(7);
    expect(conn.version(ApiKey.Fetch)).toBe(12);
    expect(conn.version(ApiKey.Metadata)).toBe(12);
    expect(conn.version(ApiKey.ApiVersions)).toBe(3);
    expect(() => conn.version(ApiKey.JoinGroup)).toThrow(KafkaError);
    conn.close();
  });

  it('fails a key whose ranges do not overlap with UNSUPPORTED_VERSION', async () => {
    broker = await FakeBroker.start({ versions: { [ApiKey.Produce]: [0, 2] } });
    const conn = await KafkaConnection.open('127.0.0.1', broker.port);
    expect(conn.supports(ApiKey.Produce)).toBe(false);
    await expect(conn.request(ApiKey.Produce, {})).rejects.toMatchObject({ code: ErrorCode.UNSUPPORTED_VERSION });
    conn.close();
  });

  it('keeps responses in request order when the broker answers slowly', async () => {
    broker = await FakeBroker.start();
    broker.createTopic('t', 1);
    let n = 0;
    broker.intercept = async (key) => {
      // the first metadata request answers last-ish: later ones must still wait their turn
      if (key === ApiKey.Metadata && n++ === 0) await new Promise((r) => setTimeout(r, 100));
      return undefined;
    };
    const conn = await KafkaConnection.open('127.0.0.1', broker.port);
    const order: number[] = [];
    await Promise.all(Array.from({ length: 20 }, (_, i) =>
      conn.request(ApiKey.Metadata, { topics: null, allowAutoTopicCreation: false }).then(() => order.push(i))));
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i));
    conn.close();
  });
});

describe('KafkaClient against the fake broker', () => {
  let broker: FakeBroker;
  let client: KafkaClient;
  beforeEach(async () => {
    broker = await FakeBroker.start();
    client = new KafkaClient({ bootstrapServers: `127.0.0.1:1,${broker.address}`, connectTimeoutMs: 1000, retryBackoffMs: 10 });
  });
  afterEach(async () => {
    client.close();
    await broker.stop();
  });

  it('creates, describes and deletes topics', async () => {
    const created = await client.createTopics([{ name: 'a', numPartitions: 3 }, { name: 'b' }]);
    expect(created.map((t) => [t.name, t.errorCode])).toEqual([['a', 0], ['b', 0]]);
    expect((await client.createTopics([{ name: 'a' }]))[0].errorCode).toBe(ErrorCode.TOPIC_ALREADY_EXISTS);
    const md = await client.metadata();
    expect(md.brokers).toEqual([{ nodeId: 1, host: '127.0.0.1', port: broker.port, rack: null }]);
    const a = md.topics.find((t) => t.name === 'a')!;
    expect(a.partitions.map((p) => [p.partition, p.leader, p.replicas, p.isr])).toEqual([
      [0, 1, [1], [1]], [1, 1, [1], [1]], [2, 1, [1], [1]],
    ]);
    expect(await client.deleteTopics(['b', 'nope'])).toEqual([
      { name: 'b', errorCode: 0, errorMessage: null },
      { name: 'nope', errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null },
    ]);
    expect((await client.metadata()).topics.map((t) => t.name)).toEqual(['a']);
  });

  it('produces pipelined batches and fetches them back, compressed too', async () => {
    broker.createTopic('t', 2);
    const batches = await Promise.all(Array.from({ length: 10 }, (_, i) => buildRecordBatch({
      compression: i % 2 ? CompressionType.Zstd : CompressionType.None,
      records: [{ key: `k${i}`, value: `v${i}-0`, timestamp: 1000 + i }, { value: `v${i}-1`, timestamp: 1000 + i }],
    })));
    const results = await Promise.all(batches.map((b) => client.produce('t', 1, b, -1)));
    expect(results.map((r) => r.baseOffset)).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(i * 2)));

    const fetched = await client.fetch('t', 1, 4n, 1 << 20, 0);
    expect(fetched.highWatermark).toBe(20n);
    const records = (await decodeRecordBatches(fetched.records)).flatMap((b) => b.records);
    expect(records[0]).toMatchObject({ offset: 4n, timestamp: 1002n });
    expect(records.map((r) => r.value!.toString())).toEqual(
      Array.from({ length: 16 }, (_, i) => `v${2 + (i >> 1)}-${i & 1}`));

    expect((await client.fetch('t', 0, 0n, 1000, 0)).records.length).toBe(0);
    expect(await client.listOffsets('t', 1, LATEST_TIMESTAMP)).toMatchObject({ offset: 20n });
    expect(await client.listOffsets('t', 1, EARLIEST_TIMESTAMP)).toMatchObject({ offset: 0n });
    expect(await client.listOffsets('t', 1, 1005n)).toMatchObject({ offset: 10n, timestamp: 1005n });
  });

  it('sends acks=0 produce without waiting for an answer', async () => {
    broker.createTopic('t', 1);
    const batch = await buildRecordBatch({ records: [{ value: 'x' }] });
    expect((await client.produce('t', 0, batch, 0)).baseOffset).toBe(-1n);
    // a later request on the same connection proves the broker took it and stayed in step
    expect((await client.produce('t', 0, batch, 1)).baseOffset).toBe(1n);
  });

  it('surfaces per-partition errors as KafkaError with the code', async () => {
    broker.createTopic('t', 1);
    await expect(client.fetch('t', 0, 99n, 1000, 0)).rejects.toMatchObject({ code: ErrorCode.OFFSET_OUT_OF_RANGE });
    await expect(client.produce('t', 0, Buffer.from('garbage-not-a-batch-at-all'), 1)).rejects.toMatchObject({ code: ErrorCode.CORRUPT_MESSAGE });
    await expect(client.produce('missing', 0, Buffer.alloc(0), 1)).rejects.toMatchObject({ code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
    await expect(client.fetch('t', 5, 0n, 1000, 0)).rejects.toMatchObject({ code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
  });

  it('retries after a leader change answer once metadata is refreshed', async () => {
    broker.createTopic('t', 1);
    let failures = 1;
    broker.intercept = (key, version, body) => {
      if (key !== ApiKey.ListOffsets || failures-- <= 0) return undefined;
      return { throttleTimeMs: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, timestamp: -1n, offset: -1n, leaderEpoch: -1, oldStyleOffsets: [] }] }] };
    };
    expect(await client.listOffsets('t', 0, LATEST_TIMESTAMP)).toMatchObject({ offset: 0n });
    expect(broker.requests.filter((r) => r.apiKey === ApiKey.Metadata).length).toBeGreaterThanOrEqual(2);
  });
});
