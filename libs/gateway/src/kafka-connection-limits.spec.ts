// The per-connection limits of a real KafkaConnection on a loopback socket: the small frame cap
// until a first well-formed request, the idle timer that only whole requests reset, and the
// pipelining bound in bytes.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { trace } from '@opentelemetry/api';
import { decodeResponse, encodeRequest } from '@dms/kafka-codec';
import type { RequestContext } from '@dms/kafka-handlers';
import { FrameReader } from './frame-reader';
import { KafkaConnection, type ListenerSecurity } from './kafka-connection';

const PRE_AUTH = 1024;
let server: Server;
let port: number;
let conns: KafkaConnection[] = [];
let listGroupsWaiters: (() => void)[] = [];
let settings: { listener: ListenerSecurity; maxInFlightBytes?: number } = { listener: plaintext(10_000) };

function plaintext(idleMs: number): ListenerSecurity {
  return { name: 'PLAINTEXT', protocol: 'PLAINTEXT', preAuthMaxFrameBytes: PRE_AUTH, idleMs, unauthenticatedMs: 10_000 };
}

beforeAll(async () => {
  server = createServer((socket) => {
    conns.push(new KafkaConnection(socket, {
      maxFrameBytes: 1 << 20,
      maxInFlight: 1000,
      maxInFlightBytes: settings.maxInFlightBytes,
      tracer: trace.getTracer('test'),
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      makeContext: (clientId) => ({
        clientId,
        clientHost: '/127.0.0.1',
        // ApiVersions reports the finalized features of the cluster view.
        cluster: { finalizedFeatures: () => undefined },
        // ListGroups answers only when the test lets it.
        groups: { listGroups: () => new Promise((r) => listGroupsWaiters.push(() => r({ errorCode: 0, groups: [] }))) },
      }) as unknown as RequestContext,
      listener: settings.listener,
    }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

afterEach(() => {
  for (const c of conns) c.close();
  conns = [];
  listGroupsWaiters = [];
});

async function client() {
  const socket: Socket = connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  const reader = new FrameReader(1 << 20);
  const frames: Buffer[] = [];
  let closedAt = 0;
  socket.on('data', (c) => frames.push(...reader.push(c)));
  socket.on('close', () => (closedAt = Date.now()));
  socket.on('error', () => undefined);
  const waitUntil = async (cond: () => boolean, ms: number): Promise<boolean> => {
    const deadline = Date.now() + ms;
    while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return cond();
  };
  return { socket, frames, closed: () => closedAt > 0, closedAt: () => closedAt, waitUntil };
}

const apiVersions = (correlationId: number, softwareName = 'x') =>
  encodeRequest({ requestApiKey: 18, requestApiVersion: 3, correlationId, clientId: 'c' }, { clientSoftwareName: softwareName, clientSoftwareVersion: '1' });

describe('pre-authentication frame cap on a PLAINTEXT listener', () => {
  it('closes a connection whose first frame exceeds the cap', async () => {
    const c = await client();
    c.socket.write(apiVersions(1, 'n'.repeat(2 * PRE_AUTH)));
    expect(await c.waitUntil(c.closed, 5_000)).toBe(true);
    expect(c.frames).toHaveLength(0);
  });

  it('lifts the cap after a first well-formed request', async () => {
    const c = await client();
    c.socket.write(apiVersions(1));
    expect(await c.waitUntil(() => c.frames.length === 1, 5_000)).toBe(true);
    c.socket.write(apiVersions(2, 'n'.repeat(2 * PRE_AUTH)));
    expect(await c.waitUntil(() => c.frames.length === 2, 5_000)).toBe(true);
    expect(decodeResponse(18, 3, c.frames[1])).toMatchObject({ correlationId: 2, body: { errorCode: 0 } });
    expect(c.closed()).toBe(false);
    c.socket.destroy();
  });
});

describe('idle timer', () => {
  beforeAll(() => {
    settings = { listener: plaintext(400) };
  });
  afterAll(() => {
    settings = { listener: plaintext(10_000) };
  });

  it('closes a connection trickling one byte at a time: bytes are not requests', async () => {
    const c = await client();
    const frame = apiVersions(1, 'n'.repeat(200));
    let i = 0;
    const started = Date.now();
    const trickle = setInterval(() => {
      if (i < frame.length && !c.closed()) c.socket.write(frame.subarray(i, ++i));
    }, 40);
    try {
      // A socket timeout reset by every byte would keep this open for frame.length * 40 ms (> 8 s).
      expect(await c.waitUntil(c.closed, 5_000)).toBe(true);
      expect(c.closedAt() - started).toBeLessThan(3_000);
      expect(c.frames).toHaveLength(0);
    } finally {
      clearInterval(trickle);
    }
  });

  it('keeps a connection that sends whole requests more often than the idle time', async () => {
    const c = await client();
    for (let n = 1; n <= 8; n++) {
      c.socket.write(apiVersions(n));
      await new Promise((r) => setTimeout(r, 150));
    }
    expect(c.closed()).toBe(false);
    expect(await c.waitUntil(() => c.frames.length === 8, 5_000)).toBe(true);
    // Silence then closes it.
    expect(await c.waitUntil(c.closed, 5_000)).toBe(true);
  });
});

describe('pipelining bound in bytes', () => {
  beforeAll(() => {
    settings = { listener: plaintext(30_000), maxInFlightBytes: 4096 };
  });
  afterAll(() => {
    settings = { listener: plaintext(10_000) };
  });

  it('stops reading while the requests awaiting answers hold max in-flight bytes, then answers all in order', async () => {
    const c = await client();
    c.socket.write(apiVersions(0));
    expect(await c.waitUntil(() => c.frames.length === 1, 5_000)).toBe(true);
    const clientId = 'k'.repeat(500);
    const requests = Array.from({ length: 20 }, (_, i) => encodeRequest({ requestApiKey: 16, requestApiVersion: 0, correlationId: 100 + i, clientId }, {}));
    const wire = Buffer.concat(requests);
    const size = requests[0].length - 4;
    const admitted = Math.ceil(4096 / size);
    c.socket.write(wire);
    const conn = conns.at(-1)!;
    expect(await c.waitUntil(() => conn.inFlight.paused, 5_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    // Each request is ~510 bytes: reading stops at the first that reaches 4096 bytes in flight.
    expect(admitted).toBeLessThan(10);
    expect(conn.inFlight.requests).toBe(admitted);
    expect(conn.inFlight.bytes).toBe(admitted * size);
    expect(listGroupsWaiters).toHaveLength(admitted);
    // Answer as they come: reading resumes and every request is answered, in order.
    const release = setInterval(() => listGroupsWaiters.splice(0).forEach((w) => w()), 10);
    try {
      expect(await c.waitUntil(() => c.frames.length === 21, 10_000)).toBe(true);
    } finally {
      clearInterval(release);
    }
    expect(c.frames.slice(1).map((f) => decodeResponse(16, 0, f).correlationId)).toEqual(Array.from({ length: 20 }, (_, i) => 100 + i));
    expect(conn.inFlight).toEqual({ requests: 0, bytes: 0, paused: false });
    c.socket.destroy();
  });
});
