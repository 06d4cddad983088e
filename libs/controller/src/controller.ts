import { EventEmitter } from 'node:events';
import type { Server } from '@grpc/grpc-js';
import type { Meter, Tracer } from '@opentelemetry/api';
import type { Etcd3, IOptions } from 'etcd3';
import {
  brokerConfigsPrefix,
  ClusterView,
  clusterIdKey,
  clusterIdRecord,
  controllerKey,
  controllerLeader,
  controllerLeaderKey,
  controllerRegistration,
  createEtcdClient,
  EtcdSession,
  errMessage,
  fencedTxn,
  LeaderElection,
  NotLeaderError,
  parseBrokerConfigKey,
  silentLog,
  type Log,
} from '@dms/cluster';
import { bindServer, ControllerServiceService, createGrpcServer, stopServer, traced } from '@dms/rpc';
import { readinessOf, type Readiness } from '@dms/platform';
import { newClusterId } from './cluster-id';
import type { OffsetsTopicSettings, TransactionStateTopicSettings } from './internal-topics';
import { alterPartition } from './alter-partition';
import { ConfigManager } from './config-manager';
import type { GroupConfigBounds } from '@dms/configs';
import { FeatureManager } from './feature-manager';
import { controllerMetrics } from './controller-metrics';
import { createControllerService } from './controller-service';
import { controlledShutdown, ShuttingDownBrokers } from './controlled-shutdown';
import { setBrokerCordon } from './cordon';
import { AutoBalancer, type AutoBalanceSettings } from './balance/auto-balancer';
import { autoBalanceMetrics } from './balance/balance-metrics';
import { decommissionBroker } from './balance/decommission';
import { ConfigMoveThrottle } from './balance/move-throttle';
import { allTargets, electLeaders, type ElectionTarget } from './elect-leaders';
import { LeaderRebalancer } from './leader-rebalancer';
import { PartitionReconciler } from './partition-reconciler';
import { ProducerIdManager } from './producer-id-manager';
import { reassignPartitions } from './reassign-partitions';
import { SecurityManager } from './security-manager';
import { TopicManager } from './topic-manager';
import type { PartitionLimits } from './partition-limits';

/** Defaults of the auto.balance.* keys (config.ts documents each). */
export const DEFAULT_AUTO_BALANCE: AutoBalanceSettings = {
  enable: true,
  intervalMs: 30_000,
  thresholds: { replicaPercent: 10, leaderPercent: 10, diskPercent: 10, networkInPercent: 10 },
  maxConcurrentMoves: 10,
  availabilityTimeoutMs: 900_000,
  throttleBytesPerSecond: 10_485_760,
};

export interface ControllerOptions {
  id: number;
  clusterName: string;
  /** host:port list. */
  etcdEndpoints: readonly string[];
  /** TLS credentials and auth for etcd (etcdClientOptions(config)). */
  etcdOptions?: IOptions;
  leaseTtlMs: number;
  grpcHost: string;
  /** 0 = ephemeral. */
  grpcPort: number;
  numPartitions: number;
  defaultReplicationFactor: number;
  /** max.partitions.per.topic and max.partitions (defaults 10,000 and 200,000). */
  partitionLimits?: PartitionLimits;
  offsetsTopic?: OffsetsTopicSettings;
  transactionStateTopic?: TransactionStateTopicSettings;
  /** Kafka's unclean.leader.election.enable (default false); a topic config overrides it. */
  uncleanLeaderElection?: boolean;
  /** Kafka's auto.leader.rebalance.enable (default true) and its two tuning keys. */
  autoLeaderRebalance?: { enable: boolean; intervalMs: number; imbalancePercentage: number };
  /**
   * The self-balancer's auto.balance.* keys over DEFAULT_AUTO_BALANCE. The process always passes
   * them (the config key defaults to on); a Controller built without them (specs that write
   * brokers and partitions by hand) balances nothing, but still decommissions.
   */
  autoBalance?: Partial<AutoBalanceSettings>;
  /** Static values of broker config keys (non-default) from this process's config, for DescribeConfigs. */
  staticConfigs?: Record<string, string>;
  /** The broker-level bounds of GROUP configs (group.consumer.min/max.*, group.share.min/max.*). */
  groupBounds?: GroupConfigBounds;
  log?: Log;
  tracer?: Tracer;
  /** Where the controller's metrics go (the service's Prometheus endpoint); none when absent. */
  meter?: Meter;
}

/**
 * One controller instance: an etcd session with its registration, a campaign for
 * controller/leader, a metadata cache and the ControllerService. Only the leader writes, and
 * only through fenced transactions. Events: 'elected' (revision), 'lost-leadership' (reason).
 */
export class Controller extends EventEmitter {
  readonly client: Etcd3;
  readonly session: EtcdSession;
  readonly view: ClusterView;
  readonly election: LeaderElection;
  readonly topicManager: TopicManager;
  readonly reconciler: PartitionReconciler;
  readonly securityManager: SecurityManager;
  readonly configManager: ConfigManager;
  readonly featureManager: FeatureManager;
  readonly producerIds: ProducerIdManager;
  readonly rebalancer: LeaderRebalancer | undefined;
  /** The self-balancer (runs its rounds only while this controller leads). */
  readonly balancer: AutoBalancer;
  /** Brokers in controlled shutdown (kept off ISRs and preferred elections until they re-register). */
  readonly shuttingDown: ShuttingDownBrokers;
  private server?: Server;
  private port = 0;
  private stopped = false;
  private started = false;
  private readonly log: Log;
  private readonly startTimeMs = Date.now();

  constructor(readonly opts: ControllerOptions) {
    super();
    this.log = opts.log ?? silentLog;
    this.client = createEtcdClient(opts.etcdEndpoints, { base: opts.etcdOptions });
    this.session = new EtcdSession(this.client, { ttlMs: opts.leaseTtlMs, log: this.log });
    this.view = new ClusterView(this.client, opts.clusterName, this.log);
    this.shuttingDown = new ShuttingDownBrokers(this.view);
    this.election = new LeaderElection(this.client, this.session, {
      key: controllerLeaderKey(opts.clusterName),
      value: (epoch) => controllerLeader.encode({ id: opts.id, host: opts.grpcHost, port: this.port, epoch }),
      retryIntervalMs: Math.max(200, Math.floor(opts.leaseTtlMs / 6)),
      log: this.log,
    });
    if (opts.meter) controllerMetrics(opts.meter, this.view, () => this.election.isLeader);
    this.topicManager = new TopicManager({
      client: this.client,
      clusterName: opts.clusterName,
      fence: () => this.election.revision,
      leaderCounts: () => {
        const counts = new Map<number, number>();
        for (const { state } of this.view.allPartitions()) counts.set(state.leader, (counts.get(state.leader) ?? 0) + 1);
        return counts;
      },
      numPartitions: opts.numPartitions,
      defaultReplicationFactor: opts.defaultReplicationFactor,
      partitionLimits: opts.partitionLimits,
      clusterPartitionCount: () => this.view.allPartitions().length,
      offsetsTopic: opts.offsetsTopic,
      transactionStateTopic: opts.transactionStateTopic,
      log: this.log,
    });
    this.reconciler = new PartitionReconciler({
      client: this.client,
      view: this.view,
      clusterName: opts.clusterName,
      fence: () => this.election.revision,
      uncleanLeaderElection: opts.uncleanLeaderElection ?? false,
      log: this.log,
    });
    const rebalance = opts.autoLeaderRebalance ?? { enable: true, intervalMs: 300_000, imbalancePercentage: 10 };
    this.rebalancer = rebalance.enable
      ? new LeaderRebalancer({
          view: this.view,
          intervalMs: rebalance.intervalMs,
          imbalancePercentage: rebalance.imbalancePercentage,
          isLeader: () => this.election.isLeader,
          elect: (targets) => this.electLeaders('preferred', targets),
          log: this.log,
        })
      : undefined;
    const balance = { ...DEFAULT_AUTO_BALANCE, ...(opts.autoBalance ?? { enable: false }) };
    this.balancer = new AutoBalancer({
      client: this.client,
      view: this.view,
      clusterName: opts.clusterName,
      controllerId: opts.id,
      fence: () => this.election.revision,
      settings: balance,
      dynamic: () => this.view.brokerConfigs(null),
      throttle: new ConfigMoveThrottle({
        bytesPerSecond: () => this.balancer.settings().throttleBytesPerSecond,
        view: this.view,
        configuredBrokers: async () => {
          const keys = await this.client.getAll().prefix(brokerConfigsPrefix(opts.clusterName)).keys();
          return keys.map((k) => parseBrokerConfigKey(opts.clusterName, k)).filter((id): id is number => typeof id === 'number');
        },
        alterConfigs: (resources) => this.configManager.alterConfigs(resources, false),
        log: this.log,
      }),
      reassign: (requests) =>
        reassignPartitions({ client: this.client, view: this.view, clusterName: this.opts.clusterName, fence: () => this.election.revision, log: this.log }, requests),
      elect: (targets) => this.electLeaders('preferred', targets),
      log: this.log,
    });
    if (opts.meter) autoBalanceMetrics(opts.meter, this.balancer, () => this.election.isLeader);
    this.configManager = new ConfigManager({ client: this.client, clusterName: opts.clusterName, fence: () => this.election.revision, log: this.log, groupBounds: opts.groupBounds });
    this.featureManager = new FeatureManager({ client: this.client, clusterName: opts.clusterName, fence: () => this.election.revision, log: this.log });
    this.producerIds = new ProducerIdManager({ client: this.client, clusterName: opts.clusterName, fence: () => this.election.revision, log: this.log });
    this.securityManager = new SecurityManager({ client: this.client, clusterName: opts.clusterName, fence: () => this.election.revision });
    this.election.on('elected', (rev: string) => {
      this.emit('elected', rev);
      // A new leader first checks every partition: brokers may have died while nobody led.
      this.reconciler.trigger();
      void this.ensureClusterId(rev);
      void this.balancer.round();
    });
    this.election.on('lost-leadership', (reason: string) => this.emit('lost-leadership', reason));
    this.session.on('lost', () => void this.renewSession());
  }

  get id(): number {
    return this.opts.id;
  }

  get grpcPort(): number {
    return this.port;
  }

  get isLeader(): boolean {
    return this.election.isLeader;
  }

  /** The fencing token while leader. */
  get fencingToken(): string | undefined {
    return this.election.revision;
  }

  /** Runs requested elections (ElectLeaders, the auto rebalancer) as fenced writes. */
  electLeaders(type: 'preferred' | 'unclean', targets: readonly ElectionTarget[]) {
    return electLeaders(
      { client: this.client, view: this.view, clusterName: this.opts.clusterName, fence: () => this.election.revision, excluded: (id) => this.shuttingDown.has(id), log: this.log },
      type,
      targets,
    );
  }

  /** Serves gRPC, registers in etcd, fills the metadata cache and starts campaigning. */
  async start(): Promise<void> {
    const impl = createControllerService({
      isLeader: () => this.election.isLeader,
      topicManager: this.topicManager,
      securityManager: this.securityManager,
      configManager: this.configManager,
      featureManager: this.featureManager,
      clusterId: () => this.view.clusterId(),
      leaderId: () => this.view.controllerLeader()?.id,
      alterPartition: (brokerId, item) =>
        alterPartition(
          { client: this.client, view: this.view, clusterName: this.opts.clusterName, fence: () => this.election.revision, excluded: (id) => this.shuttingDown.has(id), log: this.log },
          brokerId,
          item,
        ),
      electLeaders: (type, targets) => this.electLeaders(type, targets ?? allTargets(this.view)),
      allocateProducerIds: (requesterId) => this.producerIds.allocate(requesterId),
      reassignPartitions: (requests) =>
        reassignPartitions({ client: this.client, view: this.view, clusterName: this.opts.clusterName, fence: () => this.election.revision, log: this.log }, requests),
      controlledShutdown: (brokerId) =>
        controlledShutdown(
          { client: this.client, view: this.view, clusterName: this.opts.clusterName, fence: () => this.election.revision, shuttingDown: this.shuttingDown, log: this.log },
          brokerId,
        ),
      setBrokerCordon: (brokerId, cordoned) =>
        setBrokerCordon({ client: this.client, clusterName: this.opts.clusterName, fence: () => this.election.revision, log: this.log }, brokerId, cordoned),
      decommissionBroker: async (brokerId, cancel) => {
        const res = await decommissionBroker({ client: this.client, view: this.view, clusterName: this.opts.clusterName, fence: () => this.election.revision, log: this.log }, brokerId, cancel);
        if (res.errorCode === 0) void this.balancer.round();
        return res;
      },
    });
    this.server = createGrpcServer();
    this.server.addService(ControllerServiceService, this.opts.tracer ? traced(impl, this.opts.tracer) : impl);
    this.port = await bindServer(this.server, this.opts.grpcHost, this.opts.grpcPort);
    await this.session.start();
    await this.session.register(controllerKey(this.opts.clusterName, this.opts.id), this.registration());
    this.view.start();
    await this.view.ready;
    this.reconciler.start();
    this.rebalancer?.start();
    this.balancer.start();
    this.election.start();
    this.started = true;
  }

  /** Whether this controller is connected to etcd and serving (health endpoint /readyz). */
  readiness(): Readiness {
    const live = this.started && !this.stopped;
    return readinessOf([
      [live, this.stopped ? 'stopping' : 'starting: registering in etcd and loading the cluster view'],
      [!live || this.session.alive, 'etcd session lost: re-connecting to etcd'],
    ]);
  }

  /** Resigns (a standby takes over at once), stops serving and revokes the lease. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.reconciler.stop();
    this.rebalancer?.stop();
    this.balancer.stop();
    await this.election.stop().catch(() => undefined);
    if (this.server) await stopServer(this.server, 2000);
    await this.view.close().catch(() => undefined);
    await this.session.close().catch(() => undefined);
    this.client.close();
  }

  private registration(): string {
    return controllerRegistration.encode({
      id: this.opts.id,
      host: this.opts.grpcHost,
      port: this.port,
      startTimeMs: this.startTimeMs,
      configs: this.opts.staticConfigs ?? {},
    });
  }

  /** A lost session is replaced by a new lease (re-registering); the election resumes by itself. */
  private async renewSession(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await this.session.recreate();
        this.log.info({ leaseId: this.session.leaseId }, 'etcd session re-created');
        return;
      } catch (e) {
        this.log.warn({ err: errMessage(e), attempt }, 'could not re-create etcd session; retrying');
        await new Promise((r) => setTimeout(r, Math.min(2000, 200 * (attempt + 1))));
      }
    }
  }

  /** The first leader creates cluster/id; later leaders find it there. */
  private async ensureClusterId(revision: string): Promise<void> {
    const key = clusterIdKey(this.opts.clusterName);
    for (let attempt = 0; attempt < 10 && !this.stopped && this.election.revision === revision; attempt++) {
      try {
        const clusterId = newClusterId();
        const res = await fencedTxn(this.client, controllerLeaderKey(this.opts.clusterName), revision)
          .and(key, 'Create', '==', 0)
          .then(this.client.put(key).value(clusterIdRecord.encode({ clusterId })))
          .commit();
        if (res.succeeded) this.log.info({ clusterId }, 'created cluster id');
        return;
      } catch (e) {
        if (e instanceof NotLeaderError) return;
        this.log.warn({ err: errMessage(e) }, 'could not ensure cluster id; retrying');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
}
