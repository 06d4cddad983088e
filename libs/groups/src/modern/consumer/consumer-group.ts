import { EMPTY, has, type Assignment } from '../assignment';
import { MemberState, type ConsumerGroupMember } from './member';

/** Kafka's ConsumerGroup states (as DescribeGroups and ListGroups name them). */
export type ConsumerGroupState = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable' | 'Dead';

/**
 * One KIP-848 consumer group as its records leave it: the group epoch (bumped by every change of
 * membership or subscriptions), the target assignment and the epoch it was computed for, and
 * each member's metadata and reconciliation state. Changed only by replay (consumer-replay.ts).
 */
export class ConsumerGroup {
  groupEpoch = 0;
  metadataHash = 0n;
  assignmentEpoch = 0;
  readonly members = new Map<string, ConsumerGroupMember>();
  readonly target = new Map<string, Assignment>();
  /** Each regex members subscribe with -> the topics it resolved to (ConsumerGroupRegularExpression). */
  readonly regexes = new Map<string, { topics: string[]; version: bigint }>();
  /** Cancels each member's session (or revocation) timer. */
  readonly timers = new Map<string, () => void>();

  constructor(readonly groupId: string) {}

  get state(): ConsumerGroupState {
    if (this.members.size === 0) return 'Empty';
    if (this.groupEpoch > this.assignmentEpoch) return 'Assigning';
    for (const m of this.members.values()) {
      if (m.memberEpoch < 0) continue; // A static member away for now keeps its place.
      if (m.memberEpoch !== this.assignmentEpoch || m.state !== MemberState.STABLE) return 'Reconciling';
    }
    return 'Stable';
  }

  targetOf(memberId: string): Assignment {
    return this.target.get(memberId) ?? EMPTY;
  }

  /**
   * A member other than `memberId` (and `alsoMe`, the new id of a replaced static member) holds
   * the partition, assigned or pending its revocation.
   */
  heldByOther(memberId: string, topicId: string, partition: number, alsoMe?: string): boolean {
    for (const m of this.members.values()) {
      if (m.memberId === memberId || m.memberId === alsoMe) continue;
      if (has(m.assigned, topicId, partition) || has(m.pendingRevocation, topicId, partition)) return true;
    }
    return false;
  }

  memberByInstanceId(instanceId: string): ConsumerGroupMember | undefined {
    for (const m of this.members.values()) if (m.instanceId === instanceId) return m;
    return undefined;
  }

  /** The topics a member subscribes to: its names, and what its regex resolved to. */
  topicsOf(m: { subscribedTopicNames: readonly string[]; subscribedTopicRegex: string | null }): string[] {
    return [...m.subscribedTopicNames, ...(m.subscribedTopicRegex ? this.regexes.get(m.subscribedTopicRegex)?.topics ?? [] : [])];
  }
}
