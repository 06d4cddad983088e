import { fromWire, type WireTopicPartitions } from '../assignment';
import { ConsumerGroup } from './consumer-group';
import { newMember, type MemberMetadata, type MemberStateValue } from './member';

/** The consumer groups of one shard, changed only by replaying their records. */
export class ConsumerGroups {
  readonly groups = new Map<string, ConsumerGroup>();

  get(groupId: string): ConsumerGroup | undefined {
    return this.groups.get(groupId);
  }

  private getOrCreate(groupId: string): ConsumerGroup {
    let g = this.groups.get(groupId);
    if (!g) this.groups.set(groupId, (g = new ConsumerGroup(groupId)));
    return g;
  }

  replayGroupMetadata(groupId: string, value: { epoch: number; metadataHash: bigint } | null): void {
    if (!value) {
      const g = this.groups.get(groupId);
      if (g) for (const cancel of g.timers.values()) cancel();
      this.groups.delete(groupId);
      return;
    }
    const g = this.getOrCreate(groupId);
    g.groupEpoch = value.epoch;
    g.metadataHash = value.metadataHash;
  }

  replayMemberMetadata(groupId: string, memberId: string, value: MemberMetadata | null): void {
    if (!value) {
      const g = this.groups.get(groupId);
      g?.members.delete(memberId);
      g?.timers.get(memberId)?.();
      g?.timers.delete(memberId);
      return;
    }
    const g = this.getOrCreate(groupId);
    const m = g.members.get(memberId) ?? newMember(memberId);
    g.members.set(memberId, {
      ...m,
      instanceId: value.instanceId, rackId: value.rackId, clientId: value.clientId, clientHost: value.clientHost,
      subscribedTopicNames: value.subscribedTopicNames, subscribedTopicRegex: value.subscribedTopicRegex,
      rebalanceTimeoutMs: value.rebalanceTimeoutMs, serverAssignor: value.serverAssignor,
      classicMemberMetadata: value.classicMemberMetadata ?? null,
    });
  }

  replayTargetEpoch(groupId: string, value: { assignmentEpoch: number } | null): void {
    if (!value) return;
    this.getOrCreate(groupId).assignmentEpoch = value.assignmentEpoch;
  }

  replayTargetMember(groupId: string, memberId: string, value: { topicPartitions: WireTopicPartitions[] } | null): void {
    if (!value) {
      this.groups.get(groupId)?.target.delete(memberId);
      return;
    }
    this.getOrCreate(groupId).target.set(memberId, fromWire(value.topicPartitions));
  }

  replayRegex(groupId: string, regex: string, value: { topics: string[]; version: bigint } | null): void {
    if (!value) {
      this.groups.get(groupId)?.regexes.delete(regex);
      return;
    }
    this.getOrCreate(groupId).regexes.set(regex, { topics: [...value.topics].sort(), version: value.version });
  }

  replayCurrentAssignment(groupId: string, memberId: string, value: {
    memberEpoch: number; previousMemberEpoch: number; state: number;
    assignedPartitions: WireTopicPartitions[]; partitionsPendingRevocation: WireTopicPartitions[];
  } | null): void {
    const g = this.groups.get(groupId);
    const m = g?.members.get(memberId);
    if (!g || !m) return;
    if (!value) {
      g.members.set(memberId, { ...m, memberEpoch: 0, previousMemberEpoch: -1, assigned: new Map(), pendingRevocation: new Map() });
      return;
    }
    g.members.set(memberId, {
      ...m,
      memberEpoch: value.memberEpoch,
      previousMemberEpoch: value.previousMemberEpoch,
      state: value.state as MemberStateValue,
      assigned: fromWire(value.assignedPartitions),
      pendingRevocation: fromWire(value.partitionsPendingRevocation),
    });
  }
}
