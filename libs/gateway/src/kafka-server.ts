import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import { KafkaConnection, type ConnectionOptions } from './kafka-connection';

/** One Kafka listener: accepts (TLS) connections and hands each to a KafkaConnection. */
export class KafkaServer {
  private readonly server: Server;
  private readonly connections = new Set<KafkaConnection>();

  constructor(private readonly opts: ConnectionOptions, tls?: TlsOptions) {
    const accept = (socket: Socket) => {
      const conn = new KafkaConnection(socket, opts);
      this.connections.add(conn);
      socket.on('close', () => this.connections.delete(conn));
    };
    if (tls) {
      const server = createTlsServer({ ...tls, handshakeTimeout: 10_000 }, accept);
      // A failed handshake (no or bad client certificate, plaintext on a TLS port) hurts nobody else.
      server.on('tlsClientError', (err, socket) => {
        opts.logger.warn({ err: err.message, remote: `${socket.remoteAddress}:${socket.remotePort}`, listener: opts.listener?.name }, 'TLS handshake failed');
        socket.destroy();
      });
      this.server = server;
    } else {
      this.server = createServer(accept);
    }
    this.server.on('error', (err) => opts.logger.error({ err }, 'kafka listener error'));
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port, backlog: 1024 }, () => {
        this.server.off('error', reject);
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  close(): Promise<void> {
    for (const c of this.connections) c.close();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
