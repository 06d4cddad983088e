/**
 * The group coordinator's operations, named after the Kafka fields they carry. Nullable Kafka
 * strings are optional here (absent = null) so the shapes match the gRPC messages one to one.
 */

export interface GroupProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinGroupInput {
  groupId: string;
  memberId: string;
  groupInstanceId?: string | undefined;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: GroupProtocol[];
  /** JoinGroup v4+: a first join with an empty member id gets MEMBER_ID_REQUIRED. */
  requireKnownMemberId: boolean;
}

export interface JoinGroupMember {
  memberId: string;
  groupInstanceId?: string | undefined;
  metadata: Buffer;
}

export interface JoinGroupResult {
  errorCode: number;
  generationId: number;
  protocolType?: string | undefined;
  protocolName?: string | undefined;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  members: JoinGroupMember[];
}

export interface SyncGroupInput {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId?: string | undefined;
  protocolType?: string | undefined;
  protocolName?: string | undefined;
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface SyncGroupResult {
  errorCode: number;
  protocolType?: string | undefined;
  protocolName?: string | undefined;
  assignment: Buffer;
}

export interface HeartbeatInput {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId?: string | undefined;
}

export interface HeartbeatResult {
  errorCode: number;
}

export interface LeavingMember {
  memberId: string;
  groupInstanceId?: string | undefined;
  reason?: string | undefined;
}

export interface LeaveGroupInput {
  groupId: string;
  members: LeavingMember[];
}

export interface LeaveGroupResult {
  errorCode: number;
  members: { memberId: string; groupInstanceId?: string | undefined; errorCode: number }[];
}

export interface OffsetCommitInput {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId?: string | undefined;
  topics: {
    name: string;
    partitions: { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata?: string | undefined }[];
  }[];
}

export interface PartitionError {
  partitionIndex: number;
  errorCode: number;
}

export interface TopicPartitionErrors {
  name: string;
  partitions: PartitionError[];
}

export interface OffsetCommitResult {
  topics: TopicPartitionErrors[];
}

/** TxnOffsetCommit: offsets committed as part of the producer's transaction (KIP-98, KIP-447). */
export interface TxnOffsetCommitInput {
  transactionalId: string;
  groupId: string;
  producerId: bigint;
  producerEpoch: number;
  /** v3+ (KIP-447): the consumer's group generation, member and instance id; -1/'' before. */
  generationId: number;
  memberId: string;
  groupInstanceId?: string | undefined;
  topics: OffsetCommitInput['topics'];
}

export type TxnOffsetCommitResult = OffsetCommitResult;

export interface OffsetFetchInput {
  groupId: string;
  /** True asks for every committed offset of the group (`topics` is then ignored). */
  allTopics: boolean;
  topics: { name: string; partitionIndexes: number[] }[];
  /** v7+: partitions with a pending transactional commit answer UNSTABLE_OFFSET_COMMIT. */
  requireStable?: boolean | undefined;
  /** v9+ (KIP-848): the fetching member of a consumer group; absent/null and -1 from admin tools. */
  memberId?: string | undefined;
  memberEpoch?: number | undefined;
}

export interface FetchedOffset {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  metadata: string;
  errorCode: number;
}

export interface OffsetFetchResult {
  errorCode: number;
  topics: { name: string; partitions: FetchedOffset[] }[];
}

export interface OffsetDeleteInput {
  groupId: string;
  topics: { name: string; partitionIndexes: number[] }[];
}

export interface OffsetDeleteResult {
  errorCode: number;
  topics: TopicPartitionErrors[];
}

export interface DescribedMember {
  memberId: string;
  groupInstanceId?: string | undefined;
  clientId: string;
  clientHost: string;
  memberMetadata: Buffer;
  memberAssignment: Buffer;
}

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: DescribedMember[];
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: string;
  /** Kafka's group type (ListGroups v5, KIP-848): absent means "classic". */
  groupType?: string;
}

export interface ListGroupsResult {
  errorCode: number;
  groups: ListedGroup[];
}

export interface DeleteGroupResult {
  groupId: string;
  errorCode: number;
}

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export const GROUP_STATES: readonly GroupState[] = ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'];
