import type { Etcd3 } from 'etcd3';
import type { Meter, Tracer } from '@opentelemetry/api';
import { ClusterView, EtcdSession, createEtcdClient, renewOnLoss, gatewayKey, gatewayRegistration } from '@dms/cluster';
import type { RequestContext } from '@dms/kafka-handlers';
import type { Logger } from '@dms/platform';
import { BrokerClients } from './broker-clients';
import { GatewayClusterPort } from './cluster-port';
import { GatewayControllerPort } from './controller-port';
import { GatewayGroupPort } from './group-port';
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
  private view!: ClusterView;
  private brokers!: BrokerClients;
  private controller!: GatewayControllerPort;
  private groups!: GatewayGroupPort;
  private server!: KafkaServer;
  port = 0;
  private stopped = false;

  constructor(private readonly opts: GatewayOptions) {}

  async start(): Promise<void> {
    const { opts } = this;
    this.etcd = createEtcdClient(opts.etcdEndpoints);
    this.view = new ClusterView(this.etcd, opts.clusterName, opts.logger).start();
    await this.view.ready;
    this.brokers = new BrokerClients(this.view);
    this.controller = new GatewayControllerPort(this.view);
    const cluster = new GatewayClusterPort(this.view, opts.nodeId, {
      autoCreateTopicsEnable: opts.autoCreateTopicsEnable,
      messageMaxBytes: opts.messageMaxBytes,
    });
    const storage = new GatewayStoragePort(cluster, this.brokers);
    const groups = (this.groups = new GatewayGroupPort(this.view, cluster, this.controller));
    const requests = opts.meter.createCounter('kafka.server.requests', { description: 'Kafka requests received' });
    const requestBytes = opts.meter.createCounter('kafka.server.request.bytes', { description: 'Kafka request bytes received', unit: 'By' });
    this.server = new KafkaServer({
      maxFrameBytes: opts.maxFrameBytes,
      maxInFlight: opts.maxInFlight,
      tracer: opts.tracer,
      logger: opts.logger,
      makeContext: (clientId, clientHost): RequestContext => ({ clientId, clientHost, cluster, controller: this.controller, storage, groups }),
      onRequest: (apiKey, version, bytes) => {
        requests.add(1, { api_key: apiKey, api_version: version });
        requestBytes.add(bytes, { api_key: apiKey });
      },
    });
    this.port = await this.server.listen(opts.listenHost, opts.listenPort);
    this.session = new EtcdSession(this.etcd, { ttlMs: opts.leaseTtlMs, log: opts.logger });
    renewOnLoss(this.session, opts.logger, () => this.stopped);
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

  async stop(): Promise<void> {
    this.stopped = true;
    await this.server?.close();
    await this.session?.close().catch(() => undefined);
    this.brokers?.close();
    this.controller?.close();
    this.groups?.close();
    await this.view?.close();
    this.etcd?.close();
  }
}
