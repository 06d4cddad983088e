import type { DescribedShareGroup, ShareHeartbeatInput, ShareHeartbeatResult } from '@dms/groups';

/** A share partition as the handlers name it to the port: topic name and id both resolved. */
export interface SharePartitionRef {
  topic: string;
  topicId: string;
  partition: number;
}

export interface ShareAckBatchInput {
  firstOffset: bigint;
  lastOffset: bigint;
  acknowledgeTypes: number[];
}

export interface ShareFetchPartitionInput extends SharePartitionRef {
  acknowledgements: ShareAckBatchInput[];
}

export interface ShareFetchInput {
  groupId: string;
  memberId: string;
  shareSessionEpoch: number;
  maxWaitMs: number;
  maxBytes: number;
  maxRecords: number;
  acquireMode: number;
  /** Partitions to add to (epoch 0: to form) the share session, with their acknowledgements. */
  partitions: ShareFetchPartitionInput[];
  forgotten: SharePartitionRef[];
}

export interface SharePartitionOutcome extends SharePartitionRef {
  errorCode: number;
  errorMessage: string | null;
  acknowledgeErrorCode: number;
  acknowledgeErrorMessage: string | null;
  leaderEpoch: number;
  records: Buffer;
  acquiredRecords: { firstOffset: bigint; lastOffset: bigint; deliveryCount: number }[];
}

export interface ShareFetchOutcome {
  errorCode: number;
  errorMessage: string | null;
  acquisitionLockTimeoutMs: number;
  partitions: SharePartitionOutcome[];
}

export interface ShareAcknowledgeInput {
  groupId: string;
  memberId: string;
  shareSessionEpoch: number;
  partitions: ShareFetchPartitionInput[];
}

export interface ShareOffsetOutcome extends SharePartitionRef {
  /** -1 when the share partition has no state. */
  startOffset: bigint;
  leaderEpoch: number;
  /** -1 when unknown. */
  lag: bigint;
  errorCode: number;
  errorMessage: string | null;
}

/**
 * Share groups (KIP-932) as the handlers see them: membership at the group coordinator, share
 * sessions and share fetches at this gateway and the partition leaders, offsets at the share
 * coordinator.
 */
export interface SharePort {
  heartbeat(input: ShareHeartbeatInput): Promise<ShareHeartbeatResult>;
  describe(groupIds: string[]): Promise<DescribedShareGroup[]>;
  fetch(input: ShareFetchInput): Promise<ShareFetchOutcome>;
  acknowledge(input: ShareAcknowledgeInput): Promise<ShareFetchOutcome>;
  /** The share-partition start offsets of a group (all it has when `partitions` is null). */
  describeOffsets(groupId: string, partitions: SharePartitionRef[] | null): Promise<{ errorCode: number; errorMessage: string | null; partitions: ShareOffsetOutcome[] }>;
  /** Moves share partitions of an empty group to new start offsets (-1: delete their state). */
  resetOffsets(groupId: string, partitions: (SharePartitionRef & { startOffset: bigint })[]): Promise<{ errorCode: number; errorMessage: string | null; partitions: (SharePartitionRef & { errorCode: number; errorMessage: string | null })[] }>;
}
