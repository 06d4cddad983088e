import type {
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
  /** Live gateways as clients must see them (for the listener the client came in on). */
  nodes(): AdvertisedNode[];
  topics(): TopicView[];
  topic(name: string): TopicView | undefined;
  topicById(topicId: string): TopicView | undefined;
  /** Resolves when the view shows the topics (or times out); used after admin changes. */
  awaitTopics(names: string[], present: boolean, timeoutMs: number): Promise<void>;
  config: GatewayConfig;
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

export interface ControllerPort {
  createTopics(specs: TopicSpec[], validateOnly: boolean, timeoutMs: number): Promise<TopicOutcome[]>;
  deleteTopics(names: string[], timeoutMs: number): Promise<TopicOutcome[]>;
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

export interface StoragePort {
  produce(acks: number, timeoutMs: number, parts: ProducePartitionInput[]): Promise<ProducePartitionOutcome[]>;
  fetch(
    opts: { maxWaitMs: number; minBytes: number; maxBytes: number; isolationLevel: number },
    parts: FetchPartitionInput[],
  ): Promise<FetchPartitionOutcome[]>;
  listOffsets(isolationLevel: number, parts: ListOffsetsInput[]): Promise<ListOffsetsOutcome[]>;
  offsetForLeaderEpoch(parts: OffsetForLeaderEpochInput[]): Promise<OffsetForLeaderEpochOutcome[]>;
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
  /** The gateway advertised for the group's coordinator partition (keyType 0 only). */
  findCoordinator(groupId: string): Promise<CoordinatorAnswer>;
  joinGroup(input: JoinGroupInput): Promise<JoinGroupResult>;
  syncGroup(input: SyncGroupInput): Promise<SyncGroupResult>;
  heartbeat(input: HeartbeatInput): Promise<HeartbeatResult>;
  leaveGroup(input: LeaveGroupInput): Promise<LeaveGroupResult>;
  offsetCommit(input: OffsetCommitInput): Promise<OffsetCommitResult>;
  offsetFetch(input: OffsetFetchInput): Promise<OffsetFetchResult>;
  offsetDelete(input: OffsetDeleteInput): Promise<OffsetDeleteResult>;
  describeGroups(groupIds: string[]): Promise<DescribedGroup[]>;
  /** Every coordinator's groups (fan-out to all brokers). */
  listGroups(statesFilter: string[]): Promise<ListGroupsResult>;
  deleteGroups(groupIds: string[]): Promise<DeleteGroupResult[]>;
}

/** Per-connection facts a handler may need. */
export interface RequestContext {
  clientId: string | null;
  clientHost: string;
  cluster: ClusterPort;
  controller: ControllerPort;
  storage: StoragePort;
  groups: GroupPort;
}
