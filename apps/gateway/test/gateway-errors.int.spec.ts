// Kafka error codes at the gateway edge, and hostile frames that must close only their own
// connection (real etcd, real processes, our own wire client).
import { connect, type Socket } from 'node:net';
import { buildRecordBatch, encodeRequest } from '@dms/kafka-codec';
import { ErrorCode, GroupAdmin, KafkaClient, KafkaError } from '@dms/kafka-client';
import { cleanup, startTestCluster, type TestCluster } from '@dms/testing';

jest.setTimeout(90_000);

let tc: TestCluster;
let client: KafkaClient;

beforeAll(async () => {
  tc = await startTestCluster({
    brokers: 1,
    controllers: 1,
    gateways: 1,
    config: { gateway: { 'auto.create.topics.enable': 'false', 'socket.request.max.bytes': '1048576' } },
  });
  client = new KafkaClient({ bootstrapServers: [tc.bootstrap], requestTimeoutMs: 10_000, retries: 0 });
  expect((await client.createTopics([{ name: 'small', numPartitions: 2, configs: { 'max.message.bytes': '2000' } }]))[0].errorCode).toBe(0);
});

afterAll(async () => {
  client?.close();
  await cleanup();
});

async function codeOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return ErrorCode.NONE;
  } catch (e) {
    if (e instanceof KafkaError) return e.code;
    throw e;
  }
}

describe('error codes', () => {
  it('UNKNOWN_TOPIC_OR_PARTITION for an unknown topic (auto-create off) and a partition out of range', async () => {
    const batch = await buildRecordBatch({ records: [{ value: 'x' }] });
    const md = await client.metadata(['no-such-topic']);
    expect(md.topics[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(await codeOf(client.produce('small', 7, batch))).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('CORRUPT_MESSAGE for a batch whose CRC does not match, and nothing is appended', async () => {
    const batch = await buildRecordBatch({ records: [{ value: 'hello crc' }] });
    batch[batch.length - 2] ^= 0xff;
    expect(await codeOf(client.produce('small', 0, batch))).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect((await client.listOffsets('small', 0, -1n)).offset).toBe(0n);
  });

  it('MESSAGE_TOO_LARGE for a batch above the topic max.message.bytes', async () => {
    const batch = await buildRecordBatch({ records: [{ value: Buffer.alloc(4000, 7) }] });
    expect(await codeOf(client.produce('small', 1, batch))).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    const ok = await buildRecordBatch({ records: [{ value: Buffer.alloc(1000, 7) }] });
    expect((await client.produce('small', 1, ok)).baseOffset).toBe(0n);
  });

  it('INVALID_TOPIC_EXCEPTION for produce to __consumer_offsets and for deleting it; groups keep committing', async () => {
    const groups = new GroupAdmin(client);
    // The first coordinator lookup creates the offsets topic; commits reach it through the coordinator.
    expect(await groups.commitOffsets('g-internal', [{ topic: 'small', partition: 0, offset: 0n }])).toEqual([{ topic: 'small', partition: 0, errorCode: 0 }]);
    const batch = await buildRecordBatch({ records: [{ key: 'forged', value: 'x' }] });
    expect(await codeOf(client.produce('__consumer_offsets', 0, batch))).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    const [deleted] = await client.deleteTopics(['__consumer_offsets']);
    expect(deleted.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    expect((await client.metadata(['__consumer_offsets'])).topics[0]).toMatchObject({ errorCode: 0, isInternal: true });
    expect(await groups.fetchOffsets('g-internal')).toEqual([expect.objectContaining({ topic: 'small', partition: 0, offset: 0n })]);
  });

  it('TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR and INVALID_TOPIC_EXCEPTION on create', async () => {
    const res = await client.createTopics([
      { name: 'small', numPartitions: 1 },
      { name: 'zero-parts', numPartitions: 0 },
      { name: 'too-many-replicas', numPartitions: 1, replicationFactor: 4 },
      { name: 'bad/name', numPartitions: 1 },
    ]);
    const codes = Object.fromEntries(res.map((r) => [r.name, r.errorCode]));
    expect(codes).toEqual({
      small: ErrorCode.TOPIC_ALREADY_EXISTS,
      'zero-parts': ErrorCode.INVALID_PARTITIONS,
      'too-many-replicas': ErrorCode.INVALID_REPLICATION_FACTOR,
      'bad/name': ErrorCode.INVALID_TOPIC_EXCEPTION,
    });
  });
});

function openSocket(): Promise<Socket> {
  const [host, port] = tc.bootstrap.split(':');
  return new Promise((resolve, reject) => {
    const s = connect({ host, port: Number(port) }, () => resolve(s));
    s.on('error', reject);
  });
}

function closed(s: Socket, ms = 10_000): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    s.on('close', () => {
      clearTimeout(t);
      resolve(true);
    });
    s.on('error', () => undefined);
  });
}

describe('hostile frames', () => {
  it.each([
    ['an oversized frame length', () => Buffer.from([0x7f, 0xff, 0xff, 0xff, 1, 2, 3])],
    ['a negative frame length', () => Buffer.from([0xff, 0xff, 0xff, 0xf0])],
    ['a header that is garbage', () => Buffer.from([0, 0, 0, 6, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02])],
    [
      'an unknown api key',
      () => {
        // size, api key 9999, version 0, correlation id 1, client id "x" (header v1)
        const f = Buffer.alloc(4 + 2 + 2 + 4 + 2 + 1);
        f.writeInt32BE(f.length - 4, 0);
        f.writeInt16BE(9999, 4);
        f.writeInt32BE(1, 8);
        f.writeInt16BE(1, 12);
        f.write('x', 14);
        return f;
      },
    ],
    [
      'a Metadata body with a hostile array count',
      () => {
        const head = encodeRequest({ requestApiKey: 3, requestApiVersion: 1, correlationId: 2, clientId: 'x' }, { topics: [] });
        const evil = Buffer.concat([head.subarray(0, head.length - 4), Buffer.from([0x7f, 0xff, 0xff, 0xff])]);
        evil.writeInt32BE(evil.length - 4, 0);
        return evil;
      },
    ],
  ])('closes the connection on %s while other clients carry on', async (_what, frame) => {
    const s = await openSocket();
    const isClosed = closed(s);
    s.write(frame());
    expect(await isClosed).toBe(true);
    const md = await client.metadata();
    expect(md.brokers.length).toBe(1);
    expect(tc.unexpectedExits).toEqual([]);
  });

  it('keeps serving after many connections send half frames and vanish', async () => {
    const sockets = await Promise.all(Array.from({ length: 50 }, () => openSocket()));
    for (const s of sockets) s.write(Buffer.from([0, 0, 0, 100, 0, 3]));
    for (const s of sockets) s.destroy();
    expect((await client.metadata()).brokers.length).toBe(1);
    expect(tc.unexpectedExits).toEqual([]);
  });
});
