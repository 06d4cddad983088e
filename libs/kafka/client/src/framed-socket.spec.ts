import * as net from 'node:net';
import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { FrameReader } from './frame-reader';
import { FramedSocket } from './framed-socket';

/** Request frames here are [size][correlationId][payload]; the fake echoes per its script. */
type Script = (socket: net.Socket, correlationId: number, payload: Buffer) => void;

function respond(socket: net.Socket, correlationId: number, payload: Buffer): Buffer {
  const out = Buffer.alloc(8 + payload.length);
  out.writeInt32BE(4 + payload.length, 0);
  out.writeInt32BE(correlationId, 4);
  payload.copy(out, 8);
  return out;
}

function request(correlationId: number, payload: Buffer): Buffer {
  return respond(null as unknown as net.Socket, correlationId, payload);
}

async function startServer(script: Script): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const reader = new FrameReader(1 << 24);
    socket.on('data', (chunk) => {
      for (const f of reader.push(chunk)) script(socket, f.readInt32BE(0), f.subarray(4));
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

const opts = { maxResponseBytes: 1 << 20, requestTimeoutMs: 2000, connectTimeoutMs: 2000 };

describe('FramedSocket', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => { await close?.(); close = undefined; });

  it('pipelines many requests and matches responses delivered in odd-sized chunks', async () => {
    let held: Buffer[] = [];
    const srv = await startServer((socket, id, payload) => {
      held.push(respond(socket, id, Buffer.concat([Buffer.from('re:'), payload])));
      if (held.length === 50) {
        // coalesce 50 responses and dribble them out in 7-byte pieces
        const all = Buffer.concat(held);
        held = [];
        for (let i = 0; i < all.length; i += 7) socket.write(all.subarray(i, i + 7));
      }
    });
    close = srv.close;
    const conn = await FramedSocket.connect('127.0.0.1', srv.port, opts);
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => conn.send(i, request(i, Buffer.from(`m${i}`)), true)),
    );
    expect(conn.inFlight).toBe(0);
    results.forEach((frame, i) => {
      expect(frame!.readInt32BE(0)).toBe(i);
      expect(frame!.subarray(4).toString()).toBe(`re:m${i}`);
    });
    conn.close();
  });

  it('does not wait for a response when none is expected', async () => {
    const seen: number[] = [];
    const srv = await startServer((socket, id, payload) => {
      seen.push(id);
      if (id !== 1) socket.write(respond(socket, id, payload));
    });
    close = srv.close;
    const conn = await FramedSocket.connect('127.0.0.1', srv.port, opts);
    const a = conn.send(0, request(0, Buffer.from('x')), true);
    await expect(conn.send(1, request(1, Buffer.from('y')), false)).resolves.toBeNull();
    const c = conn.send(2, request(2, Buffer.from('z')), true);
    expect((await a)!.readInt32BE(0)).toBe(0);
    expect((await c)!.readInt32BE(0)).toBe(2);
    expect(seen).toEqual([0, 1, 2]);
    conn.close();
  });

  it('closes the connection when a response arrives out of order', async () => {
    const srv = await startServer((socket, id, payload) => socket.write(respond(socket, id + 100, payload)));
    close = srv.close;
    const conn = await FramedSocket.connect('127.0.0.1', srv.port, opts);
    const a = conn.send(5, request(5, Buffer.alloc(1)), true);
    const b = conn.send(6, request(6, Buffer.alloc(1)), true);
    await expect(a).rejects.toMatchObject({ code: ErrorCode.NETWORK_EXCEPTION });
    await expect(b).rejects.toBeInstanceOf(KafkaError);
    expect(conn.closed).toBe(true);
    await expect(conn.send(7, request(7, Buffer.alloc(1)), true)).rejects.toBeInstanceOf(KafkaError);
  });

  it('refuses a response larger than the bound', async () => {
    const srv = await startServer((socket, id) => socket.write(respond(socket, id, Buffer.alloc(2000))));
    close = srv.close;
    const conn = await FramedSocket.connect('127.0.0.1', srv.port, { ...opts, maxResponseBytes: 1000 });
    await expect(conn.send(1, request(1, Buffer.alloc(1)), true)).rejects.toThrow(/exceeds the limit/);
  });

  it('times a silent request out and fails the rest of the connection', async () => {
    const srv = await startServer(() => undefined);
    close = srv.close;
    const conn = await FramedSocket.connect('127.0.0.1', srv.port, opts);
    const started = Date.now();
    const a = conn.send(1, request(1, Buffer.alloc(1)), true, 150);
    const b = conn.send(2, request(2, Buffer.alloc(1)), true, 10_000);
    await expect(a).rejects.toMatchObject({ code: ErrorCode.REQUEST_TIMED_OUT });
    await expect(b).rejects.toMatchObject({ code: ErrorCode.NETWORK_EXCEPTION });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('fails outstanding requests when the peer closes', async () => {
    const srv = await startServer((socket) => socket.destroy());
    close = srv.close;
    const conn = await FramedSocket.connect('127.0.0.1', srv.port, opts);
    await expect(conn.send(1, request(1, Buffer.alloc(1)), true)).rejects.toMatchObject({ code: ErrorCode.NETWORK_EXCEPTION });
  });

  it('reports a refused connection as a KafkaError', async () => {
    const srv = await startServer(() => undefined);
    const port = srv.port;
    await srv.close();
    await expect(FramedSocket.connect('127.0.0.1', port, opts)).rejects.toMatchObject({ code: ErrorCode.NETWORK_EXCEPTION });
  });
});
