// Listener limits and cheap-DoS defences against a real gateway and controller: the pre-auth
// frame cap on a PLAINTEXT listener, max.connections / max.connections.per.ip, the per-address
// failed-login back-off on a SASL_SSL listener, and an absurd CreateTopics answered at once.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { freePort, generateCerts, type CertFiles } from '@dms/devcluster';
import { buildRecordBatch, decodeResponse, encodeRequest } from '@dms/kafka-codec';
import { ErrorCode, KafkaClient } from '@dms/kafka-client';
import { cleanup, startTestCluster, type TestCluster } from '@dms/testing';

jest.setTimeout(240_000);

const MAX_CONNECTIONS = 40;
const ADMIN_PW = 'admin-secret';
let tc: TestCluster;
let certs: CertFiles;
let port: number;
let saslPort: number;
let client: KafkaClient;
let metricsPort: number;
let certDir: string | undefined;

/** The sum of a Prometheus metric's samples whose labels include `labels`. */
async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

beforeAll(async () => {
  metricsPort = await freePort();
  certDir = mkdtempSync(join(tmpdir(), 'dms-limits-'));
  certs = generateCerts(join(certDir, 'certs'), ['admin']);
  tc = await startTestCluster({
    gatewayListeners: ['SASL_SSL'],
    scramUsers: [{ name: 'admin', password: ADMIN_PW, mechanism: 'SCRAM-SHA-512' }],
    config: {
      gateway: {
        'metrics.port': metricsPort,
        'ssl.key.location': certs.serverKey,
        'ssl.certificate.location': certs.serverCert,
        'max.connections': MAX_CONNECTIONS,
        'max.connections.per.ip.overrides': '127.0.0.3:2',
        'connection.failed.authentication.delay.ms': 100,
        'connection.failed.authentication.delay.max.ms': 3000,
        'connections.max.unauthenticated.ms': 30000,
      },
    },
  });
  port = Number(tc.bootstrap.split(':')[1]);
  saslPort = tc.cluster.service('gateway', 1).ports.saslSslPort;
  client = new KafkaClient({ bootstrapServers: tc.bootstrap, retries: 0 });
  await client.createTopics([{ name: 'steady', numPartitions: 1 }]);
});

afterAll(async () => {
  client?.close();
  await cleanup();
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

interface Probe {
  socket: Socket;
  closed: Promise<number>;
  isClosed(): boolean;
}

/** A raw connection; `closed` resolves with the ms from connect to the server closing it. */
function probe(localAddress = '127.0.0.1'): Promise<Probe> {
  return new Promise((resolve, reject) => {
    let done = false;
    const socket = connect({ host: '127.0.0.1', port, localAddress }, () => {
      const at = Date.now();
      const closed = new Promise<number>((r) => socket.once('close', () => { done = true; r(Date.now() - at); }));
      resolve({ socket, closed, isClosed: () => done });
    });
    socket.on('error', () => undefined);
    socket.once('error', reject);
  });
}

const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms).unref())]);

async function stillWorks(c: KafkaClient): Promise<void> {
  // produce rejects on any error code
  await c.produce('steady', 0, await buildRecordBatch({ records: [{ value: 'ok' }] }));
}

/** A frame head: size, api key, api version (what the gateway decides a large first frame on). */
function frameHead(size: number, apiKey: number, version: number): Buffer {
  const head = Buffer.alloc(8);
  head.writeInt32BE(size);
  head.writeInt16BE(apiKey, 4);
  head.writeInt16BE(version, 6);
  return head;
}

it('closes a PLAINTEXT connection whose first frame announces more than the pre-auth cap, having read only its head', async () => {
  // Over sasl.server.max.receive.size (512 KiB), far under socket.request.max.bytes: junk (an api
  // key nobody serves) and an ApiVersions (never that large) are refused on their first 8 bytes.
  for (const [apiKey, version] of [[0x7fff, 0], [18, 3]]) {
    const p = await probe();
    p.socket.write(frameHead(600 * 1024, apiKey, version));
    expect(await within(p.closed, 10_000, `oversized pre-auth frame (api key ${apiKey}) closed`)).toBeLessThan(10_000);
  }
  // The same size is fine once the connection has sent one well-formed request (the client's ApiVersions).
  await stillWorks(client);
  const big = await buildRecordBatch({ records: [{ value: Buffer.alloc(600 * 1024, 7) }] });
  await client.produce('steady', 0, big);
});

it('answers a large Produce sent as the first request of a PLAINTEXT connection (clients that skip ApiVersions)', async () => {
  const batch = await buildRecordBatch({ records: [{ value: Buffer.alloc(600 * 1024, 9) }] });
  const req = encodeRequest({ requestApiKey: 0, requestApiVersion: 7, correlationId: 42, clientId: 'no-api-versions' }, {
    transactionalId: null,
    acks: 1,
    timeoutMs: 30_000,
    topicData: [{ name: 'steady', partitionData: [{ index: 0, records: batch }] }],
  });
  expect(req.length).toBeGreaterThan(600 * 1024);
  const p = await probe();
  let got = Buffer.alloc(0);
  const answered = new Promise<Buffer>((resolve) => p.socket.on('data', (c) => {
    got = Buffer.concat([got, c]);
    if (got.length >= 4 && got.length >= 4 + got.readInt32BE(0)) resolve(got.subarray(4, 4 + got.readInt32BE(0)));
  }));
  p.socket.write(req);
  const res = decodeResponse(0, 7, await within(answered, 30_000, 'produce answered')) as { correlationId: number; body: { responses: { partitionResponses: { errorCode: number }[] }[] } };
  expect(res.correlationId).toBe(42);
  expect(res.body.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
  expect(p.isClosed()).toBe(false);
  p.socket.destroy();
});

it('closes connections beyond max.connections at once while an existing client keeps working', async () => {
  const probes: Probe[] = [];
  try {
    for (let i = 0; i < MAX_CONNECTIONS + 10; i++) probes.push(await probe());
    // Refused connections are closed at accept; give them a generous moment to be seen.
    const deadline = Date.now() + 10_000;
    while (probes.filter((p) => p.isClosed()).length < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const open = probes.filter((p) => !p.isClosed()).length;
    expect(open).toBeLessThanOrEqual(MAX_CONNECTIONS);
    expect(probes.length - open).toBeGreaterThanOrEqual(10);
    await stillWorks(client);
    expect(await metric('kafka_server_connections_refused_total', { reason: 'max.connections' })).toBeGreaterThanOrEqual(probes.length - open);
  } finally {
    for (const p of probes) p.socket.destroy();
  }
  // Slots come back: a new client connects once the probes are gone.
  const fresh = new KafkaClient({ bootstrapServers: tc.bootstrap, retries: 0 });
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        await fresh.metadata();
        break;
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } finally {
    fresh.close();
  }
});

it('applies max.connections.per.ip.overrides to one client address only', async () => {
  const probes = [await probe('127.0.0.3'), await probe('127.0.0.3'), await probe('127.0.0.3'), await probe('127.0.0.3')];
  try {
    const closedMs = await within(Promise.all([probes[2].closed, probes[3].closed]), 10_000, 'third and fourth connection from 127.0.0.3 closed');
    expect(Math.max(...closedMs)).toBeLessThan(10_000);
    expect(probes[0].isClosed() || probes[1].isClosed()).toBe(false);
    const other = await probe('127.0.0.4');
    expect(other.isClosed()).toBe(false);
    other.socket.destroy();
  } finally {
    for (const p of probes) p.socket.destroy();
  }
});

function saslClient(password: string, localAddress: string): KafkaClient {
  return new KafkaClient({
    bootstrapServers: `127.0.0.1:${saslPort}`,
    tls: { ca: readFileSync(certs.ca), localAddress } as TlsConnectionOptions,
    sasl: { mechanism: 'PLAIN', username: 'admin', password },
    retries: 0,
    requestTimeoutMs: 60_000,
  });
}

async function login(password: string, localAddress: string): Promise<{ ok: boolean; ms: number }> {
  const c = saslClient(password, localAddress);
  const started = Date.now();
  try {
    await c.metadata();
    return { ok: true, ms: Date.now() - started };
  } catch {
    return { ok: false, ms: Date.now() - started };
  } finally {
    c.close();
  }
}

it('slows a burst of bad logins from one address while a good client elsewhere still logs in quickly', async () => {
  const burst = await Promise.all(Array.from({ length: 10 }, () => login('wrong', '127.0.0.2')));
  expect(burst.every((r) => !r.ok)).toBe(true);
  expect(await metric('kafka_server_failed_authentications_total', { mechanism: 'PLAIN' })).toBeGreaterThanOrEqual(10);
  // Ten failures doubled the address's delay to the 3000 ms cap: the next guess waits its turn
  // and its answer is held as long (with a fixed delay it would take about 100 ms).
  const [next, good] = await Promise.all([login('wrong', '127.0.0.2'), login(ADMIN_PW, '127.0.0.1')]);
  expect(next.ok).toBe(false);
  expect(next.ms).toBeGreaterThanOrEqual(2900);
  expect(good.ok).toBe(true);
  expect(good.ms).toBeLessThan(next.ms);
  expect(good.ms).toBeLessThan(2500);
});

it('answers a CreateTopics or CreatePartitions with an absurd partition count at once, and the controller keeps working', async () => {
  let started = Date.now();
  const [huge] = await client.createTopics([{ name: 'huge', numPartitions: 100_000_000 }]);
  const createMs = Date.now() - started;
  expect(huge.errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
  expect(huge.errorMessage).toMatch(/max\.partitions\.per\.topic/);
  expect(createMs).toBeLessThan(5_000);
  started = Date.now();
  const [grow] = await client.createPartitions([{ name: 'steady', count: 100_000_000 }]);
  expect(grow.errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
  expect(Date.now() - started).toBeLessThan(5_000);
  const [ok] = await client.createTopics([{ name: 'after-huge', numPartitions: 3 }]);
  expect(ok.errorCode).toBe(ErrorCode.NONE);
  expect(await client.partitionCount('after-huge')).toBe(3);
  expect(tc.unexpectedExits).toEqual([]);
});
