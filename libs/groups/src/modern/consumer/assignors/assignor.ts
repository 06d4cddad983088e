import type { Assignment } from '../../assignment';

/** A member as a server-side assignor sees it. */
export interface AssignmentMember {
  memberId: string;
  instanceId: string | null;
  rackId: string | null;
  /** Ids of the existing topics the member subscribes to. */
  subscribedTopicIds: ReadonlySet<string>;
  /** The member's partitions in the current target assignment (for stickiness). */
  currentTarget: Assignment;
}

export interface AssignmentTopic {
  topicId: string;
  name: string;
  numPartitions: number;
}

export interface AssignmentSpec {
  members: readonly AssignmentMember[];
  /** The subscribed topics that exist, by id. */
  topics: ReadonlyMap<string, AssignmentTopic>;
}

/** A server-side assignor (KIP-848 `group.consumer.assignors`): a target assignment per member id. */
export interface ServerAssignor {
  readonly name: string;
  assign(spec: AssignmentSpec): Map<string, Assignment>;
}

export class AssignorError extends Error {}
