/**
 * Every metric DMS exports, named once. Names follow Kafka's JMX metrics (kafka.server
 * RequestMetrics, BrokerTopicMetrics, ReplicaManager, KafkaController, Log) as the community
 * exporters render them, and kafka_exporter's consumer group names, in OpenTelemetry's dotted
 * form; the Prometheus endpoint turns dots into underscores and adds `_total` to counters
 * (kafka.server.requests -> kafka_server_requests_total) and `_bucket`/`_sum`/`_count` to
 * histograms. `docs/metrics.md` lists them; a test keeps it, the dashboards and the alert rules
 * in step with this table.
 */
export type MetricKind = 'counter' | 'gauge' | 'histogram';

export interface MetricSpec {
  readonly name: string;
  readonly kind: MetricKind;
  /** Which process exports it. */
  readonly service: 'gateway' | 'broker' | 'controller' | 'console' | 'all';
  readonly labels: readonly string[];
}

const m = (name: string, kind: MetricKind, service: MetricSpec['service'], labels: readonly string[] = []): MetricSpec => ({ name, kind, service, labels });

export const MetricCatalogue = {
  // ---- gateway: the Kafka edge (Kafka's RequestMetrics, SocketServer) ----
  /** Kafka requests received (Kafka's RequestsPerSec). */
  requests: m('kafka.server.requests', 'counter', 'gateway', ['request', 'api_key', 'api_version']),
  /** Kafka request bytes received. */
  requestBytes: m('kafka.server.request.bytes', 'counter', 'gateway', ['request']),
  /** Time from a decoded request to its answer being ready (Kafka's TotalTimeMs), ms; percentiles by histogram_quantile. */
  requestLatency: m('kafka.server.request.latency', 'histogram', 'gateway', ['request']),
  /** Requests whose handler failed (the connection is closed). */
  requestErrors: m('kafka.server.request.errors', 'counter', 'gateway', ['request']),
  /**
   * Requests for an API or version the gateway does not serve (Kafka closes the connection, or
   * answers ApiVersions in v0): which tool needs what, by the software name and version the
   * client gave in ApiVersions v3+ ("unknown" before that). Kafka has no such metric.
   */
  unsupportedRequests: m('kafka.server.requests.unsupported', 'counter', 'gateway', ['request', 'api_key', 'api_version', 'client_software_name', 'client_software_version']),
  /** Client connections closed at accept (max.connections, max.connections.per.ip). */
  connectionsRefused: m('kafka.server.connections.refused', 'counter', 'gateway', ['listener', 'reason']),
  /** Client connections open now, per listener (Kafka's socket-server-metrics connection-count). */
  connectionCount: m('kafka.server.socket.server.metrics.connection.count', 'gauge', 'gateway', ['listener']),
  /** Client connections accepted, per listener (Kafka's connection-creation-total). */
  connectionCreation: m('kafka.server.socket.server.metrics.connection.creation', 'counter', 'gateway', ['listener']),
  /** Response bytes written to clients, per listener (Kafka's outgoing-byte-total). */
  outgoingBytes: m('kafka.server.socket.server.metrics.outgoing.byte', 'counter', 'gateway', ['listener']),
  /** Failed client logins. */
  failedAuthentications: m('kafka.server.failed.authentications', 'counter', 'gateway', ['mechanism']),

  // ---- gateway: client telemetry (KIP-714, Kafka's ClientMetrics group) ----
  /** Client instances this gateway knows (Kafka's client-metrics instance-count). */
  clientMetricsInstanceCount: m('kafka.server.client.metrics.instance.count', 'gauge', 'gateway'),
  /** Telemetry pushes taken and exported (Kafka's client-metrics plugin-export-count). */
  clientMetricsPluginExport: m('kafka.server.client.metrics.plugin.export', 'counter', 'gateway'),
  /** Telemetry pushes refused or undecodable, by Kafka error code (Kafka's client-metrics plugin-error-count). */
  clientMetricsPluginError: m('kafka.server.client.metrics.plugin.error', 'counter', 'gateway', ['error']),
  /** Pushes naming a subscription that is no longer the client's (Kafka's unknown-subscription-request-count). */
  clientMetricsUnknownSubscription: m('kafka.server.client.metrics.unknown.subscription.request', 'counter', 'gateway'),
  /** Telemetry requests that came before the push interval (Kafka's client-metrics throttle-count). */
  clientMetricsThrottle: m('kafka.server.client.metrics.throttle', 'counter', 'gateway'),
  /** Pushed series dropped by client.telemetry.max.series(.per.client) (DMS). */
  clientMetricsSeriesDropped: m('kafka.server.client.metrics.series.dropped', 'counter', 'gateway'),

  // ---- every process: the event loop is the network thread and the request handler ----
  /** Event-loop delay percentiles since the previous scrape, ms (Kafka's RequestQueueTimeMs equivalent). */
  eventLoopDelay: m('kafka.network.event.loop.delay', 'gauge', 'all', ['quantile']),
  /** Share of time the event loop was idle over the last 1–2 s, 0..1 (Kafka's NetworkProcessorAvgIdlePercent). */
  networkProcessorIdle: m('kafka.network.processor.avg.idle.percent', 'gauge', 'all'),

  // ---- broker: topics and partitions (BrokerTopicMetrics, Log) ----
  /** Record batch bytes appended for clients (Kafka's BytesInPerSec). */
  bytesIn: m('kafka.server.bytes.in', 'counter', 'broker', ['topic', 'partition']),
  /** Record batch bytes returned to consumers (Kafka's BytesOutPerSec). */
  bytesOut: m('kafka.server.bytes.out', 'counter', 'broker', ['topic', 'partition']),
  /** Records appended for clients (Kafka's MessagesInPerSec). */
  messagesIn: m('kafka.server.messages.in', 'counter', 'broker', ['topic', 'partition']),
  /** Bytes of a replica's log on this broker, leader or follower (Kafka's Log Size). */
  logSize: m('kafka.log.log.size', 'gauge', 'broker', ['topic', 'partition']),
  /** A replica's log start offset (Kafka's Log LogStartOffset). */
  logStartOffset: m('kafka.log.log.start.offset', 'gauge', 'broker', ['topic', 'partition']),
  /** A replica's log end offset (Kafka's Log LogEndOffset). */
  logEndOffset: m('kafka.log.log.end.offset', 'gauge', 'broker', ['topic', 'partition']),
  /** High watermark of each partition, reported by its leader only (kafka_exporter's name). */
  partitionCurrentOffset: m('kafka.topic.partition.current.offset', 'gauge', 'broker', ['topic', 'partition']),
  /** Log start offset of each partition, reported by its leader only (kafka_exporter's name). */
  partitionOldestOffset: m('kafka.topic.partition.oldest.offset', 'gauge', 'broker', ['topic', 'partition']),

  // ---- broker: replication (ReplicaManager) ----
  /** Partitions this broker leads whose ISR is smaller than their replica set. */
  underReplicatedPartitions: m('kafka.server.under.replicated.partitions', 'gauge', 'broker'),
  /** Partitions this broker leads whose ISR is below min.insync.replicas (Kafka's UnderMinIsrPartitionCount). */
  underMinIsrPartitions: m('kafka.server.under.min.isr.partitions', 'gauge', 'broker'),
  /** Partitions this broker leads. */
  leaderPartitions: m('kafka.server.partitions.leader', 'gauge', 'broker'),
  /** ISR shrinks the controller accepted for partitions this broker leads (Kafka's IsrShrinksPerSec). */
  isrShrinks: m('kafka.server.isr.shrinks', 'counter', 'broker'),
  /** ISR expansions the controller accepted (Kafka's IsrExpandsPerSec). */
  isrExpands: m('kafka.server.isr.expands', 'counter', 'broker'),
  /** Requests waiting in a purgatory (Kafka's DelayedOperationPurgatory PurgatorySize): Produce (acks=all) and Fetch (long polls). */
  purgatorySize: m('kafka.server.purgatory.size', 'gauge', 'broker', ['delayed_operation']),
  /** Producer ids in the producer state of this broker's replicas (Kafka's ProducerIdCount, KIP-847). */
  producerIdCount: m('kafka.server.producer.id.count', 'gauge', 'broker'),
  /** Bytes per second moved as leader for throttled replicas, as the leader quota measures it (Kafka's LeaderReplication byte-rate). */
  leaderReplicationByteRate: m('kafka.server.leaderreplication.byte.rate', 'gauge', 'broker'),
  /** Bytes per second fetched as follower for throttled replicas (Kafka's FollowerReplication byte-rate). */
  followerReplicationByteRate: m('kafka.server.followerreplication.byte.rate', 'gauge', 'broker'),
  /** The bound in force, bytes per second: leader.replication.throttled.rate / follower.replication.throttled.rate (absent while unbounded). */
  replicationThrottledRate: m('kafka.server.replication.throttled.rate', 'gauge', 'broker', ['direction']),
  /** Bytes moved for throttled replicas, by direction (leader, follower). */
  replicationThrottledBytes: m('kafka.server.replication.throttled.bytes', 'counter', 'broker', ['direction']),

  // ---- broker: log dirs (LogManager) ----
  /** Log dirs taken offline after an I/O error (Kafka's OfflineLogDirectoryCount). */
  offlineLogDirectoryCount: m('kafka.log.log.manager.offline.log.directory.count', 'gauge', 'broker'),
  /** Partition replicas assigned here whose log dir is offline (Kafka's OfflineReplicaCount). */
  offlineReplicaCount: m('kafka.server.offline.replica.count', 'gauge', 'broker'),
  /** Bytes of each log dir's file system in use. */
  logDirUsedBytes: m('kafka.log.dir.used.bytes', 'gauge', 'broker', ['log_dir']),
  /** Bytes of each log dir's file system free for this process. */
  logDirFreeBytes: m('kafka.log.dir.free.bytes', 'gauge', 'broker', ['log_dir']),
  /** Size of each log dir's file system. */
  logDirTotalBytes: m('kafka.log.dir.total.bytes', 'gauge', 'broker', ['log_dir']),

  // ---- broker: log cleaner ----
  /** Bytes of segments read and written by cleaning rounds. */
  cleanerBytes: m('kafka.log.cleaner.bytes', 'counter', 'broker', ['direction']),
  /** Cleaning rounds completed. */
  cleanerRounds: m('kafka.log.cleaner.rounds', 'counter', 'broker'),
  /** Time spent in cleaning rounds, ms. */
  cleanerBusyTime: m('kafka.log.cleaner.busy.time', 'counter', 'broker'),

  // ---- broker: group coordinator (GroupMetadataManager) and consumer lag (kafka_exporter) ----
  /** Groups of the loaded offsets partitions, by state. */
  groups: m('kafka.coordinator.group.groups', 'gauge', 'broker', ['state']),
  /** __consumer_offsets partitions this broker coordinates. */
  coordinatorPartitions: m('kafka.coordinator.group.partitions', 'gauge', 'broker'),
  /** Committed offset of a group in a partition, reported by the group's coordinator. */
  consumerGroupCurrentOffset: m('kafka.consumergroup.current.offset', 'gauge', 'broker', ['consumergroup', 'topic', 'partition']),
  /** High watermark minus committed offset, reported by the group's coordinator. */
  consumerGroupLag: m('kafka.consumergroup.lag', 'gauge', 'broker', ['consumergroup', 'topic', 'partition']),
  /** Sum of a group's lag over its partitions. */
  consumerGroupLagSum: m('kafka.consumergroup.lag.sum', 'gauge', 'broker', ['consumergroup', 'topic']),
  /** Age of the first record the group has not consumed (0 when caught up), seconds. */
  consumerGroupLagSeconds: m('kafka.consumergroup.lag.seconds', 'gauge', 'broker', ['consumergroup', 'topic', 'partition']),

  // ---- broker: transaction coordinator ----
  /** Transactions Ongoing in the partitions this broker coordinates. */
  transactionsOngoing: m('kafka.coordinator.transaction.ongoing', 'gauge', 'broker'),
  /** Transactions completed since start, by result (committed, aborted). */
  transactionsCompleted: m('kafka.coordinator.transaction.completed', 'counter', 'broker', ['result']),
  /** __transaction_state partitions this broker coordinates. */
  transactionPartitions: m('kafka.coordinator.transaction.partitions', 'gauge', 'broker'),

  // ---- controller (KafkaController, ControllerStats); the leader reports, standbys report 0 ----
  /** 1 on the controller leader, 0 on standbys (Kafka's ActiveControllerCount). */
  activeControllerCount: m('kafka.controller.active.controller.count', 'gauge', 'controller'),
  /** Partitions without a live leader (Kafka's OfflinePartitionsCount). */
  offlinePartitions: m('kafka.controller.offline.partitions.count', 'gauge', 'controller'),
  /** Partitions whose ISR is smaller than their replica set, over the whole cluster. */
  globalUnderReplicatedPartitions: m('kafka.controller.global.under.replicated.partitions', 'gauge', 'controller'),
  /** Partitions in the cluster (Kafka's GlobalPartitionCount). */
  globalPartitionCount: m('kafka.controller.global.partition.count', 'gauge', 'controller'),
  /** Topics in the cluster (Kafka's GlobalTopicCount). */
  globalTopicCount: m('kafka.controller.global.topic.count', 'gauge', 'controller'),
  /** Live storage brokers registered in etcd. */
  aliveBrokers: m('kafka.controller.alive.brokers', 'gauge', 'controller'),
  /** Partition leader changes observed by the controller leader (Kafka's LeaderElectionRateAndTimeMs count). */
  leaderElections: m('kafka.controller.leader.elections', 'counter', 'controller'),
  /** Leader changes to a replica outside the previous ISR (Kafka's UncleanLeaderElectionsPerSec). */
  uncleanLeaderElections: m('kafka.controller.unclean.leader.elections', 'counter', 'controller'),

  // ---- controller: the self-balancer (Kafka has none: dms_balance_…); the leader reports ----
  /** Largest deviation of a broker from the mean over live uncordoned brokers, percent, by resource (replicas, leaders, disk, network_inbound). */
  balanceImbalance: m('dms.balance.imbalance.percent', 'gauge', 'controller', ['resource']),
  /** Partition moves the self-balancer started that have not completed. */
  balanceMovesInFlight: m('dms.balance.moves.in.flight', 'gauge', 'controller'),
  /** Moves planned but waiting for room under auto.balance.max.concurrent.moves. */
  balanceMovesPending: m('dms.balance.moves.pending', 'gauge', 'controller'),
  /** Partition moves the self-balancer completed (kept in etcd: survives controller failover). */
  balanceMovesCompleted: m('dms.balance.moves.completed', 'counter', 'controller'),
  /** Bytes the completed moves copied (partition size × new replicas). */
  balanceBytesMoved: m('dms.balance.bytes.moved', 'counter', 'controller'),
  /** Bytes the moves in flight and planned still have to copy. */
  balanceBytesLeft: m('dms.balance.bytes.left', 'gauge', 'controller'),

  // ---- console: its HTTP server, sessions and searches (no Kafka equivalent: dms_console_…) ----
  /** HTTP requests the console answered, by route pattern, method and status code. */
  consoleHttpRequests: m('dms.console.http.requests', 'counter', 'console', ['route', 'method', 'status']),
  /** Time from an HTTP request to its answer, ms, by route pattern. */
  consoleHttpLatency: m('dms.console.http.request.latency', 'histogram', 'console', ['route']),
  /** Login sessions open now (each holds a Kafka client). */
  consoleSessions: m('dms.console.sessions', 'gauge', 'console'),
  /** Logins the cluster refused (SASL_AUTHENTICATION_FAILED), by SASL mechanism. */
  consoleLoginFailures: m('dms.console.login.failures', 'counter', 'console', ['mechanism']),
  /** Message searches, by mode (offset, time, key) and source (fetch, key_index). */
  consoleSearches: m('dms.console.searches', 'counter', 'console', ['mode', 'source']),
  /** Bytes message searches read (record batches fetched or read through the key index), by mode and source. */
  consoleSearchBytes: m('dms.console.search.bytes.read', 'counter', 'console', ['mode', 'source']),
} as const satisfies Record<string, MetricSpec>;

export type MetricKey = keyof typeof MetricCatalogue;

/** The OpenTelemetry name of every metric, by key. */
export const MetricNames = Object.fromEntries(Object.entries(MetricCatalogue).map(([k, v]) => [k, v.name])) as { readonly [K in MetricKey]: string };

/** The Prometheus series names a metric appears as on the /metrics endpoint. */
export function prometheusSeries(spec: MetricSpec): string[] {
  const base = spec.name.replace(/\./g, '_');
  if (spec.kind === 'counter') return [`${base}_total`];
  if (spec.kind === 'histogram') return [`${base}_bucket`, `${base}_sum`, `${base}_count`];
  return [base];
}

/** Every Prometheus series name DMS exports. */
export function allPrometheusSeries(): Set<string> {
  return new Set(Object.values(MetricCatalogue).flatMap((s) => prometheusSeries(s)));
}

/** Histogram bucket bounds for request latency, ms: sub-millisecond to long polls and joins. */
export const LATENCY_BUCKETS_MS = [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];
