import { createServer, type Server, type Socket } from 'node:net';
import { KafkaConnection, type ConnectionOptions } from './kafka-connection';

/** The Kafka listener: accepts connections and hands each to a KafkaConnection. */
export class KafkaServer {
  private readonly server: Server;
  private readonly connections = new Set<KafkaConnection>();

  constructor(private readonly opts: ConnectionOptions) {
    this.server = createServer((socket: Socket) => {
      const conn = new KafkaConnection(socket, opts);
      this.connections.add(conn);
      socket.on('close', () => this.connections.delete(conn));
    });
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
