import { randomUUID } from 'node:crypto';
import { ErrorCode } from '@dms/kafka-errors';
import type { OperationResult } from '@dms/coordinator';
import type { GroupShard } from '../../group-shard';
import { joinError, nz, syncError } from '../../classic/results';
import { writeErrorCode } from '../../write-errors';
import type {
  HeartbeatInput, HeartbeatResult, JoinGroupInput, JoinGroupResult, LeaveGroupInput, LeaveGroupResult, SyncGroupInput, SyncGroupResult,
} from '../../types';
import { toWire } from '../assignment';
import { CONSUMER_PROTOCOL_TYPE, decodeSubscription, encodeAssignment, type ClassicSubscription } from './classic-protocol';
import type { ConsumerGroup } from './consumer-group';
import type { ConsumerGroupManager } from './consumer-group-manager';
import { MemberState, newMember, type ConsumerGroupMember } from './member';

/**
 * Classic members inside a consumer group (Kafka's classicGroupJoinToConsumerGroup and its
 * siblings): a JoinGroup is the member's heartbeat — its subscription and owned partitions
 * decoded from ConsumerProtocolSubscription, the group epoch, target assignment and its
 * reconciliation as for any member — answered with its member epoch as the generation; SyncGroup
 * returns its assigned partitions as ConsumerProtocolAssignment; Heartbeat answers
 * REBALANCE_IN_PROGRESS while it has to rejoin to move on; LeaveGroup and its session timeout
 * remove it. The group never waits for a classic leader: the coordinator assigns.
 */
export class ClassicMembers {
  constructor(
    private readonly shard: GroupShard,
    private readonly manager: ConsumerGroupManager,
  ) {}

  /** The protocols every classic member of the group supports (null: no classic member). */
  private commonProtocols(group: ConsumerGroup, except: string): Set<string> | null {
    const lists: string[][] = [];
    for (const m of group.members.values()) {
      if (m.classicMemberMetadata && m.memberId !== except) lists.push(m.classicMemberMetadata.supportedProtocols.map((p) => p.name));
    }
    if (lists.length === 0) return null;
    return new Set(lists[0].filter((name) => lists.every((l) => l.includes(name))));
  }

  async joinGroup(input: JoinGroupInput): Promise<JoinGroupResult> {
    try {
      const res = await this.shard.write(() => this.joinOp(input));
      // The group became classic (downgraded, or emptied and converted) while the join waited.
      if (res === null) return await this.shard.classic.joinGroup(input);
      if (res.errorCode === ErrorCode.NONE) this.manager.afterHeartbeat(input.groupId, res.memberId);
      return res;
    } catch (err) {
      return joinError(writeErrorCode(err, (e) => this.shard.deps.onError?.(e, 'classic join of a consumer group failed')), input.memberId);
    }
  }

  private joinOp(input: JoinGroupInput): OperationResult<JoinGroupResult | null> {
    const none = (code: number, memberId = input.memberId) => ({ records: [], response: joinError(code, memberId) });
    const group = this.manager.groups.get(input.groupId);
    if (!group || group.members.size === 0) return { records: [], response: null };
    if (input.protocolType !== CONSUMER_PROTOCOL_TYPE || input.protocols.length === 0) return none(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const common = this.commonProtocols(group, input.memberId);
    const protocol = input.protocols.find((p) => common === null || common.has(p.name));
    if (!protocol) return none(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    let sub: ClassicSubscription;
    try {
      sub = decodeSubscription(protocol.metadata, this.manager.topics());
    } catch {
      return none(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    const instanceId = nz(input.groupInstanceId) ?? null;
    let memberId = input.memberId;
    if (memberId === '') {
      memberId = `${instanceId ?? input.clientId}-${randomUUID()}`;
      // KIP-394: the client retries with this id (nothing is recorded until it does).
      if (input.requireKnownMemberId && !instanceId) return none(ErrorCode.MEMBER_ID_REQUIRED, memberId);
    }
    if (instanceId) {
      const holder = group.memberByInstanceId(instanceId);
      if (holder && holder.memberId !== memberId) return none(ErrorCode.FENCED_INSTANCE_ID);
    }
    const existing = group.members.get(memberId);
    if (existing && !existing.classicMemberMetadata) return none(ErrorCode.UNKNOWN_MEMBER_ID);
    if (!existing && group.members.size >= this.shard.config.consumerMaxSize) return none(ErrorCode.GROUP_MAX_SIZE_REACHED);
    const member: ConsumerGroupMember = existing ?? newMember(memberId);
    const hb = {
      groupId: input.groupId, memberId, memberEpoch: existing ? existing.memberEpoch : 0, instanceId, rackId: sub.rackId,
      rebalanceTimeoutMs: input.rebalanceTimeoutMs > 0 ? input.rebalanceTimeoutMs : input.sessionTimeoutMs, subscribedTopicNames: sub.topics, subscribedTopicRegex: null, serverAssignor: null,
      topicPartitions: toWire(sub.owned), clientId: input.clientId, clientHost: input.clientHost,
      classicMemberMetadata: { sessionTimeoutMs: input.sessionTimeoutMs, supportedProtocols: input.protocols.map((p) => ({ name: p.name, metadata: p.metadata })) },
    };
    const out = this.manager.finishHeartbeat(hb, group, member, [], { owned: sub.owned });
    return {
      records: out.records,
      response: {
        errorCode: ErrorCode.NONE, generationId: out.response.memberEpoch, protocolType: CONSUMER_PROTOCOL_TYPE, protocolName: protocol.name,
        leader: '', skipAssignment: false, memberId, members: [],
      },
    };
  }

  /** The classic member of the request, or the error a classic client gets. */
  private member(groupId: string, memberId: string, groupInstanceId: string | undefined): { errorCode: number; group?: ConsumerGroup; member?: ConsumerGroupMember } {
    const group = this.manager.groups.get(groupId);
    const member = group?.members.get(memberId);
    if (!group || !member || !member.classicMemberMetadata) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
    const instanceId = nz(groupInstanceId);
    if (instanceId && member.instanceId !== instanceId) return { errorCode: ErrorCode.FENCED_INSTANCE_ID };
    return { errorCode: ErrorCode.NONE, group, member };
  }

  syncGroup(input: SyncGroupInput): SyncGroupResult {
    const { errorCode, member } = this.member(input.groupId, input.memberId, input.groupInstanceId);
    if (!member) return syncError(errorCode);
    if (input.generationId !== member.memberEpoch) return syncError(ErrorCode.ILLEGAL_GENERATION);
    const protocols = member.classicMemberMetadata!.supportedProtocols;
    if ((input.protocolType && input.protocolType !== CONSUMER_PROTOCOL_TYPE) || (input.protocolName && !protocols.some((p) => p.name === input.protocolName))) {
      return syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    this.manager.afterHeartbeat(input.groupId, member.memberId);
    return {
      errorCode: ErrorCode.NONE,
      protocolType: CONSUMER_PROTOCOL_TYPE,
      protocolName: input.protocolName || protocols[0]?.name,
      assignment: encodeAssignment(member.assigned, this.manager.topics()),
    };
  }

  heartbeat(input: HeartbeatInput): HeartbeatResult {
    const { errorCode, group, member } = this.member(input.groupId, input.memberId, input.groupInstanceId);
    if (!member || !group) return { errorCode };
    if (input.generationId !== member.memberEpoch) return { errorCode: ErrorCode.ILLEGAL_GENERATION };
    this.manager.afterHeartbeat(input.groupId, member.memberId);
    // It moves towards its target only by rejoining: when the group moved on or it is mid-way.
    if (member.state !== MemberState.STABLE || member.memberEpoch !== group.groupEpoch) return { errorCode: ErrorCode.REBALANCE_IN_PROGRESS };
    return { errorCode: ErrorCode.NONE };
  }

  async leaveGroup(input: LeaveGroupInput): Promise<LeaveGroupResult> {
    const members: LeaveGroupResult['members'] = [];
    for (const lm of input.members) {
      const out = { memberId: lm.memberId, groupInstanceId: lm.groupInstanceId, errorCode: ErrorCode.NONE as number };
      try {
        out.errorCode = await this.shard.write(() => {
          const group = this.manager.groups.get(input.groupId);
          const instanceId = nz(lm.groupInstanceId);
          const member = instanceId ? group?.memberByInstanceId(instanceId) : group?.members.get(lm.memberId);
          if (!group || !member) return { records: [], response: ErrorCode.UNKNOWN_MEMBER_ID };
          if (instanceId && lm.memberId && lm.memberId !== member.memberId) return { records: [], response: ErrorCode.FENCED_INSTANCE_ID };
          return { records: this.manager.removalRecords(group, member.memberId), response: ErrorCode.NONE };
        }).finally(() => this.manager.migration.finishDowngrade(input.groupId));
      } catch (err) {
        out.errorCode = writeErrorCode(err, (e) => this.shard.deps.onError?.(e, 'leaving a consumer group failed'));
      }
      members.push(out);
    }
    return { errorCode: ErrorCode.NONE, members };
  }
}
