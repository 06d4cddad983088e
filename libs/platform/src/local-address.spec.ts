import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { connect as http2Connect, createServer as http2Server } from 'node:http2';
import { bindOutgoingConnections } from './local-address';

/** A server on 127.0.0.3 that reports the source address of each connection it accepts. */
function listen(): Promise<{ server: Server; port: number; sources: string[] }> {
  const sources: string[] = [];
  const server = createServer((s) => {
    sources.push(s.remoteAddress ?? '');
    s.end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.3', () => resolve({ server, port: (server.address() as AddressInfo).port, sources })));
}

function connectOnce(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.3', port }, () => {
      resolve(s.localAddress ?? '');
      s.destroy();
    });
    s.on('error', reject);
  });
}

describe('bindOutgoingConnections', () => {
  it('makes loopback client sockets leave from the given address, and stops when removed', async () => {
    const { server, port } = await listen();
    try {
      expect(await connectOnce(port)).toBe('127.0.0.1');
      const unbind = bindOutgoingConnections('127.0.0.2');
      try {
        expect(await connectOnce(port)).toBe('127.0.0.2');
      } finally {
        unbind();
      }
      expect(await connectOnce(port)).toBe('127.0.0.1');
    } finally {
      server.close();
    }
  });

  it('covers http2 sessions (the transport grpc-js uses)', async () => {
    const sources: string[] = [];
    const server = http2Server();
    server.on('stream', (stream) => {
      sources.push(stream.session?.socket.remoteAddress ?? '');
      stream.respond({ ':status': 200 });
      stream.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.3', () => r()));
    const unbind = bindOutgoingConnections('127.0.0.4');
    try {
      const session = http2Connect(`http://127.0.0.3:${(server.address() as AddressInfo).port}`);
      await new Promise<void>((resolve, reject) => {
        const req = session.request({ ':path': '/' });
        req.on('response', () => undefined);
        req.on('end', () => resolve());
        req.on('error', reject);
        req.resume();
        req.end();
      });
      session.close();
      expect(sources).toEqual(['127.0.0.4']);
    } finally {
      unbind();
      server.close();
    }
  });

  it('leaves non-loopback destinations and explicit local addresses alone, and refuses a non-loopback address', async () => {
    const { server, port } = await listen();
    const unbind = bindOutgoingConnections('127.0.0.2');
    try {
      const local = await new Promise<string>((resolve, reject) => {
        const s = connect({ host: '127.0.0.3', port, localAddress: '127.0.0.5' }, () => {
          resolve(s.localAddress ?? '');
          s.destroy();
        });
        s.on('error', reject);
      });
      expect(local).toBe('127.0.0.5');
    } finally {
      unbind();
      server.close();
    }
    expect(() => bindOutgoingConnections('10.0.0.1')).toThrow(/IPv4 loopback/);
    expect(bindOutgoingConnections('')).toBeInstanceOf(Function);
  });
});
