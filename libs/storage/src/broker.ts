import { BrokerLoadReporter } from './broker-load-reporter';
import { mkdirSync } from 'node:fs';
import type { Etcd3, IOptions } from 'etcd3';
import type { Meter, Tracer } from '@opentelemetry/api';
import { ClusterView, EtcdSession, createEtcdClient, renewOnLoss, brokerKey, brokerRegistration, type BrokerRegistration } from '@dms/cluster';
import { LiveGauges, type Logger } from '@dms/platform';
import { ReadBufferPool, TailCacheBudget, sharedActiveIndexTrailer } from '@dms/log';
import type { GroupCoordinatorConfig, ShareGroupConfig } from '@dms/groups';
import { GroupCoordinatorServiceService, storageServiceReleasingFetchRecords, TransactionCoordinatorServiceService, bindServer, createGrpcServer, serveLeanFetch, serveLeanStorageStreams, stopServer, type InternalStreamTransport } from '@dms/rpc';
import type { TransactionCoordinatorConfig } from '@dms/transactions';
import type { Server } from '@grpc/grpc-js';
import { DEFAULT_CLEANER_OPTIONS, DEFAULT_REPLICATION_OPTIONS, type CleanerOptions, type ControlledShutdownSettings, type ReplicationOptions } from './broker-config';
import { runControlledShutdown, type ControlledShutdownOutcome } from './controlled-shutdown';
import { COMPACTION_DEFAULTS } from './compaction-settings';
import { LogCleaner } from './log-cleaner';
import { ControllerClient } from './controller-client';
import { GroupCoordinatorHost } from './group-coordinator-host';
import { TransactionCoordinatorHost } from './transaction-coordinator-host';
import { ShareBrokerParts } from './share/share-broker-parts';
import { IsrUpdater } from './isr-updater';
import { LogRetention } from './log-retention';
import { DEFAULT_PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS, ProducerExpiry } from './producer-expiry';
import { ReplicaFetcherManager } from './replica-fetcher';
import { BrokerReplicationQuotas, replicationQuotaMetrics } from './replication-quotas';
import { ReplicaManager } from './replica-manager';
import { brokerMetrics, trafficCounters, type BrokerByteCounters } from './broker-metrics';
import { PartitionTraffic } from './partition-traffic';
import { ConsumerLagCollector } from './consumer-lag';
import { consumerLagMetrics } from './consumer-lag-metrics';
import { fetchPartitionEnds } from './partition-end-offsets';
import { StorageClients } from './storage-clients';
import { isDiskError, LogDirFailures, type OfflineMarks } from './log-dir-failure';
import { LogDirSet } from './log-dir-set';
import { createStorageService } from './storage-service';
import { ensureLogDirMeta, LogDirMetaError } from './log-dir-meta';
import { acknowledgeTopicDeletion } from './topic-deletions';
import { acknowledgeReplicaDeletion } from './replica-deletions';
import { ClusterIdGuard } from './cluster-id-guard';
import { brokerReadiness } from './broker-readiness';
import type { Readiness } from '@dms/platform';

export const DEFAULT_CONSUMER_LAG_INTERVAL_MS = 30_000;
/** Bound on one round's ListOffsets call to a peer: a stuck peer delays only its partitions' figures. */
const CONSUMER_LAG_RPC_TIMEOUT_MS = 5_000;

export interface BrokerOptions {
  brokerId: number;
  clusterName: string;
  etcdEndpoints: string[];
  /** TLS credentials and auth for etcd (etcdClientOptions(config)). */
  etcdOptions?: IOptions;
  /** Where the broker's metrics go (the service's Prometheus endpoint); none when absent. */
  meter?: Meter;
  /** Gauges rendered at each scrape (per partition, per group); required with `meter`. */
  liveGauges?: LiveGauges;
  leaseTtlMs: number;
  grpcHost: string;
  grpcPort: number;
  /** The first log dir (its checkpoints and metadata live there as before). */
  logDir: string;
  /** Every log dir (Kafka's log.dirs), `logDir` first; default: `logDir` alone. */
  logDirs?: string[];
  rack: string | null;
  segmentBytes: number;
  indexIntervalBytes: number;
  messageMaxBytes: number;
  /** internal.fetch.transport (default framed): consumer Fetch served by our framing with pooled frames. */
  fetchTransport?: InternalStreamTransport;
  fsync: 'never' | 'always';
  /** log.tail.cache.bytes: the newest appended bytes kept in memory over all partitions (0: off). */
  tailCacheBytes?: number;
  /** log.tail.cache.partition.bytes: the most one partition keeps (0: off). */
  tailCachePartitionBytes?: number;
  /** Static values of broker config keys (non-default), from this process's configuration. */
  staticConfigs?: Record<string, string>;
  /** Kafka's log.retention.check.interval.ms (default 300000). */
  retentionCheckIntervalMs?: number;
  /** metrics.consumer.lag.interval.ms: how often consumer group lag is recomputed (default 30000). */
  consumerLagIntervalMs?: number;
  /**
   * log.key.index.trail.budget.ms / .interval.ms: the background key indexer of active segments
   * (one per process; budget 0 turns it off). Defaults: 25 ms every 250 ms.
   */
  keyIndexTrail?: { budgetMs: number; intervalMs: number };
  /** Kafka's producer.id.expiration.check.interval.ms (default 600000). */
  producerIdExpirationCheckIntervalMs?: number;
  /** broker.load.report.interval.ms: how often replica sizes go to etcd for the self-balancer (default 30000). */
  loadReportIntervalMs?: number;
  groups?: Partial<GroupCoordinatorConfig>;
  transactions?: Partial<TransactionCoordinatorConfig>;
  /** Share groups (KIP-932): group.share.* and share.coordinator.* settings. */
  share?: Partial<ShareGroupConfig>;
  replication?: Partial<ReplicationOptions>;
  cleaner?: Partial<CleanerOptions>;
  /** Kafka's controlled.shutdown.* (default: enabled, 3 attempts, 5000 ms apart). */
  controlledShutdown?: ControlledShutdownSettings;
  /** How long start() waits for etcd to hold a cluster id (default 60000). */
  clusterIdWaitMs?: number;
  /**
   * Called when this broker must stop serving for good (etcd now holds another cluster id than
   * its log dir's meta.properties); the process should exit non-zero.
   */
  onFatal?: (err: Error) => void;
  tracer: Tracer;
  logger: Logger;
}

/**
 * A storage broker: partition replicas on local disk behind the StorageService gRPC API. It
 * leads the partitions etcd says it leads, follows (fetches from the leader) the others it is a
 * replica of, and asks the controller for ISR changes.
 */
export class Broker {
  private etcd!: Etcd3;
  private session!: EtcdSession;
  private loadReporter?: BrokerLoadReporter;
  private view!: ClusterView;
  private replicas!: ReplicaManager;
  private fetchers!: ReplicaFetcherManager;
  private quotas!: BrokerReplicationQuotas;
  private isrUpdater!: IsrUpdater;
  private controller!: ControllerClient;
  private server!: Server;
  private groups!: GroupCoordinatorHost;
  private transactions!: TransactionCoordinatorHost;
  private share: ShareBrokerParts | undefined;
  private cleaner?: LogCleaner;
  private retention!: LogRetention;
  private producerExpiry: ProducerExpiry | undefined;
  private logDirFailures!: LogDirFailures;
  private metrics: BrokerByteCounters | undefined;
  /** Client bytes in and out per partition (metrics and the load reporter's bytes-in rates). */
  private readonly traffic = new PartitionTraffic();
  private consumerLag: ConsumerLagCollector | undefined;
  private peers: StorageClients | undefined;
  /** What this broker wrote to etcd at start, before any offline marks. */
  private registration: BrokerRegistration | undefined;
  private clusterIdGuard: ClusterIdGuard | undefined;
  port = 0;
  private stopped = false;
  private started = false;

  constructor(private readonly opts: BrokerOptions) {
    if (opts.keyIndexTrail) Object.assign(sharedActiveIndexTrailer.settings, opts.keyIndexTrail);
  }

  async start(): Promise<void> {
    const { opts } = this;
    const replication = { ...DEFAULT_REPLICATION_OPTIONS, ...opts.replication };
    const dirs = new LogDirSet(opts.logDirs ?? [opts.logDir], (dir) => this.logDirFailures?.isOffline(dir) ?? false);
    // A dir that cannot even be created starts offline; the broker needs at least one.
    const unusable: Array<[string, Error]> = [];
    for (const dir of dirs.dirs) {
      try {
        mkdirSync(dir, { recursive: true });
      } catch (err) {
        if (!isDiskError(err) || dirs.dirs.length === 1) throw err;
        unusable.push([dir, err as Error]);
      }
    }
    if (unusable.length === dirs.dirs.length) throw unusable[0]![1];
    for (const dup of dirs.scan()) opts.logger.warn(dup, 'partition directory found in two log dirs: the first is served, the other left alone');
    this.etcd = createEtcdClient(opts.etcdEndpoints, { base: opts.etcdOptions });
    this.view = new ClusterView(this.etcd, opts.clusterName, opts.logger).start();
    await this.view.ready;
    // meta.properties: each dir belongs to one cluster and one node; anything else refuses to start.
    const usable = dirs.dirs.filter((d) => !unusable.some(([u]) => u === d));
    let meta!: Awaited<ReturnType<typeof ensureLogDirMeta>>;
    for (const logDir of usable) {
      meta = await ensureLogDirMeta({
        logDir,
        brokerId: opts.brokerId,
        clusterId: () => this.view.clusterId(),
        changed: (ms) => changeOf(this.view, ms),
        waitMs: opts.clusterIdWaitMs ?? 60_000,
        onWait: (m) => opts.logger.warn({ logDirClusterId: m?.clusterId }, 'etcd holds no cluster id yet; waiting before serving anything'),
      });
      opts.logger.info({ logDir, clusterId: meta.clusterId, directoryId: meta.directoryId }, 'log dir belongs to this cluster');
    }
    this.logDirFailures = new LogDirFailures({
      brokerId: opts.brokerId,
      logDirs: dirs.dirs,
      view: this.view,
      dirOf: (topic, partition) => dirs.dirOf(topic, partition),
      dropReplicasIn: (dir) => this.replicas.dropReplicasIn(dir),
      reopen: () => this.replicas.refresh(),
      publish: (marks) => this.publishRegistration(marks),
      logger: opts.logger,
    });
    this.replicas = new ReplicaManager(this.view, {
      clusterId: meta.clusterId,
      acknowledgeDeletion: (record, modRevision) => acknowledgeTopicDeletion(this.etcd, opts.clusterName, opts.brokerId, record, modRevision),
      acknowledgeReplicaDeletion: (record, modRevision) => acknowledgeReplicaDeletion(this.etcd, opts.clusterName, record, modRevision),
      brokerId: opts.brokerId,
      logDir: opts.logDir,
      logConfig: {
        segmentBytes: opts.segmentBytes,
        indexIntervalBytes: opts.indexIntervalBytes,
        fsync: opts.fsync,
        ...tailCacheConfig(opts.tailCacheBytes ?? 64 << 20, opts.tailCachePartitionBytes ?? 1 << 20),
        onStorageError: (err, dir) => this.logDirFailures.logFailed(err, dir),
        // The logs' own warnings (slow page-cache writes, failed scheduled flushes, key index) go to the broker's log.
        logger: (level, message, fields) => opts.logger[level](fields ?? {}, message),
      },
      logDirFailures: this.logDirFailures,
      logDirSet: dirs,
      minInsyncReplicas: replication.minInsyncReplicas,
      staticConfigs: opts.staticConfigs,
      hwCheckpointIntervalMs: replication.highWatermarkCheckpointIntervalMs,
      logger: opts.logger,
    });
    for (const [dir, err] of unusable) this.logDirFailures.fail(dir, err);
    this.controller = new ControllerClient(this.view);
    const gauges = opts.liveGauges ?? new LiveGauges();
    this.metrics = opts.meter
      ? brokerMetrics(opts.meter, gauges, this.replicas, () => this.groups?.coordinator, () => this.cleaner?.totals, () => this.logDirFailures.marks(), () => dirs.dirs, this.traffic)
      : trafficCounters(this.traffic);
    // ISR changes of led partitions: the controller's (dead followers dropped) arrive through etcd.
    this.replicas.on('isr-change', (shrunk: boolean) => this.metrics?.isrChanged(shrunk));
    this.isrUpdater = new IsrUpdater({
      replicas: this.replicas,
      controller: this.controller,
      brokerId: opts.brokerId,
      replicaLagTimeMaxMs: replication.replicaLagTimeMaxMs,
      logger: opts.logger,
      onIsrChange: (shrunk) => this.metrics?.isrChanged(shrunk),
    });
    this.quotas = new BrokerReplicationQuotas(this.replicas, this.view);
    this.quotas.start();
    if (opts.meter) replicationQuotaMetrics(opts.meter, this.quotas);
    this.fetchers = new ReplicaFetcherManager({
      quotas: this.quotas,
      brokerId: opts.brokerId,
      view: this.view,
      replicas: this.replicas,
      maxWaitMs: replication.replicaFetchWaitMaxMs,
      partitionMaxBytes: replication.replicaFetchMaxBytes,
      maxBytes: replication.replicaFetchResponseMaxBytes,
      transport: replication.internalStreamTransport,
      logger: opts.logger,
    });
    const clusterIdLost = (etcdClusterId: string | undefined) => {
      const err = new LogDirMetaError(
        `etcd now holds ${etcdClusterId ? `cluster id ${etcdClusterId}` : 'no cluster id'} but log dir ${opts.logDir} belongs to cluster ${meta.clusterId}; ` +
          "stopped serving every partition (data kept). Restore etcd's data.",
      );
      opts.logger.error({ err: err.message }, 'cluster id changed under a running broker');
      opts.onFatal?.(err);
    };
    this.replicas.on('cluster-id-mismatch', clusterIdLost);
    this.clusterIdGuard = new ClusterIdGuard({
      etcd: this.etcd, clusterName: opts.clusterName, expected: meta.clusterId, intervalMs: Math.max(1_000, opts.leaseTtlMs), onMismatch: clusterIdLost,
    });
    this.clusterIdGuard.start();
    await this.replicas.start();
    await this.replicas.idle();
    this.server = createGrpcServer();
    // Consumer fetch reads from disk land in pooled buffers, released once serialised.
    const readPool = new ReadBufferPool();
    const storage = createStorageService({
        readPool,
        replicas: this.replicas, tracer: opts.tracer, logger: opts.logger, messageMaxBytes: opts.messageMaxBytes, segmentBytes: opts.segmentBytes, logDir: opts.logDir, isrUpdater: this.isrUpdater,
        logDirs: dirs.dirs,
        logDirFailures: this.logDirFailures,
        replicationQuotas: this.quotas,
        metrics: this.metrics,
        // A marker on __consumer_offsets ends the producer's pending transactional offset commits.
        onTxnMarker: (m) => this.groups?.onTxnMarker(m),
      });
    this.server.addService(storageServiceReleasingFetchRecords((records) => readPool.release(records)), storage);
    this.groups = new GroupCoordinatorHost(this.view, this.replicas, {
      brokerId: opts.brokerId, selfAddress: () => `${opts.grpcHost}:${this.port}`, config: opts.groups ?? {}, tracer: opts.tracer, logger: opts.logger,
      ...(opts.share ? { share: opts.share } : {}),
    });
    this.server.addService(GroupCoordinatorServiceService, this.groups.service());
    this.share = new ShareBrokerParts(this.view, this.replicas, this.groups.coordinator, {
      brokerId: opts.brokerId, selfAddress: () => `${opts.grpcHost}:${this.port}`, config: opts.share ?? {}, tracer: opts.tracer, logger: opts.logger,
    });
    this.share.addServices(this.server);
    this.transactions = new TransactionCoordinatorHost(this.view, this.replicas, {
      brokerId: opts.brokerId, selfAddress: () => `${opts.grpcHost}:${this.port}`, controller: this.controller, config: opts.transactions ?? {},
      meter: opts.meter, tracer: opts.tracer, logger: opts.logger,
    });
    this.server.addService(TransactionCoordinatorServiceService, this.transactions.service());
    this.port = await bindServer(this.server, opts.grpcHost, this.port || opts.grpcPort);
    // The hot streams framed by us on the same port (decision 0033); grpc-js clients still work.
    if (replication.internalStreamTransport === 'framed') serveLeanStorageStreams(this.server, storage);
    // Consumer Fetch answers in pooled frames on our framing (grpc-js clients are answered the same).
    if ((opts.fetchTransport ?? 'framed') === 'framed') serveLeanFetch(this.server, storage, readPool);
    this.groups.start();
    this.transactions.start();
    this.share.start();
    if (opts.meter) this.startConsumerLag(opts.liveGauges ?? new LiveGauges());
    this.session = new EtcdSession(this.etcd, { ttlMs: opts.leaseTtlMs, log: opts.logger });
    this.session.on('lost', () => {
      // Until re-registered, appends are acknowledged only once the ISR has them (decision 0006).
      this.replicas.fencedOff = true;
    });
    this.session.on('recreated', () => {
      // A lost lease may mean a wiped etcd: check its cluster id before anything else.
      void this.clusterIdGuard?.check();
      this.replicas.fencedOff = false;
      this.replicas.refresh();
    });
    renewOnLoss(this.session, opts.logger, () => this.stopped);
    await this.session.start();
    const key = brokerKey(opts.clusterName, opts.brokerId);
    // A fresh key (new createRevision) is this process's broker epoch: the controller sees the
    // restart and re-elects what we led, so we never lead on a record from our previous life.
    await this.etcd.delete().key(key).exec();
    this.registration = {
      id: opts.brokerId, host: opts.grpcHost, port: this.port, rack: opts.rack, startTimeMs: Date.now(), configs: opts.staticConfigs ?? {},
    };
    // A dir that failed while starting is offline from the first registration on.
    const marks = this.logDirFailures.marks();
    await this.session.register(key, brokerRegistration.encode(withMarks(this.registration, marks)));
    this.logDirFailures.markPublished(marks);
    this.fetchers.start();
    this.isrUpdater.start();
    this.loadReporter = new BrokerLoadReporter({
      session: this.session, replicas: this.replicas, traffic: this.traffic, clusterName: opts.clusterName, brokerId: opts.brokerId,
      intervalMs: opts.loadReportIntervalMs ?? 30_000, logger: opts.logger,
    });
    this.loadReporter.start();
    this.retention = new LogRetention({
      replicas: this.replicas,
      checkIntervalMs: opts.retentionCheckIntervalMs ?? 300_000,
      brokerDefaults: { segmentBytes: opts.segmentBytes },
      logger: opts.logger,
    });
    this.retention.start();
    this.producerExpiry = new ProducerExpiry({
      replicas: this.replicas,
      checkIntervalMs: opts.producerIdExpirationCheckIntervalMs ?? DEFAULT_PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS,
      logger: opts.logger,
    });
    this.producerExpiry.start();
    const cleaning = { ...DEFAULT_CLEANER_OPTIONS, ...opts.cleaner };
    if (cleaning.enable) {
      this.cleaner = new LogCleaner(this.replicas, {
        logDir: opts.logDir,
        logDirSet: dirs,
        threads: cleaning.threads,
        backoffMs: cleaning.backoffMs,
        dedupeBufferSize: cleaning.dedupeBufferSize,
        ioMaxBytesPerSecond: cleaning.ioMaxBytesPerSecond,
        indexIntervalBytes: opts.indexIntervalBytes,
        defaults: { ...COMPACTION_DEFAULTS, segmentBytes: opts.segmentBytes },
        logger: opts.logger,
      });
      await this.cleaner.start();
    }
    this.started = true;
  }

  /** Whether this broker may take traffic now, and why not (health endpoint /readyz). */
  readiness(): Readiness {
    const { brokerId } = this.opts;
    const live = this.started && !this.stopped;
    return brokerReadiness({
      brokerId,
      started: live,
      registered: live && this.session.alive && this.view.broker(brokerId) !== undefined,
      partitions: live ? this.view.allPartitions() : [],
      brokerAlive: (id) => this.view.broker(id) !== undefined,
      offlineLogDirs: this.logDirFailures?.marks().offlineLogDirs ?? [],
    });
  }

  /** Rewrites this broker's registration with the offline log dirs and replicas (the controller acts on them). */
  private async publishRegistration(marks: OfflineMarks): Promise<void> {
    if (!this.registration || this.stopped) throw new Error('the broker is not registered');
    await this.session.register(brokerKey(this.opts.clusterName, this.opts.brokerId), brokerRegistration.encode(withMarks(this.registration, marks)));
  }

  /** Consumer group lag of the groups coordinated here, for the Prometheus endpoint (no meter, no collection). */
  private startConsumerLag(gauges: LiveGauges): void {
    this.peers = new StorageClients(this.view);
    const peers = this.peers;
    this.consumerLag = new ConsumerLagCollector({
      intervalMs: this.opts.consumerLagIntervalMs ?? DEFAULT_CONSUMER_LAG_INTERVAL_MS,
      logger: this.opts.logger,
      sources: {
        committedOffsets: () => this.groups?.coordinator.committedOffsets() ?? [],
        localLeader: (topic, partition) => {
          const r = this.replicas.leaderNow(topic, partition);
          return r && { ends: { logStartOffset: r.log.logStartOffset, highWatermark: r.highWatermark }, log: r.log };
        },
        remoteEnds: (partitions) => fetchPartitionEnds(this.view, peers, partitions, CONSUMER_LAG_RPC_TIMEOUT_MS, this.opts.logger),
      },
    });
    consumerLagMetrics(gauges, () => this.consumerLag?.samples() ?? []);
    this.consumerLag.start();
  }

  /** The log dir failure state (offline dirs; bringing one back online). */
  get logDirs(): LogDirFailures {
    return this.logDirFailures;
  }

  /** The log cleaner, when log.cleaner.enable is on (tests and metrics read its totals). */
  get logCleaner(): LogCleaner | undefined {
    return this.cleaner;
  }

  /**
   * Before stop() on SIGTERM: moves this broker's leaderships to other in-sync replicas through
   * the controller (Kafka's controlled shutdown). Skipped when the broker never registered.
   */
  async controlledShutdown(): Promise<ControlledShutdownOutcome> {
    if (!this.started || this.stopped || !this.registration) return 'disabled';
    return runControlledShutdown({
      brokerId: this.opts.brokerId,
      controller: this.controller,
      view: this.view,
      settings: this.opts.controlledShutdown ?? { enable: true, maxRetries: 3, retryBackoffMs: 5_000 },
      logger: this.opts.logger,
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.consumerLag?.stop();
    this.peers?.close();
    this.logDirFailures?.close();
    this.clusterIdGuard?.stop();
    this.isrUpdater?.stop();
    this.loadReporter?.stop();
    await this.cleaner?.stop().catch(() => undefined);
    await this.retention?.stop().catch(() => undefined);
    this.producerExpiry?.stop();
    await this.fetchers?.stop().catch(() => undefined);
    this.quotas?.stop();
    await this.session?.close().catch(() => undefined);
    this.groups?.close();
    this.transactions?.close();
    this.share?.close();
    if (this.server) await stopServer(this.server, 2_000);
    await this.replicas?.close();
    this.controller?.close();
    await this.view?.close();
    this.etcd?.close();
  }
}

/** The registration with the offline marks, when there are any. */
function withMarks(reg: BrokerRegistration, marks: OfflineMarks): BrokerRegistration {
  return marks.offlineLogDirs.length > 0 ? { ...reg, offlineLogDirs: marks.offlineLogDirs, offlineReplicas: marks.offlineReplicas } : reg;
}

/** Resolves on the view's next change, or after `ms`; leaves no listener behind. */
function changeOf(view: ClusterView, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      view.off('change', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    view.on('change', done);
  });
}

/** The logs' in-memory tail settings: one budget shared by every partition of this broker. */
function tailCacheConfig(brokerBytes: number, partitionBytes: number): { tailCacheBytes: number; tailCacheBudget?: TailCacheBudget } {
  if (brokerBytes <= 0 || partitionBytes <= 0) return { tailCacheBytes: 0 };
  return { tailCacheBytes: Math.min(partitionBytes, brokerBytes), tailCacheBudget: new TailCacheBudget(brokerBytes) };
}
