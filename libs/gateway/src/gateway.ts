import type { Etcd3, IOptions } from 'etcd3';
import type { Meter, Tracer } from '@opentelemetry/api';
import { ClusterView, EtcdSession, createEtcdClient, gatewayKey, gatewayRegistration, renewOnLoss } from '@dms/cluster';
import type { TlsOptions } from 'node:tls';
import type { RequestContext } from '@dms/kafka-handlers';
import { MetricNames, readinessOf, type LiveGauges, type Logger, type Readiness } from '@dms/platform';
import { DEFAULT_INTERNAL_STREAM_TRANSPORT, ReadBufferPool, type InternalStreamTransport } from '@dms/rpc';
import { ClientMetricsManager } from './client-telemetry/client-metrics-manager';
import { BrokerClients } from './broker-clients';
import { releaseFetchAnswers } from './fetch-leases';
import { GatewayClusterPort } from './cluster-port';
import { GatewayControllerPort } from './controller-port';
import { GatewayGroupPort } from './group-port';
import { GatewaySharePort } from './share-port';
import { gatewayRequestMetrics } from './request-metrics';
import type { ListenerConfig } from './gateway-config';
import { KafkaServer } from './kafka-server';
import { ConnectionQuota } from './connection-quota';
import { GatewaySecurityPort } from './security-port';
import { loadScramSecret } from './scram-secret';
import { unknownUserSaltFrom } from '@dms/security';
import { withClientAuth } from './tls-options';
import { GatewayStoragePort } from './storage-port';
import { GatewayTransactionPort } from './transaction-port';

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
  /** Every listener (when given, instead of the single listenHost/listenPort listener). */
  listeners?: ListenerConfig[];
  security?: GatewaySecurityOptions;
  /** etcd client options (TLS, credentials); default plaintext to etcdEndpoints. */
  etcdOptions?: IOptions;
  rack: string | null;
  maxFrameBytes: number;
  maxInFlight: number;
  /** max.in.flight.request.bytes.per.connection; default unbounded. */
  maxInFlightBytes?: number;
  /** max.connections, max.connections.per.ip and its overrides; default unlimited. */
  connectionLimits?: { maxConnections: number; maxConnectionsPerIp: number; perIpOverrides: ReadonlyMap<string, number> };
  autoCreateTopicsEnable: boolean;
  messageMaxBytes: number;
  /** Coalesce produce requests per storage broker per event-loop turn (produce.coalesce.enable; default true). */
  produceCoalesce?: boolean;
  /** internal.stream.transport: how ProduceBatch and Fetch reach the brokers (decisions 0033, 0042; default framed). */
  internalStreamTransport?: InternalStreamTransport;
  /** Static values of broker config keys (non-default) from this process's config, for DescribeConfigs. */
  staticConfigs?: Record<string, string>;
  tracer: Tracer;
  meter: Meter;
  logger: Logger;
  /** Where pushed client metrics are rendered (the process's /metrics); absent: pushes are taken and not exported. */
  liveGauges?: LiveGauges;
  /** KIP-714 limits: telemetry.max.bytes and the series kept for /metrics. */
  clientTelemetry?: { maxBytes: number; maxSeriesPerClient: number; maxSeries: number };
}

/**
 * A stateless protocol gateway: a Kafka listener, a watch of cluster metadata in etcd, and
 * streams to the storage brokers. Registers itself once it accepts connections.
 */
export interface GatewaySecurityOptions {
  /** Server TLS material for SSL/SASL_SSL listeners. */
  tls?: TlsOptions;
  clientAuth: 'none' | 'requested' | 'required';
  enabledMechanisms: string[];
  authorizerEnabled: boolean;
  superUsers: string[];
  allowEveryoneIfNoAclFound: boolean;
  failedAuthenticationDelayMs: number;
  /** Cap of the growing per-address failed-login delay (connection.failed.authentication.delay.max.ms). */
  failedAuthenticationDelayMaxMs?: number;
  preAuthMaxFrameBytes: number;
  idleMs: number;
  unauthenticatedMs: number;
}

const NO_SECURITY: GatewaySecurityOptions = {
  clientAuth: 'none', enabledMechanisms: ['SCRAM-SHA-256', 'SCRAM-SHA-512', 'PLAIN'], authorizerEnabled: false, superUsers: [],
  allowEveryoneIfNoAclFound: false, failedAuthenticationDelayMs: 100, preAuthMaxFrameBytes: 524288, idleMs: 600_000, unauthenticatedMs: 10_000,
};

export class Gateway {
  private etcd!: Etcd3;
  private session!: EtcdSession;
  private view!: ClusterView;
  private brokers!: BrokerClients;
  private controller!: GatewayControllerPort;
  private groups!: GatewayGroupPort;
  private transactions!: GatewayTransactionPort;
  private share: GatewaySharePort | undefined;
  private servers: KafkaServer[] = [];
  private stopped = false;
  private started = false;
  private security!: GatewaySecurityPort;
  /** KIP-714 client telemetry: subscriptions served and pushed metrics kept. */
  telemetry!: ClientMetricsManager;
  /** Port of the first listener. */
  port = 0;
  /** Bound port per listener name. */
  readonly ports: Record<string, number> = {};

  constructor(private readonly opts: GatewayOptions) {}

  async start(): Promise<void> {
    const { opts } = this;
    this.etcd = createEtcdClient(opts.etcdEndpoints, { base: opts.etcdOptions });
    this.view = new ClusterView(this.etcd, opts.clusterName, opts.logger).start();
    await this.view.ready;
    const streamTransport = opts.internalStreamTransport ?? DEFAULT_INTERNAL_STREAM_TRANSPORT;
    // Framed Fetch answers gathered from several http2 chunks land in leased buffers, reused once
    // the Kafka response holding views of them is written (decision 0042).
    const fetchBuffers = streamTransport === 'framed' ? new ReadBufferPool() : undefined;
    this.brokers = new BrokerClients(this.view, {}, { coalesceProduce: opts.produceCoalesce ?? true, streamTransport, fetchBuffers });
    this.controller = new GatewayControllerPort(this.view);
    const sec = opts.security ?? NO_SECURITY;
    const failedLogins = opts.meter.createCounter(MetricNames.failedAuthentications, { description: 'Refused client logins' });
    this.security = new GatewaySecurityPort(this.etcd, this.controller, {
      clusterName: opts.clusterName,
      enabledMechanisms: sec.enabledMechanisms,
      authorizerEnabled: sec.authorizerEnabled,
      superUsers: sec.superUsers,
      allowEveryoneIfNoAclFound: sec.allowEveryoneIfNoAclFound,
      failedAuthenticationDelayMs: sec.failedAuthenticationDelayMs,
      failedAuthenticationDelayMaxMs: sec.failedAuthenticationDelayMaxMs,
      unknownUserSalt: unknownUserSaltFrom(await loadScramSecret(this.etcd, opts.clusterName)),
      onFailedAuthentication: (mechanism) => failedLogins.add(1, { mechanism }),
      logger: opts.logger,
    });
    await this.security.ready;
    const security = this.security;
    const cluster = new GatewayClusterPort(this.view, opts.nodeId, {
      autoCreateTopicsEnable: opts.autoCreateTopicsEnable,
      messageMaxBytes: opts.messageMaxBytes,
    }, opts.staticConfigs ?? {});
    const storage = new GatewayStoragePort(cluster, this.brokers);
    const groups = (this.groups = new GatewayGroupPort(this.view, cluster, this.controller, opts.logger));
    const transactions = (this.transactions = new GatewayTransactionPort(this.view, cluster, this.controller, opts.nodeId));
    const share = (this.share = new GatewaySharePort(this.view, cluster, this.controller, opts.logger));
    const metrics = gatewayRequestMetrics(opts.meter);
    const telemetry = (this.telemetry = new ClientMetricsManager({
      maxBytes: opts.clientTelemetry?.maxBytes ?? 1_048_576,
      maxSeriesPerClient: opts.clientTelemetry?.maxSeriesPerClient ?? 2_000,
      maxSeries: opts.clientTelemetry?.maxSeries ?? 100_000,
      subscriptions: () => this.view.clientMetricsConfigs(),
      meter: opts.meter,
    }));
    opts.liveGauges?.addTextSource(() => telemetry.render());
    const listeners: ListenerConfig[] = opts.listeners ?? [{
      name: opts.listenerName, protocol: 'PLAINTEXT', host: opts.listenHost, port: opts.listenPort,
      advertisedHost: opts.advertisedHost, advertisedPort: opts.advertisedPort ?? 0,
    }];
    const advertised: Record<string, string> = {};
    const limits = opts.connectionLimits ?? { maxConnections: Infinity, maxConnectionsPerIp: Infinity, perIpOverrides: new Map() };
    const quota = new ConnectionQuota(limits);
    const refused = opts.meter.createCounter(MetricNames.connectionsRefused, { description: 'Client connections closed at accept by max.connections or max.connections.per.ip' });
    // Response bytes per listener, read at collection (a synchronous counter's add hashes its attributes per answer).
    const byListener: { listener: string; server: KafkaServer; bytesOut: { n: number } }[] = [];
    opts.meter.createObservableCounter(MetricNames.outgoingBytes, { description: 'Response bytes written to clients', unit: 'By' })
      .addCallback((r) => { for (const x of byListener) if (x.bytesOut.n > 0) r.observe(x.bytesOut.n, { listener: x.listener }); });
    opts.meter.createObservableGauge(MetricNames.connectionCount, { description: 'Client connections open' })
      .addCallback((r) => { for (const x of byListener) r.observe(x.server.connectionCount, { listener: x.listener }); });
    opts.meter.createObservableCounter(MetricNames.connectionCreation, { description: 'Client connections accepted' })
      .addCallback((r) => { for (const x of byListener) r.observe(x.server.accepted, { listener: x.listener }); });
    for (const l of listeners) {
      const bytesOut = { n: 0 };
      let tls: TlsOptions | undefined;
      if (l.protocol === 'SSL' || l.protocol === 'SASL_SSL') {
        if (!sec.tls) throw new Error(`listener ${l.name} (${l.protocol}) needs ssl.key.location/ssl.certificate.location or a keystore`);
        tls = l.protocol === 'SSL' ? withClientAuth(sec.tls, sec.clientAuth) : sec.tls;
      }
      const server = new KafkaServer({
        maxFrameBytes: opts.maxFrameBytes,
        maxInFlight: opts.maxInFlight,
        maxInFlightBytes: opts.maxInFlightBytes,
        tracer: opts.tracer,
        logger: opts.logger,
        listener: { name: l.name, protocol: l.protocol, preAuthMaxFrameBytes: sec.preAuthMaxFrameBytes, idleMs: sec.idleMs, unauthenticatedMs: sec.unauthenticatedMs },
        makeContext: (clientId, session): RequestContext => ({
          // Kafka reports member hosts as "/address" (InetAddress.toString of an unresolved peer).
          clientId, clientHost: `/${session.host}`, cluster, controller: this.controller, storage, groups, transactions, share, security, session, telemetry,
        }),
        onRequest: metrics.onRequest,
        onResponse: metrics.onResponse,
        onBytesOut: (bytes) => { bytesOut.n += bytes; },
        onUnsupported: metrics.onUnsupported,
        onWritten: fetchBuffers ? releaseFetchAnswers(fetchBuffers) : undefined,
      }, tls, { quota, onRefused: (reason) => refused.add(1, { listener: l.name, reason }) });
      this.servers.push(server);
      byListener.push({ listener: l.name, server, bytesOut });
      const bound = await server.listen(l.host, l.port);
      this.ports[l.name] = bound;
      advertised[l.name] = `${l.advertisedHost}:${l.advertisedPort || bound}`;
    }
    const first = listeners[0];
    this.port = this.ports[first.name];
    this.session = new EtcdSession(this.etcd, { ttlMs: opts.leaseTtlMs, log: opts.logger });
    renewOnLoss(this.session, opts.logger, () => this.stopped);
    const registration = {
      id: opts.nodeId,
      host: first.advertisedHost,
      port: first.advertisedPort || this.port,
      rack: opts.rack,
      listeners: advertised,
      startTimeMs: Date.now(),
    };
    cluster.setSelf(registration);
    await this.session.start();
    await this.session.register(gatewayKey(opts.clusterName, opts.nodeId), gatewayRegistration.encode(registration));
    this.started = true;
  }

  /** Whether clients may be sent here (health endpoint /readyz): the cluster view loaded and every listener bound. */
  readiness(): Readiness {
    const live = this.started && !this.stopped;
    return readinessOf([
      [live, this.stopped ? 'stopping' : 'starting: loading the cluster view and binding listeners'],
      [!live || this.servers.length === (this.opts.listeners?.length ?? 1), 'not every listener is bound'],
      [!live || this.view.clusterId() !== undefined, 'the cluster view holds no cluster id yet'],
      [!live || this.session.alive, 'etcd session lost: the cluster view may be stale'],
    ]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.servers.map((s) => s.close()));
    await this.security?.close().catch(() => undefined);
    await this.session?.close().catch(() => undefined);
    this.brokers?.close();
    this.transactions?.close();
    this.share?.close();
    this.controller?.close();
    await this.view?.close();
    this.etcd?.close();
  }
}
