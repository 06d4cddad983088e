import { EMPTY, type Assignment } from '../assignment';

/** Kafka's MemberState of a KIP-848 member (stored as its int8 value). */
export const MemberState = {
  /** The member has its target assignment. */
  STABLE: 0,
  /** It must revoke partitions before it gets anything new; its epoch waits. */
  UNREVOKED_PARTITIONS: 1,
  /** It is in the new epoch, waiting for partitions other members still own. */
  UNRELEASED_PARTITIONS: 2,
  UNKNOWN: 127,
} as const;
export type MemberStateValue = (typeof MemberState)[keyof typeof MemberState];

/** A member speaking the classic protocol inside a consumer group (ClassicMemberMetadata). */
export interface ClassicMemberMetadata {
  sessionTimeoutMs: number;
  supportedProtocols: { name: string; metadata: Buffer }[];
}

/** What a member told the coordinator of itself (ConsumerGroupMemberMetadata). */
export interface MemberMetadata {
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  rebalanceTimeoutMs: number;
  serverAssignor: string | null;
  /** Set for a classic member (JoinGroup/SyncGroup/Heartbeat) inside the consumer group. */
  classicMemberMetadata: ClassicMemberMetadata | null;
}

/** Where a member stands in the reconciliation (ConsumerGroupCurrentMemberAssignment). */
export interface MemberAssignmentState {
  memberEpoch: number;
  previousMemberEpoch: number;
  state: MemberStateValue;
  assigned: Assignment;
  pendingRevocation: Assignment;
}

export interface ConsumerGroupMember extends MemberMetadata, MemberAssignmentState {
  memberId: string;
}

export function newMember(memberId: string): ConsumerGroupMember {
  return {
    memberId, instanceId: null, rackId: null, clientId: '', clientHost: '', subscribedTopicNames: [], subscribedTopicRegex: null,
    rebalanceTimeoutMs: -1, serverAssignor: null, classicMemberMetadata: null,
    memberEpoch: 0, previousMemberEpoch: -1, state: MemberState.STABLE, assigned: EMPTY, pendingRevocation: EMPTY,
  };
}

export function sameMetadata(a: MemberMetadata, b: MemberMetadata): boolean {
  return a.instanceId === b.instanceId && a.rackId === b.rackId && a.clientId === b.clientId && a.clientHost === b.clientHost
    && a.subscribedTopicRegex === b.subscribedTopicRegex && a.rebalanceTimeoutMs === b.rebalanceTimeoutMs
    && a.serverAssignor === b.serverAssignor && sameClassic(a.classicMemberMetadata, b.classicMemberMetadata)
    && a.subscribedTopicNames.length === b.subscribedTopicNames.length && a.subscribedTopicNames.every((t, i) => t === b.subscribedTopicNames[i]);
}

function sameClassic(a: ClassicMemberMetadata | null, b: ClassicMemberMetadata | null): boolean {
  if (a === null || b === null) return a === b;
  return a.sessionTimeoutMs === b.sessionTimeoutMs && a.supportedProtocols.length === b.supportedProtocols.length
    && a.supportedProtocols.every((p, i) => p.name === b.supportedProtocols[i].name && p.metadata.equals(b.supportedProtocols[i].metadata));
}
