import type { CoordinatorRecord } from '@dms/coordinator';
import type { GroupShard } from '../../group-shard';
import { downgradeAllowed, upgradeAllowed } from '../../config';
import { Group, Member } from '../../classic/group';
import { groupMetadataRecord } from '../../classic/group-records';
import { encodeGroupMetadataKey } from '../../records';
import { writeErrorCode } from '../../write-errors';
import { EMPTY } from '../assignment';
import { CONSUMER_PROTOCOL_TYPE, decodeAssignment, decodeSubscription, encodeAssignment } from './classic-protocol';
import type { ConsumerGroup } from './consumer-group';
import { metadataHash, type ConsumerGroupManager } from './consumer-group-manager';
import {
  currentAssignmentRecord, currentAssignmentTombstone, groupEpochRecord, memberMetadataRecord, memberMetadataTombstone,
  targetEpochRecord, targetMemberRecord, targetMemberTombstone,
} from './consumer-records';
import { MemberState } from './member';

/**
 * Online conversion between the protocols of a group with members (Kafka's migration of
 * KIP-848, group.consumer.migration.policy):
 *  - upgrade: the first consumer-protocol member of a Stable classic group whose members all use
 *    the `consumer` protocol type turns it into a consumer group; the classic members stay as
 *    members with their ClassicMemberMetadata, their subscriptions and assignments decoded, the
 *    target assignment and epochs those of the classic generation;
 *  - downgrade: when the last consumer-protocol member leaves and only classic members remain,
 *    the group becomes a classic group again (GroupMetadata of the remaining members) and
 *    rebalances.
 */
export class GroupMigration {
  /** Groups whose downgrade records are being written; the classic rebalance starts once replayed. */
  private readonly downgrading = new Set<string>();

  constructor(
    private readonly shard: GroupShard,
    private readonly manager: ConsumerGroupManager,
  ) {}

  private get policy() {
    return this.shard.config.consumerMigrationPolicy;
  }

  /** Why the classic group cannot be upgraded now, or null when it can. */
  private refusal(classic: Group): string | null {
    const id = classic.groupId;
    if (!upgradeAllowed(this.policy)) return `Group ${id} is a classic group and group.consumer.migration.policy (${this.policy}) does not allow upgrades.`;
    if (classic.state !== 'Stable') return `Classic group ${id} is ${classic.state}: it can be upgraded only while Stable.`;
    if (classic.protocolType !== CONSUMER_PROTOCOL_TYPE) return `Classic group ${id} uses protocol type ${classic.protocolType}, not ${CONSUMER_PROTOCOL_TYPE}.`;
    if (classic.members.size >= this.shard.config.consumerMaxSize) return `Group ${id} has reached its maximum size.`;
    return null;
  }

  /**
   * Converts the classic group with members to a consumer group (its classic record tombstoned,
   * its offsets kept). Answers null when converted (or nothing to convert), else why not.
   */
  async upgrade(groupId: string): Promise<string | null> {
    try {
      const refused = await this.shard.write(() => {
        const classic = this.shard.group(groupId);
        if (!classic || classic.isEmpty() || this.manager.groups.get(groupId)) return { records: [], response: null };
        const why = this.refusal(classic);
        if (why) return { records: [], response: why };
        try {
          return { records: this.upgradeRecords(classic), response: null };
        } catch (err) {
          return { records: [], response: `Classic group ${groupId} cannot be upgraded: ${(err as Error).message}` };
        }
      });
      if (refused === null) this.manager.startGroupSessions(groupId);
      return refused;
    } catch (err) {
      const code = writeErrorCode(err, (e) => this.shard.deps.onError?.(e, 'consumer group upgrade failed'));
      return `Group ${groupId} could not be upgraded (error ${code}).`;
    }
  }

  private upgradeRecords(classic: Group): CoordinatorRecord[] {
    const groupId = classic.groupId;
    const topics = this.manager.topics();
    const epoch = classic.generationId;
    const subscribed = new Set<string>();
    const members: CoordinatorRecord[] = [];
    for (const m of classic.members.values()) {
      const sub = decodeSubscription(m.metadataFor(classic.protocolName), topics);
      const assigned = decodeAssignment(m.assignment, topics);
      for (const t of sub.topics) subscribed.add(t);
      members.push(
        memberMetadataRecord(groupId, m.memberId, {
          instanceId: m.groupInstanceId, rackId: sub.rackId, clientId: m.clientId, clientHost: m.clientHost,
          subscribedTopicNames: sub.topics, subscribedTopicRegex: null, rebalanceTimeoutMs: m.rebalanceTimeoutMs, serverAssignor: null,
          classicMemberMetadata: { sessionTimeoutMs: m.sessionTimeoutMs, supportedProtocols: m.protocols.map((p) => ({ name: p.name, metadata: p.metadata })) },
        }),
        targetMemberRecord(groupId, m.memberId, assigned),
        currentAssignmentRecord(groupId, m.memberId, {
          memberEpoch: epoch, previousMemberEpoch: epoch - 1, state: MemberState.STABLE, assigned, pendingRevocation: EMPTY,
        }),
      );
    }
    return [
      { key: encodeGroupMetadataKey(groupId), value: null },
      groupEpochRecord(groupId, epoch, metadataHash(subscribed, topics)),
      ...members,
      targetEpochRecord(groupId, epoch, this.shard.now()),
    ];
  }

  /**
   * The records that take `leaving` out of the group when the remaining members all speak the
   * classic protocol and the policy allows a downgrade: the consumer group's records tombstoned
   * and a classic GroupMetadata of the remaining members. Null when no downgrade applies.
   */
  downgradeRecords(group: ConsumerGroup, leaving: string): CoordinatorRecord[] | null {
    const remaining = [...group.members.values()].filter((m) => m.memberId !== leaving);
    const leaver = group.members.get(leaving);
    if (!downgradeAllowed(this.policy) || remaining.length === 0 || !leaver || leaver.classicMemberMetadata) return null;
    if (!remaining.every((m) => m.classicMemberMetadata) || remaining.length > this.shard.config.maxGroupSize) return null;
    const groupId = group.groupId;
    const topics = this.manager.topics();
    const classic = new Group(groupId, this.shard.partition, this.shard.now(), 'Empty');
    classic.protocolType = CONSUMER_PROTOCOL_TYPE;
    for (const m of remaining) {
      const c = m.classicMemberMetadata!;
      const member = new Member(m.memberId, m.instanceId, m.clientId, m.clientHost, c.sessionTimeoutMs, m.rebalanceTimeoutMs, CONSUMER_PROTOCOL_TYPE, c.supportedProtocols);
      member.assignment = encodeAssignment(m.assigned, topics);
      classic.members.set(m.memberId, member);
    }
    classic.protocolName = classic.selectProtocol();
    if (classic.protocolName === null) return null;
    // The classic generation continues the group epoch, so members' heartbeats match and rebalance.
    classic.generationId = group.groupEpoch;
    classic.leaderId = remaining[0].memberId;
    const tombstones: CoordinatorRecord[] = [];
    for (const m of group.members.keys()) {
      tombstones.push(currentAssignmentTombstone(groupId, m), targetMemberTombstone(groupId, m), memberMetadataTombstone(groupId, m));
    }
    this.downgrading.add(groupId);
    return [...tombstones, ...this.manager.consumerGroupTombstones(group), groupMetadataRecord(classic)];
  }

  /** After a write that may have downgraded the group: the classic group rebalances. */
  finishDowngrade(groupId: string): void {
    if (!this.downgrading.delete(groupId)) return;
    const classic = this.shard.group(groupId);
    if (this.manager.groups.get(groupId) || !classic || classic.isEmpty() || classic.state !== 'Stable') return;
    this.shard.classic.rebalance.prepareRebalance(classic);
  }
}
