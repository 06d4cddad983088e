// The legacy SASL framing a SaslHandshake v0 selects (kafka-python 2.0 always uses it), through a
// real KafkaConnection on a loopback socket: bare size-prefixed tokens both ways, then requests.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { trace } from '@opentelemetry/api';
import { decodeResponse, encodeRequest } from '@dms/kafka-codec';
import type { ConnectionSession, RequestContext, SecurityPort } from '@dms/kafka-handlers';
import { createCredential, createSaslServer, ScramClient, type ScramCredential } from '@dms/security';
import { FrameReader } from './frame-reader';
import { KafkaConnection } from './kafka-connection';

const creds = new Map<string, ScramCredential>([['alice', createCredential('SCRAM-SHA-512', 'secret')]]);
const failures: string[] = [];
const security = {
  enabledMechanisms: () => ['SCRAM-SHA-512', 'PLAIN'],
  saslExchange: (m: string) => createSaslServer(m, (u) => creds.get(u)),
  attemptDelayMs: () => 0,
  authenticationSucceeded: () => undefined,
  authenticationFailed: (_s: ConnectionSession, m: string, reason: string) => (failures.push(`${m}: ${reason}`), 10),
} as unknown as SecurityPort;

let server: Server;
let port: number;
const sessions: ConnectionSession[] = [];

beforeAll(async () => {
  server = createServer((socket) => {
    const conn = new KafkaConnection(socket, {
      maxFrameBytes: 1 << 20,
      maxInFlight: 16,
      tracer: trace.getTracer('test'),
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      makeContext: (clientId, session) => ({ clientId, clientHost: '127.0.0.1', security, session }) as unknown as RequestContext,
      listener: { name: 'SASL_SSL', protocol: 'SASL_SSL', preAuthMaxFrameBytes: 4096, idleMs: 10_000, unauthenticatedMs: 10_000 },
    });
    sessions.push(conn.session);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** A client socket that reads whole frames, or learns that the server closed. */
async function client() {
  const socket: Socket = connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  const reader = new FrameReader(1 << 20);
  const frames: Buffer[] = [];
  let closed = false;
  const waiters: (() => void)[] = [];
  const wake = () => waiters.splice(0).forEach((w) => w());
  socket.on('data', (c) => { frames.push(...reader.push(c)); wake(); });
  socket.on('close', () => { closed = true; wake(); });
  const next = async (): Promise<Buffer | 'closed'> => {
    const deadline = Date.now() + 5_000;
    while (frames.length === 0 && !closed && Date.now() < deadline) await new Promise<void>((r) => { waiters.push(r); setTimeout(r, 100); });
    return frames.shift() ?? 'closed';
  };
  const raw = (token: Buffer) => {
    const head = Buffer.alloc(4);
    head.writeInt32BE(token.length);
    socket.write(Buffer.concat([head, token]));
  };
  return { socket, next, raw };
}

const handshakeV0 = (mechanism: string) =>
  encodeRequest({ requestApiKey: 17, requestApiVersion: 0, correlationId: 1, clientId: 'kafka-python' }, { mechanism });

describe('SaslHandshake v0 and bare SASL tokens', () => {
  it('logs in with SCRAM-SHA-512 over bare tokens, then serves requests', async () => {
    const c = await client();
    c.socket.write(handshakeV0('SCRAM-SHA-512'));
    const hs = await c.next();
    expect(decodeResponse(17, 0, hs as Buffer).body).toMatchObject({ errorCode: 0 });
    const scram = new ScramClient('SCRAM-SHA-512', 'alice', 'secret');
    c.raw(scram.first());
    const serverFirst = await c.next();
    expect(serverFirst).toBeInstanceOf(Buffer);
    c.raw(scram.final(serverFirst as Buffer));
    const serverFinal = await c.next();
    expect(() => scram.verify(serverFinal as Buffer)).not.toThrow();
    expect(sessions.at(-1)).toMatchObject({ authenticated: true, principal: 'User:alice', rawSaslTokens: false });
    // Back to Kafka requests: ApiVersions is answered.
    c.socket.write(encodeRequest({ requestApiKey: 18, requestApiVersion: 0, correlationId: 2, clientId: 'kafka-python' }, {}));
    const av = await c.next();
    expect(decodeResponse(18, 0, av as Buffer)).toMatchObject({ correlationId: 2, body: { errorCode: 0 } });
    c.socket.destroy();
  });

  it('answers PLAIN\'s last step with an empty token', async () => {
    const c = await client();
    c.socket.write(handshakeV0('PLAIN'));
    await c.next();
    c.raw(Buffer.from('\0alice\0secret'));
    expect(await c.next()).toEqual(Buffer.alloc(0));
    expect(sessions.at(-1)).toMatchObject({ authenticated: true, principal: 'User:alice' });
    c.socket.destroy();
  });

  it('closes the connection without an answer on a wrong password, and logs the refusal', async () => {
    const c = await client();
    c.socket.write(handshakeV0('SCRAM-SHA-512'));
    await c.next();
    const scram = new ScramClient('SCRAM-SHA-512', 'alice', 'wrong');
    c.raw(scram.first());
    const serverFirst = await c.next();
    c.raw(scram.final(serverFirst as Buffer));
    expect(await c.next()).toBe('closed');
    expect(failures.at(-1)).toMatch(/^SCRAM-SHA-512: /);
    expect(sessions.at(-1)).toMatchObject({ authenticated: false });
  });
});
