import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import { KafkaConnection, type ConnectionOptions } from './kafka-connection';
import type { ConnectionQuota, QuotaRefusal } from './connection-quota';

export interface ServerLimits {
  /** Shared by every listener of the gateway (max.connections counts them all). */
  quota: ConnectionQuota;
  /** A connection was closed at accept because of `reason`. */
  onRefused?(reason: QuotaRefusal, host: string): void;
}

/** One Kafka listener: accepts (TLS) connections and hands each to a KafkaConnection. */
export class KafkaServer {
  private readonly server: Server;
  private readonly connections = new Set<KafkaConnection>();
  /** Connections accepted since start (Kafka's connection-creation-total). */
  accepted = 0;

  constructor(private readonly opts: ConnectionOptions, tls?: TlsOptions, limits?: ServerLimits) {
    const accept = (socket: Socket) => {
      if (socket.destroyed) return; // refused by the connection quota
      const conn = new KafkaConnection(socket, opts);
      this.accepted++;
      this.connections.add(conn);
      socket.on('close', () => this.connections.delete(conn));
    };
    if (tls) {
      const server = createTlsServer({ ...tls, handshakeTimeout: 10_000 }, accept);
      // A failed handshake (no or bad client certificate, plaintext on a TLS port) hurts nobody else.
      server.on('tlsClientError', (err, socket) => {
        if (!socket.destroyed) {
          opts.logger.warn({ err: err.message, remote: `${socket.remoteAddress}:${socket.remotePort}`, listener: opts.listener?.name }, 'TLS handshake failed');
        }
        socket.destroy();
      });
      this.server = server;
    } else {
      this.server = createServer(accept);
    }
    if (limits) {
      // Runs before the TLS layer or the connection sees the socket: a refused client costs
      // neither a handshake nor a read.
      this.server.prependListener('connection', (socket: Socket) => {
        const host = socket.remoteAddress ?? '';
        const refused = limits.quota.tryAcquire(host);
        if (refused) {
          limits.onRefused?.(refused, host);
          socket.destroy();
          return;
        }
        socket.once('close', () => limits.quota.release(host));
      });
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
