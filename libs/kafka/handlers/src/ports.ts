import type { BrokerConfigLayers } from '@dms/configs';
import type { AclBinding } from '@dms/security';
import type { SharePort } from './share-port';
import type { ConsumerGroupDescribeResponseDescribedGroup } from '@dms/kafka-schema';
import type {
  ConsumerGroupHeartbeatInput,
  ConsumerGroupHeartbeatResult,
  DeleteGroupResult,
  DescribedGroup,
  HeartbeatInput,
  HeartbeatResult,
  JoinGroupInput,
  JoinGroupResult,
  LeaveGroupInput,
  LeaveGroupResult,
  ListGroupsResult,
  OffsetCommitInput,
  OffsetCommitResult,
  OffsetDeleteInput,
  OffsetDeleteResult,
  OffsetFetchInput,
  OffsetFetchResult,
  SyncGroupInput,
  SyncGroupResult,
  TxnOffsetCommitInput,
  TxnOffsetCommitResult,
} from '@dms/groups';

/**
 * What the Kafka handlers need from the rest of the system. Handlers never touch etcd, disk or
 * gRPC themselves: the gateway implements these ports over its cluster view and broker clients.
 */

export interface AdvertisedNode {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionView {
  partition: number;
  /** Storage broker that leads the partition, -1 when none. */
  storageLeader: number;
  /** Gateway node id advertised to clients as the partition's leader. */
  advertisedLeader: number;
  /** True when the storage leader is registered live. */
  leaderAvailable: boolean;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  /** A reassignment in progress (KIP-455): the target's new replicas and the originals leaving; empty when none. */
  addingReplicas?: number[];
  removingReplicas?: number[];
}

export interface TopicView {
  name: string;
  topicId: string;
  internal: boolean;
  configs: Record<string, string>;
  partitions: PartitionView[];
}

export interface ClusterPort {
  clusterId(): string | null;
  /** The node id reported as controller: always one of `nodes()`. */
  controllerId(): number;
  /** Live gateways as clients must see them, at their address for `listenerName` when given. */
  nodes(listenerName?: string): AdvertisedNode[];
  topics(): TopicView[];
  topic(name: string): TopicView | undefined;
  topicById(topicId: string): TopicView | undefined;
  /** Resolves when the view shows the topics (or times out); used after admin changes. */
  awaitTopics(names: string[], present: boolean, timeoutMs: number): Promise<void>;
  /** Resolves when the view shows each topic with at least its count of partitions, all led (or times out). */
  awaitPartitionCounts(counts: ReadonlyMap<string, number>, timeoutMs: number): Promise<void>;
  config: GatewayConfig;
  /**
   * The broker-level config layers of BROKER resource `brokerId` (see decision 0009): its dynamic
   * overrides, the cluster default and the static values the services registered.
   */
  brokerConfigLayers(brokerId: number): BrokerConfigLayers;
  /** The layers a topic's configs are described with: those of its partition 0's storage leader. */
  topicConfigLayers(topic: string): BrokerConfigLayers;
  /**
   * The complete effective config of a topic (every key, resolved through topicConfigLayers), as
   * its leading storage broker applies it; undefined for an unknown topic.
   */
  effectiveTopicConfigs(topic: string): Record<string, string> | undefined;
  /** Ids of the cordoned storage brokers (no new replicas placed on them); absent in unit fakes. */
  cordonedBrokers?(): ReadonlySet<number>;
  /** Resolves once this gateway's view has caught up with etcd revision `revision` (or after the timeout). */
  awaitRevision(revision: bigint, timeoutMs: number): Promise<void>;
  /** The finalized feature levels recorded in etcd and their epoch; undefined when UpdateFeatures never ran. */
  finalizedFeatures(): { levels: Readonly<Record<string, number>>; epoch: bigint } | undefined;
  /** Client-metrics subscriptions (CLIENT_METRICS config resources) by name. */
  clientMetricsConfigs(): ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** The configs a group sets for itself (GROUP config resource); empty when none. */
  groupConfigs(groupId: string): Readonly<Record<string, string>>;
  /** Ids of the groups that set configs. */
  groupConfigIds(): string[];
}

export interface GatewayConfig {
  autoCreateTopicsEnable: boolean;
  messageMaxBytes: number;
}

export interface TopicSpec {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  assignments: { partition: number; brokerIds: number[] }[];
  configs: Record<string, string>;
}

export interface TopicOutcome {
  name: string;
  errorCode: number;
  errorMessage: string | null;
  topicId: string;
  numPartitions: number;
  replicationFactor: number;
  configs: Record<string, string>;
}

export interface ElectionOutcome {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string | null;
}

export interface ConfigResourceChangeInput {
  /** Kafka's ConfigResource type: 2 TOPIC, 4 BROKER. */
  resourceType: number;
  /** Topic name, broker id, or "" for the cluster-default broker entity. */
  resourceName: string;
  /** AlterConfigs: the SET entries become the whole set. IncrementalAlterConfigs: false. */
  replace: boolean;
  /** `op` is Kafka's AlterConfigOp code (0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT). */
  changes: { name: string; op: number; value: string | null }[];
}

export interface ConfigResourceOutcome {
  resourceType: number;
  resourceName: string;
  errorCode: number;
  errorMessage: string | null;
  /** etcd revision of the write; 0n when nothing was written. */
  revision: bigint;
}

export interface NewPartitionsSpec {
  name: string;
  count: number;
  /** null: the controller places the new replicas; else one broker list per added partition. */
  assignments: number[][] | null;
}

export interface NewPartitionsOutcome {
  name: string;
  errorCode: number;
  errorMessage: string | null;
}

/** One partition of AlterPartitionReassignments; replicas null cancels its move. */
export interface ReassignmentSpec {
  topic: string;
  partition: number;
  replicas: number[] | null;
}

export interface ReassignmentOutcome {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string | null;
}

export interface ControllerPort {
  /** Alters topic or broker configs on the leading controller, one outcome per resource. */
  alterConfigs(resources: ConfigResourceChangeInput[], validateOnly: boolean, timeoutMs: number): Promise<ConfigResourceOutcome[]>;
  createTopics(specs: TopicSpec[], validateOnly: boolean, timeoutMs: number): Promise<TopicOutcome[]>;
  deleteTopics(names: string[], timeoutMs: number): Promise<TopicOutcome[]>;
  /**
   * Kafka's ElectLeaders on the leading controller: electionType 0 preferred, 1 unclean;
   * `partitions` null means every partition. One outcome per partition tried.
   */
  electLeaders(electionType: number, partitions: { topic: string; partition: number }[] | null, timeoutMs: number): Promise<ElectionOutcome[]>;
  /** Kafka's CreatePartitions on the leading controller; one outcome per spec. */
  createPartitions(specs: NewPartitionsSpec[], validateOnly: boolean, timeoutMs: number): Promise<NewPartitionsOutcome[]>;
  /** Kafka's AlterPartitionReassignments on the leading controller; one outcome per partition. */
  alterPartitionReassignments(specs: ReassignmentSpec[], timeoutMs: number): Promise<ReassignmentOutcome[]>;
  /**
   * Records `levels` as the finalized features (absent: level 0) on the leading controller, if the
   * features epoch is still `expectedEpoch` (0: never written); `epoch` is the new one.
   */
  updateFeatures(levels: Record<string, number>, expectedEpoch: bigint, timeoutMs: number): Promise<{ errorCode: number; errorMessage: string | null; epoch: bigint }>;
}

export interface ProducePartitionInput {
  topic: string;
  partition: number;
  records: Buffer;
}

export interface ProducePartitionOutcome {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string | null;
  baseOffset: bigint;
  logAppendTimeMs: bigint;
  logStartOffset: bigint;
  /** Records that made the leader refuse the batch (Produce v8+ record_errors). */
  recordErrors?: { batchIndex: number; message: string }[];
}

export interface FetchPartitionInput {
  topic: string;
  partition: number;
  fetchOffset: bigint;
  partitionMaxBytes: number;
  currentLeaderEpoch: number;
}

export interface FetchPartitionOutcome {
  topic: string;
  partition: number;
  errorCode: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
  records: Buffer;
  /** read_committed: aborted transactions overlapping the returned records (Fetch v4+). */
  abortedTransactions?: { producerId: bigint; firstOffset: bigint }[];
}

export interface ListOffsetsInput {
  topic: string;
  partition: number;
  timestamp: bigint;
  currentLeaderEpoch: number;
}

export interface ListOffsetsOutcome {
  topic: string;
  partition: number;
  errorCode: number;
  timestamp: bigint;
  offset: bigint;
  leaderEpoch: number;
}

export interface OffsetForLeaderEpochInput {
  topic: string;
  partition: number;
  currentLeaderEpoch: number;
  leaderEpoch: number;
}

export interface OffsetForLeaderEpochOutcome {
  topic: string;
  partition: number;
  errorCode: number;
  leaderEpoch: number;
  endOffset: bigint;
}

/** One storage broker's log dir as DescribeLogDirs reports it. */
export interface LogDirOutcome {
  brokerId: number;
  logDir: string;
  errorCode: number;
  totalBytes: bigint;
  usableBytes: bigint;
  partitions: { topic: string; partition: number; size: bigint; offsetLag: bigint }[];
}

export interface DeleteRecordsInput {
  topic: string;
  partition: number;
  /** Records below this offset go; -1 means the high watermark. */
  offset: bigint;
}

export interface DeleteRecordsOutcome {
  topic: string;
  partition: number;
  errorCode: number;
  lowWatermark: bigint;
}

export interface DescribeProducersInput {
  topic: string;
  partition: number;
}

/** One producer in a partition leader's producer state (DescribeProducers). */
export interface ActiveProducerOutcome {
  producerId: bigint;
  producerEpoch: number;
  lastSequence: number;
  lastTimestamp: bigint;
  coordinatorEpoch: number;
  /** First offset of the producer's open transaction, -1 when none. */
  currentTxnStartOffset: bigint;
}

export interface DescribeProducersOutcome {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string;
  activeProducers: ActiveProducerOutcome[];
}

export interface StoragePort {
  /** Every live storage broker's log dir (topics null: every partition). */
  describeLogDirs(topics: { topic: string; partitions: number[] }[] | null): Promise<LogDirOutcome[]>;
  produce(acks: number, timeoutMs: number, parts: ProducePartitionInput[]): Promise<ProducePartitionOutcome[]>;
  fetch(
    opts: { maxWaitMs: number; minBytes: number; maxBytes: number; isolationLevel: number },
    parts: FetchPartitionInput[],
  ): Promise<FetchPartitionOutcome[]>;
  listOffsets(isolationLevel: number, parts: ListOffsetsInput[]): Promise<ListOffsetsOutcome[]>;
  offsetForLeaderEpoch(parts: OffsetForLeaderEpochInput[]): Promise<OffsetForLeaderEpochOutcome[]>;
  /** DeleteRecords on each partition's leader, answered once the in-sync replicas follow (or timeoutMs). */
  deleteRecords(timeoutMs: number, parts: DeleteRecordsInput[]): Promise<DeleteRecordsOutcome[]>;
  /** Each partition leader's producer state. */
  describeProducers(parts: DescribeProducersInput[]): Promise<DescribeProducersOutcome[]>;
}

export interface CoordinatorAnswer {
  key: string;
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
}

/**
 * The group coordinator as the gateway reaches it: each call goes to the storage broker that
 * leads the group's partition of __consumer_offsets (re-routed while leadership moves).
 */
export interface GroupPort {
  /**
   * The gateway advertised for the group's coordinator partition (keyType 0 only), at its
   * address on `listenerName` (the client's listener) when given, like Metadata.
   */
  findCoordinator(groupId: string, listenerName?: string): Promise<CoordinatorAnswer>;
  joinGroup(input: JoinGroupInput): Promise<JoinGroupResult>;
  syncGroup(input: SyncGroupInput): Promise<SyncGroupResult>;
  heartbeat(input: HeartbeatInput): Promise<HeartbeatResult>;
  leaveGroup(input: LeaveGroupInput): Promise<LeaveGroupResult>;
  offsetCommit(input: OffsetCommitInput): Promise<OffsetCommitResult>;
  txnOffsetCommit(input: TxnOffsetCommitInput): Promise<TxnOffsetCommitResult>;
  offsetFetch(input: OffsetFetchInput): Promise<OffsetFetchResult>;
  offsetDelete(input: OffsetDeleteInput): Promise<OffsetDeleteResult>;
  describeGroups(groupIds: string[]): Promise<DescribedGroup[]>;
  /** Every coordinator's groups (fan-out to all brokers). */
  listGroups(statesFilter: string[]): Promise<ListGroupsResult>;
  deleteGroups(groupIds: string[]): Promise<DeleteGroupResult[]>;
  /** ConsumerGroupHeartbeat (68) of a KIP-848 consumer group. */
  consumerGroupHeartbeat(input: ConsumerGroupHeartbeatInput): Promise<ConsumerGroupHeartbeatResult>;
  /** ConsumerGroupDescribe (69), each group at its coordinator. */
  consumerGroupDescribe(groupIds: string[]): Promise<ConsumerGroupDescribeResponseDescribedGroup[]>;
}

export interface InitProducerIdInput {
  /** Never null here: producers without a transactional id get `newProducerId`. */
  transactionalId: string;
  transactionTimeoutMs: number;
  /** -1 unless the producer recovers its id and epoch (KIP-360, v3+). */
  producerId: bigint;
  producerEpoch: number;
}

export interface InitProducerIdOutcome {
  errorCode: number;
  errorMessage: string | null;
  producerId: bigint;
  producerEpoch: number;
}

/**
 * Producer ids and the transaction coordinator as the gateway reaches them: idempotent
 * producers get ids from a block the gateway holds; transactional calls go to the storage
 * broker coordinating the transactional id's partition of __transaction_state.
 */
export interface TransactionPort {
  /** A fresh producer id (epoch 0) for an idempotent producer. Throws KafkaError when none can be had. */
  newProducerId(): Promise<bigint>;
  /**
   * The gateway advertised for the transactional id's coordinator partition of
   * __transaction_state (created on first use), at its address on `listenerName` when given.
   */
  findCoordinator(transactionalId: string, listenerName?: string): Promise<CoordinatorAnswer>;
  /** InitProducerId with a transactional id, on its transaction coordinator. */
  initProducerId(input: InitProducerIdInput): Promise<InitProducerIdOutcome>;
  /** One error code per partition, in order. */
  addPartitionsToTxn(input: AddPartitionsToTxnInput): Promise<number[]>;
  addOffsetsToTxn(input: TxnProducerInput & { groupId: string }): Promise<number>;
  endTxn(input: TxnProducerInput & { committed: boolean }): Promise<number>;
  describeTransactions(transactionalIds: string[]): Promise<DescribedTransactionOutcome[]>;
  /** Every coordinator's transactions (fan-out to all brokers). */
  listTransactions(filter: ListTransactionsFilter): Promise<{ errorCode: number; transactions: ListedTransactionOutcome[] }>;
}

export interface TxnProducerInput {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
}

export interface AddPartitionsToTxnInput extends TxnProducerInput {
  verifyOnly: boolean;
  partitions: { topic: string; partition: number }[];
}

export interface DescribedTransactionOutcome {
  errorCode: number;
  transactionalId: string;
  transactionState: string;
  transactionTimeoutMs: number;
  transactionStartTimeMs: bigint;
  producerId: bigint;
  producerEpoch: number;
  topics: { topic: string; partitions: number[] }[];
}

export interface ListTransactionsFilter {
  stateFilters: string[];
  producerIdFilters: bigint[];
  /** -1: none. */
  durationFilterMs: bigint;
}

export interface ListedTransactionOutcome {
  transactionalId: string;
  producerId: bigint;
  transactionState: string;
}

/** One server-side SASL exchange (see @dms/security createSaslServer). */
export interface SaslExchange {
  readonly mechanism: string;
  /** Rejects with SaslAuthError on bad credentials or a malformed message; derives keys off the event loop. */
  step(input: Buffer): Promise<{ response: Buffer; principal?: string }>;
}

/** The security state of one client connection; the connection owns it, SASL handlers move it on. */
export interface ConnectionSession {
  readonly listenerName: string;
  /** PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL. */
  readonly securityProtocol: string;
  /** Client IP, as ACL host entries name it. */
  readonly host: string;
  /** "User:name"; User:ANONYMOUS until a SASL login or from a PLAINTEXT/SSL-without-cert client. */
  readonly principal: string;
  /** Client port (KIP-714's client_source_port); 0 when unknown. */
  readonly port?: number;
  /** What the client said it is in ApiVersions v3+ (KIP-511); null before or with older versions. */
  clientSoftwareName?: string | null;
  clientSoftwareVersion?: string | null;
  readonly authenticated: boolean;
  /** The exchange SaslHandshake started, until SaslAuthenticate completes it. */
  sasl: SaslExchange | null;
  /**
   * Set by a SaslHandshake v0: the exchange's tokens then travel as bare size-prefixed frames,
   * not in SaslAuthenticate requests (Kafka's legacy framing; kafka-python 2.0 uses it).
   */
  rawSaslTokens?: boolean;
  /** Marks the connection authenticated as `principal` (lifts the pre-auth frame limit). */
  authenticate(principal: string): void;
  /** Closes the connection once the current response has been written (failed login). */
  closeAfterResponse(): void;
}

export type AclEntry = AclBinding;

export interface ScramUserInfo {
  user: string;
  credentials: { mechanism: string; iterations: number }[];
}

export interface ScramUpsertionSpec {
  user: string;
  mechanism: string;
  iterations: number;
  salt: Buffer;
  saltedPassword: Buffer;
}

/** Authentication and authorization, over the gateway's etcd-watched users and ACLs. */
export interface SecurityPort {
  /** SASL mechanisms this gateway offers (sasl.enabled.mechanisms). */
  enabledMechanisms(): string[];
  /** Starts an exchange; credentials come from the cached users. */
  saslExchange(mechanism: string): SaslExchange;
  /**
   * How long a login step from this client address must wait before it runs (the address's
   * failed-login back-off; 0 for an address without recent failures). Reserves the slot.
   */
  attemptDelayMs(session: ConnectionSession): number;
  /** A login succeeded (eases the address's back-off). */
  authenticationSucceeded(session: ConnectionSession): void;
  /** Logs and counts a refused login; returns how long to hold its answer (slows password guessing). */
  authenticationFailed(session: ConnectionSession, mechanism: string, reason: string): number;
  /** True when authorizer.class.name is set; otherwise everything is allowed. */
  authorizerEnabled(): boolean;
  /** Kafka's decision for principal/host on one resource (operation/type are Kafka wire codes). */
  authorize(principal: string, host: string, operation: number, resourceType: number, resourceName: string): boolean;
  /** Kafka's authorizeByResourceType: allowed on at least one resource of the type. */
  authorizeByResourceType(principal: string, host: string, operation: number, resourceType: number): boolean;
  acls(): AclEntry[];
  createAcls(bindings: AclEntry[]): Promise<{ errorCode: number; errorMessage: string | null }[]>;
  deleteAcls(bindings: AclEntry[]): Promise<{ errorCode: number; errorMessage: string | null }[]>;
  scramUsers(): ScramUserInfo[];
  alterScramCredentials(
    deletions: { user: string; mechanism: string }[],
    upsertions: ScramUpsertionSpec[],
  ): Promise<{ user: string; errorCode: number; errorMessage: string | null }[]>;
}

/** A client as KIP-714 subscriptions match it. */
export interface TelemetryClient {
  clientId: string;
  softwareName: string;
  softwareVersion: string;
  sourceAddress: string;
  sourcePort: number;
  principal: string;
}

export interface TelemetrySubscriptionOutcome {
  errorCode: number;
  clientInstanceId: string;
  subscriptionId: number;
  acceptedCompressionTypes: number[];
  pushIntervalMs: number;
  telemetryMaxBytes: number;
  deltaTemporality: boolean;
  requestedMetrics: string[];
}

export interface TelemetryPush {
  clientInstanceId: string;
  subscriptionId: number;
  terminating: boolean;
  compressionType: number;
  metrics: Buffer;
}

/** Client telemetry (KIP-714) as this gateway keeps it: subscriptions served, pushed metrics exported. */
export interface TelemetryPort {
  getSubscriptions(client: TelemetryClient, clientInstanceId: string): TelemetrySubscriptionOutcome;
  /** The push's error code (NONE when its metrics were taken). */
  push(client: TelemetryClient, push: TelemetryPush): Promise<number>;
}

/** Per-connection facts a handler may need. */
export interface RequestContext {
  clientId: string | null;
  clientHost: string;
  cluster: ClusterPort;
  controller: ControllerPort;
  storage: StoragePort;
  groups: GroupPort;
  /** Absent where producer ids are not wired (unit tests): InitProducerId then answers COORDINATOR_NOT_AVAILABLE. */
  transactions?: TransactionPort;
  /** Absent where no security is wired (unit tests): then everything is allowed. */
  security?: SecurityPort;
  /** Share groups (KIP-932); absent where not wired: the share APIs answer UNSUPPORTED_VERSION. */
  share?: SharePort;
  /** Absent where client telemetry is not wired: GetTelemetrySubscriptions then subscribes to nothing. */
  telemetry?: TelemetryPort;
  session?: ConnectionSession;
}
