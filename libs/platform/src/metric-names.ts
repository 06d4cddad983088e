/**
 * Every metric DMS exports, named once. Names follow Kafka's JMX metrics (kafka.server
 * RequestMetrics, BrokerTopicMetrics, ReplicaManager, GroupMetadataManager) in OpenTelemetry's
 * dotted form; the Prometheus endpoint turns dots into underscores and adds `_total` to counters,
 * e.g. kafka.server.requests -> kafka_server_requests_total.
 */
export const MetricNames = {
  /** Gateway: Kafka requests received, labelled request (API name), api_key, api_version. */
  requests: 'kafka.server.requests',
  /** Gateway: Kafka request bytes received, labelled request. */
  requestBytes: 'kafka.server.request.bytes',
  /** Gateway: time from a decoded request to its answer being ready (Kafka's TotalTimeMs), labelled request. */
  requestLatency: 'kafka.server.request.latency',
  /** Gateway: requests whose handler failed (the connection is closed), labelled request. */
  requestErrors: 'kafka.server.request.errors',
  /** Gateway: client connections closed at accept, labelled listener and reason (max.connections, max.connections.per.ip). */
  connectionsRefused: 'kafka.server.connections.refused',
  /** Gateway: failed client logins, labelled mechanism. */
  failedAuthentications: 'kafka.server.failed.authentications',
  /** Broker: record batch bytes appended for clients (Kafka's BytesInPerSec), labelled topic. */
  bytesIn: 'kafka.server.bytes.in',
  /** Broker: record batch bytes returned to consumers (Kafka's BytesOutPerSec), labelled topic. */
  bytesOut: 'kafka.server.bytes.out',
  /** Broker: partitions this broker leads whose ISR is smaller than their replica set. */
  underReplicatedPartitions: 'kafka.server.under.replicated.partitions',
  /** Broker: partitions this broker leads. */
  leaderPartitions: 'kafka.server.partitions.leader',
  /** Broker (group coordinator): groups of the loaded offsets partitions, labelled state. */
  groups: 'kafka.coordinator.group.groups',
  /** Broker (group coordinator): offsets partitions this broker coordinates. */
  coordinatorPartitions: 'kafka.coordinator.group.partitions',
  /** Broker (transaction coordinator): transactions Ongoing in the partitions this broker coordinates. */
  transactionsOngoing: 'kafka.coordinator.transaction.ongoing',
  /** Broker (transaction coordinator): transactions completed since start, labelled result (committed, aborted). */
  transactionsCompleted: 'kafka.coordinator.transaction.completed',
  /** Broker (transaction coordinator): __transaction_state partitions this broker coordinates. */
  transactionPartitions: 'kafka.coordinator.transaction.partitions',
  /** Broker (log cleaner): bytes of segments read by cleaning rounds, and written (labelled direction). */
  cleanerBytes: 'kafka.log.cleaner.bytes',
  /** Broker (log cleaner): cleaning rounds completed. */
  cleanerRounds: 'kafka.log.cleaner.rounds',
  /** Broker (log cleaner): time spent in cleaning rounds. */
  cleanerBusyTime: 'kafka.log.cleaner.busy.time',
  /** Broker: producer ids in the producer state of this broker's replicas (Kafka's ReplicaManager ProducerIdCount, KIP-847). */
  producerIdCount: 'kafka.server.producer.id.count',
  /** Broker: log dirs taken offline after an I/O error (Kafka's LogManager OfflineLogDirectoryCount). */
  offlineLogDirectoryCount: 'kafka.log.log.manager.offline.log.directory.count',
  /** Broker: partition replicas assigned here whose log dir is offline (Kafka's ReplicaManager OfflineReplicaCount). */
  offlineReplicaCount: 'kafka.server.offline.replica.count',
} as const;

/** Histogram bucket bounds for request latency, ms: sub-millisecond to long polls and joins. */
export const LATENCY_BUCKETS_MS = [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];
