// Requests for an API or a version the gateway does not serve, on a real KafkaConnection over a
// loopback socket: refused as Kafka refuses them (ApiVersions answered in v0 with
// UNSUPPORTED_VERSION, anything else closes the connection), and each one counted and logged with
// the client software the connection named in its ApiVersions v3+.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { trace } from '@opentelemetry/api';
import { decodeResponse, encodeRequest } from '@dms/kafka-codec';
import { ErrorCode } from '@dms/kafka-errors';
import type { RequestContext } from '@dms/kafka-handlers';
import { clientSoftware, SoftwareLabels, type ClientSoftware } from './client-software';
import { FrameReader } from './frame-reader';
import { KafkaConnection } from './kafka-connection';

let server: Server;
let port: number;
let conns: KafkaConnection[] = [];
let counted: { apiKey: number; version: number; client: ClientSoftware }[] = [];
let warnings: { obj: any; msg: string }[] = [];

beforeAll(async () => {
  server = createServer((socket) => {
    conns.push(new KafkaConnection(socket, {
      maxFrameBytes: 1 << 20,
      maxInFlight: 100,
      tracer: trace.getTracer('test'),
      logger: { info: () => undefined, warn: (obj, msg) => warnings.push({ obj, msg }), error: () => undefined },
      makeContext: (clientId) => ({ clientId, clientHost: '127.0.0.1', cluster: { finalizedFeatures: () => undefined } }) as unknown as RequestContext,
      onUnsupported: (apiKey, version, client) => counted.push({ apiKey, version, client }),
    }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

afterEach(() => {
  for (const c of conns) c.close();
  conns = [];
  counted = [];
  warnings = [];
});

async function client() {
  const socket: Socket = connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  const reader = new FrameReader(1 << 20);
  const frames: Buffer[] = [];
  let closed = false;
  socket.on('data', (c) => frames.push(...reader.push(c)));
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  const waitUntil = async (cond: () => boolean, ms = 5_000): Promise<boolean> => {
    const deadline = Date.now() + ms;
    while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return cond();
  };
  return { socket, frames, closed: () => closed, waitUntil };
}

const frame = (apiKey: number, version: number, correlationId: number, body: object = {}) =>
  encodeRequest({ requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: 'old-tool' }, body);

describe('requests the gateway does not serve', () => {
  it('Produce v2 (advertised, as Kafka 4 does, but refused) closes the connection, named by the client software', async () => {
    const c = await client();
    c.socket.write(frame(18, 3, 1, { clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.0.2' }));
    expect(await c.waitUntil(() => c.frames.length === 1)).toBe(true);
    c.socket.write(frame(0, 2, 2, { acks: 1, timeoutMs: 1000, topicData: [] }));
    expect(await c.waitUntil(c.closed)).toBe(true);
    expect(c.frames).toHaveLength(1);
    expect(counted).toEqual([{ apiKey: 0, version: 2, client: { name: 'librdkafka', version: '2.0.2' } }]);
    expect(warnings.find((w) => w.msg === 'unsupported version of a Kafka API')?.obj).toMatchObject({
      api: 'Produce', apiKey: 0, apiVersion: 2, served: '3-13', clientId: 'old-tool', clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.0.2',
    });
  });

  it('Fetch v3 closes the connection; before any ApiVersions v3 the software is unknown', async () => {
    const c = await client();
    c.socket.write(frame(1, 3, 1, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1, topics: [] }));
    expect(await c.waitUntil(c.closed)).toBe(true);
    expect(counted).toEqual([{ apiKey: 1, version: 3, client: { name: 'unknown', version: 'unknown' } }]);
  });

  it('an API the gateway does not serve (AllocateProducerIds) closes the connection and is counted by its Kafka name', async () => {
    const c = await client();
    c.socket.write(frame(67, 0, 1, { brokerId: 1, brokerEpoch: 1n }));
    expect(await c.waitUntil(c.closed)).toBe(true);
    expect(counted.map((x) => [x.apiKey, x.version])).toEqual([[67, 0]]);
    expect(warnings.find((w) => w.msg === 'unsupported Kafka API')?.obj).toMatchObject({ api: 'AllocateProducerIds', served: 'none' });
  });

  it('ApiVersions above v4 is answered in v0 with UNSUPPORTED_VERSION, counted, and the connection stays open', async () => {
    const c = await client();
    const v9 = Buffer.from(frame(18, 3, 5, { clientSoftwareName: 'x', clientSoftwareVersion: '1' }));
    v9.writeInt16BE(9, 6); // api version in the header
    c.socket.write(v9);
    expect(await c.waitUntil(() => c.frames.length === 1)).toBe(true);
    const res = decodeResponse(18, 0, c.frames[0]);
    expect(res.correlationId).toBe(5);
    expect(res.body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(res.body.apiKeys.find((k: any) => k.apiKey === 0)).toEqual({ apiKey: 0, minVersion: 0, maxVersion: 13 });
    expect(counted.map((x) => [x.apiKey, x.version])).toEqual([[18, 9]]);
    expect(c.closed()).toBe(false);
  });

  it('ListOffsets v0, a version Kafka 4 dropped, is served (Burrow)', async () => {
    const c = await client();
    c.socket.write(frame(2, 0, 1, { replicaId: -1, topics: [] }));
    expect(await c.waitUntil(() => c.frames.length === 1)).toBe(true);
    expect(decodeResponse(2, 0, c.frames[0]).body).toEqual({ throttleTimeMs: 0, topics: [] }); // throttle time is v2+: the default
    expect(counted).toEqual([]);
  });
});

describe('client software labels', () => {
  it('take the ApiVersions v3 names Kafka accepts, else "unknown"', () => {
    expect(clientSoftware({ clientSoftwareName: 'apache-kafka-java', clientSoftwareVersion: '4.3.0' })).toEqual({ name: 'apache-kafka-java', version: '4.3.0' });
    expect(clientSoftware({ clientSoftwareName: 'bad name!', clientSoftwareVersion: '1' })).toEqual({ name: 'unknown', version: 'unknown' });
    expect(clientSoftware({ clientSoftwareName: '', clientSoftwareVersion: '' })).toEqual({ name: 'unknown', version: 'unknown' });
  });

  it('are bounded: past the limit new pairs count as "other"', () => {
    const labels = new SoftwareLabels(2);
    expect(labels.labels({ name: 'a', version: '1' })).toEqual({ name: 'a', version: '1' });
    expect(labels.labels({ name: 'b', version: '1' })).toEqual({ name: 'b', version: '1' });
    expect(labels.labels({ name: 'c', version: '1' })).toEqual({ name: 'other', version: 'other' });
    expect(labels.labels({ name: 'a', version: '1' })).toEqual({ name: 'a', version: '1' });
  });
});
