import { Etcd3 } from 'etcd3';
import type { Meter, Tracer } from '@opentelemetry/api';
import { ClusterView, EtcdSession, gatewayKey, gatewayRegistration } from '@dms/cluster';
import type { RequestContext } from '@dms/kafka-handlers';
import type { Logger } from '@dms/platform';
import { BrokerClients } from './broker-clients';
import { GatewayClusterPort } from './cluster-port';
import { GatewayControllerPort } from './controller-port';
import { KafkaServer } from './kafka-server';
import { GatewayStoragePort } from './storage-port';

export interface GatewayOptions {
  nodeId: number;
  clusterName: string;
  etcdEndpoints: string[];
  leaseTtlMs: number;
  listenHost: string;
  listenPort: number;
  advertisedHost: string;
  advertisedPort?: number;
  listenerName: string;
  rack: string | null;
  maxFrameBytes: number;
  maxInFlight: number;
  autoCreateTopicsEnable: boolean;
  messageMaxBytes: number;
  tracer: Tracer;
  meter: Meter;
  logger: Logger;
}

/**
 * A stateless protocol gateway: a Kafka listener, a watch of cluster metadata in etcd, and
 * streams to the storage brokers. Registers itself once it accepts connections.
 */
export class Gateway {
  private etcd!: Etcd3;
  private session!: EtcdSession;
  private stopping = false;
  private view!: ClusterView;
  private brokers!: BrokerClients;
  private controller!: GatewayControllerPort;
  private server!: KafkaServer;
  port = 0;

  constructor(private readonly opts: GatewayOptions) {}

  async start(): Promise<void> {
    const { opts } = this;
    this.etcd = new Etcd3({ hosts: opts.etcdEndpoints.map((e) => (e.includes('://') ? e : `http://${e}`)) });
    this.view = new ClusterView(this.etcd, opts.clusterName, opts.logger).start();
    await this.view.ready;
    this.brokers = new BrokerClients(this.view);
    this.controller = new GatewayControllerPort(this.view);
    const cluster = new GatewayClusterPort(this.view, opts.nodeId, {
      autoCreateTopicsEnable: opts.autoCreateTopicsEnable,
      messageMaxBytes: opts.messageMaxBytes,
    });
    const storage = new GatewayStoragePort(cluster, this.brokers);
    const requests = opts.meter.createCounter('kafka.server.requests', { description: 'Kafka requests received' });
    const requestBytes = opts.meter.createCounter('kafka.server.request.bytes', { description: 'Kafka request bytes received', unit: 'By' });
    this.server = new KafkaServer({
      maxFrameBytes: opts.maxFrameBytes,
      maxInFlight: opts.maxInFlight,
      tracer: opts.tracer,
      logger: opts.logger,
      makeContext: (clientId): RequestContext => ({ clientId, clientHost: '', cluster, controller: this.controller, storage }),
      onRequest: (apiKey, version, bytes) => {
        requests.add(1, { api_key: apiKey, api_version: version });
        requestBytes.add(bytes, { api_key: apiKey });
      },
    });
    this.port = await this.server.listen(opts.listenHost, opts.listenPort);
    this.session = new EtcdSession(this.etcd, { ttlMs: opts.leaseTtlMs, log: opts.logger });
    this.session.on('lost', (reason: string) => {
      opts.logger.warn({ reason }, 'etcd session lost; re-registering');
      void this.reRegister();
    });
    await this.session.start();
    const advertisedPort = opts.advertisedPort || this.port;
    await this.session.register(
      gatewayKey(opts.clusterName, opts.nodeId),
      gatewayRegistration.encode({
        id: opts.nodeId,
        host: opts.advertisedHost,
        port: advertisedPort,
        rack: opts.rack,
        listeners: { [opts.listenerName]: `${opts.advertisedHost}:${advertisedPort}` },
        startTimeMs: Date.now(),
      }),
    );
  }

  /** etcd may be down for a while: keep trying until the session is back (or we stop). */
  private async reRegister(): Promise<void> {
    for (let attempt = 0; !this.stopping && this.session.state !== 'alive' && this.session.state !== 'closed'; attempt++) {
      try {
        await this.session.recreate();
        return;
      } catch (err) {
        this.opts.logger.warn({ err: (err as Error).message, attempt }, 'could not re-register gateway; retrying');
        await new Promise((r) => setTimeout(r, Math.min(2000, 200 * (attempt + 1))));
      }
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.server?.close();
    await this.session?.close().catch(() => undefined);
    this.brokers?.close();
    this.controller?.close();
    await this.view?.close();
    this.etcd?.close();
  }
}
