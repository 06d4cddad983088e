import type { WireTopicPartitions } from '../assignment';
import type { ClassicMemberMetadata } from './member';

/** ConsumerGroupHeartbeat (68) as the coordinator takes it; nullable fields mean "unchanged". */
export interface ConsumerGroupHeartbeatInput {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[] | null;
  subscribedTopicRegex?: string | null;
  serverAssignor: string | null;
  topicPartitions: WireTopicPartitions[] | null;
  clientId: string;
  clientHost: string;
  /** Internal: a classic member's JoinGroup, handled as its heartbeat. */
  classicMemberMetadata?: ClassicMemberMetadata;
}

export interface ConsumerGroupHeartbeatResult {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: { topicPartitions: WireTopicPartitions[] } | null;
}

/** A topic as the coordinator's metadata knows it. */
export interface TopicImage {
  topicId: string;
  numPartitions: number;
}

/** Topic name -> its id and partition count, for the topics that exist now. */
export type TopicsImage = ReadonlyMap<string, TopicImage>;

/** Member epochs with a meaning in a heartbeat (Kafka's LEAVE_GROUP_MEMBER_EPOCH and the static one). */
export const LEAVE_GROUP_MEMBER_EPOCH = -1;
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;
