import { randomUUID } from 'node:crypto';
import { ErrorCode } from '@dms/kafka-errors';
import type { GroupShard } from '../group-shard';
import { Group, Member } from './group';
import { GroupRebalance } from './rebalance';
import { joinError, nz, syncError } from './results';
import type {
  HeartbeatInput, HeartbeatResult, JoinGroupInput, JoinGroupResult, LeaveGroupInput, LeaveGroupResult, SyncGroupInput, SyncGroupResult,
} from '../types';

/**
 * The classic group protocol of one shard (Kafka's GroupCoordinator for classic groups): Empty ->
 * PreparingRebalance -> CompletingRebalance -> Stable, generations, session and rebalance
 * timeouts on the shard's timer, static membership (KIP-345) and the initial rebalance delay.
 * Membership lives in memory; the GroupMetadata record of a completed generation is written for
 * the next load. Ownership of the group is checked by the caller.
 */
export class ClassicGroupManager {
  readonly rebalance: GroupRebalance;

  constructor(private readonly shard: GroupShard) {
    this.rebalance = new GroupRebalance(shard);
  }

  private get config() {
    return this.shard.config;
  }

  // ---- JoinGroup --------------------------------------------------------------------------

  joinGroup(input: JoinGroupInput): Promise<JoinGroupResult> | JoinGroupResult {
    const { minSessionTimeoutMs, maxSessionTimeoutMs } = this.config;
    if (input.sessionTimeoutMs < minSessionTimeoutMs || input.sessionTimeoutMs > maxSessionTimeoutMs) {
      return joinError(ErrorCode.INVALID_SESSION_TIMEOUT, input.memberId);
    }
    // A consumer group (KIP-848) with members takes a classic member as one of its own members;
    // an empty one becomes a classic group first (its offsets kept), as Kafka converts it under
    // every migration policy.
    const consumer = this.shard.consumer.groups.get(input.groupId);
    if (consumer) {
      if (consumer.members.size > 0) return this.shard.consumer.classic.joinGroup(input);
      return this.shard.consumer.convertEmptyToClassic(input.groupId).then((code) => (
        code === ErrorCode.NONE ? this.joinGroup(input) : joinError(code, input.memberId)
      ));
    }
    let group = this.shard.group(input.groupId);
    if (!group) {
      if (input.memberId !== '' && !input.groupInstanceId) return joinError(ErrorCode.UNKNOWN_MEMBER_ID, input.memberId);
      group = this.shard.addGroup(input.groupId);
    }
    if (group.state === 'Dead') return joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, input.memberId);
    if (!group.supportsProtocols(input.protocolType, input.protocols)) return joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, input.memberId);
    const rebalanceTimeoutMs = input.rebalanceTimeoutMs > 0 ? input.rebalanceTimeoutMs : input.sessionTimeoutMs;
    const req = { ...input, rebalanceTimeoutMs };
    if (input.memberId === '' || (input.groupInstanceId && !group.members.has(input.memberId) && !group.pendingMembers.has(input.memberId))) {
      return this.joinUnknownMember(group, req);
    }
    return this.joinKnownMember(group, req);
  }

  private joinUnknownMember(group: Group, input: JoinGroupInput): Promise<JoinGroupResult> | JoinGroupResult {
    const instanceId = nz(input.groupInstanceId);
    const newMemberId = `${instanceId ?? input.clientId}-${randomUUID()}`;
    if (instanceId) {
      const oldId = group.staticMembers.get(instanceId);
      if (oldId !== undefined && group.members.has(oldId)) {
        if (input.memberId !== '' && input.memberId !== oldId) return joinError(ErrorCode.FENCED_INSTANCE_ID, input.memberId);
        return this.replaceStaticMember(group, group.members.get(oldId)!, newMemberId, input);
      }
      return this.addMemberAndRebalance(group, newMemberId, input);
    }
    if (group.members.size >= this.config.maxGroupSize) return joinError(ErrorCode.GROUP_MAX_SIZE_REACHED, input.memberId);
    if (input.requireKnownMemberId) {
      // KIP-394: the client retries with this id, so a lost response does not leave a ghost member.
      group.pendingMembers.set(newMemberId, this.shard.ctx.schedule(input.sessionTimeoutMs, () => {
        group.pendingMembers.delete(newMemberId);
        if (group.state === 'PreparingRebalance') this.rebalance.tryCompleteJoin(group);
      }));
      return joinError(ErrorCode.MEMBER_ID_REQUIRED, newMemberId);
    }
    return this.addMemberAndRebalance(group, newMemberId, input);
  }

  private joinKnownMember(group: Group, input: JoinGroupInput): Promise<JoinGroupResult> | JoinGroupResult {
    const pending = group.pendingMembers.get(input.memberId);
    if (pending) {
      pending();
      group.pendingMembers.delete(input.memberId);
      return this.addMemberAndRebalance(group, input.memberId, input);
    }
    const member = group.members.get(input.memberId);
    if (!member) return joinError(ErrorCode.UNKNOWN_MEMBER_ID, input.memberId);
    if (nz(input.groupInstanceId) !== (member.groupInstanceId ?? undefined) && input.groupInstanceId) {
      return joinError(ErrorCode.FENCED_INSTANCE_ID, input.memberId);
    }
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(group, member, input);
      case 'CompletingRebalance':
        if (member.sameProtocols(input.protocols)) return this.rebalance.currentJoinResult(group, member);
        return this.updateMemberAndRebalance(group, member, input);
      case 'Stable':
        if (member.memberId === group.leaderId || !member.sameProtocols(input.protocols)) return this.updateMemberAndRebalance(group, member, input);
        this.rebalance.scheduleHeartbeat(group, member);
        return this.rebalance.currentJoinResult(group, member);
      default:
        return joinError(ErrorCode.UNKNOWN_MEMBER_ID, input.memberId);
    }
  }

  private addMemberAndRebalance(group: Group, memberId: string, input: JoinGroupInput): Promise<JoinGroupResult> {
    const member = new Member(
      memberId, nz(input.groupInstanceId) ?? null, input.clientId, input.clientHost,
      input.sessionTimeoutMs, input.rebalanceTimeoutMs, input.protocolType, input.protocols,
    );
    if (group.members.size === 0) group.protocolType = input.protocolType;
    group.members.set(memberId, member);
    if (member.groupInstanceId) group.staticMembers.set(member.groupInstanceId, memberId);
    group.leaderId ??= memberId;
    group.newMemberAdded = true;
    const joined = this.rebalance.awaitJoin(member);
    this.rebalance.prepareRebalance(group);
    return joined;
  }

  private updateMemberAndRebalance(group: Group, member: Member, input: JoinGroupInput): Promise<JoinGroupResult> {
    member.protocols = input.protocols;
    member.sessionTimeoutMs = input.sessionTimeoutMs;
    member.rebalanceTimeoutMs = input.rebalanceTimeoutMs;
    member.clientId = input.clientId;
    member.clientHost = input.clientHost;
    const joined = this.rebalance.awaitJoin(member);
    if (group.state === 'PreparingRebalance') this.rebalance.tryCompleteJoin(group);
    else this.rebalance.prepareRebalance(group);
    return joined;
  }

  /**
   * KIP-345: a static member rejoining with a new member id replaces its old incarnation. In a
   * Stable group with unchanged protocols the replacement is answered once its GroupMetadata
   * record is durable; when the write fails the old incarnation is restored and the join
   * answered with the error (Kafka's revert of a static member replacement).
   */
  private replaceStaticMember(group: Group, old: Member, newMemberId: string, input: JoinGroupInput): Promise<JoinGroupResult> | JoinGroupResult {
    const oldId = old.memberId;
    const instanceId = old.groupInstanceId!;
    old.joinWaiter?.(joinError(ErrorCode.FENCED_INSTANCE_ID, oldId));
    old.syncWaiter?.(syncError(ErrorCode.FENCED_INSTANCE_ID));
    old.joinWaiter = old.syncWaiter = undefined;
    group.members.delete(oldId);
    old.memberId = newMemberId;
    group.members.set(newMemberId, old);
    group.staticMembers.set(instanceId, newMemberId);
    const wasLeader = group.leaderId === oldId;
    if (wasLeader) group.leaderId = newMemberId;
    if (group.state !== 'Stable' || !old.sameProtocols(input.protocols)) return this.updateMemberAndRebalance(group, old, input);
    const previous = { sessionTimeoutMs: old.sessionTimeoutMs, rebalanceTimeoutMs: old.rebalanceTimeoutMs };
    old.sessionTimeoutMs = input.sessionTimeoutMs;
    old.rebalanceTimeoutMs = input.rebalanceTimeoutMs;
    this.rebalance.scheduleHeartbeat(group, old);
    return this.rebalance.persistGroup(group).then((errorCode) => {
      if (errorCode === ErrorCode.NONE) {
        const res = this.rebalance.currentJoinResult(group, old);
        // The leader keeps its assignment: it need not compute one again (JoinGroup v9 skipAssignment).
        return { ...res, skipAssignment: newMemberId === group.leaderId };
      }
      if (group.members.get(newMemberId) === old && group.staticMembers.get(instanceId) === newMemberId) {
        group.members.delete(newMemberId);
        old.memberId = oldId;
        group.members.set(oldId, old);
        group.staticMembers.set(instanceId, oldId);
        if (wasLeader && group.leaderId === newMemberId) group.leaderId = oldId;
        old.sessionTimeoutMs = previous.sessionTimeoutMs;
        old.rebalanceTimeoutMs = previous.rebalanceTimeoutMs;
        this.rebalance.scheduleHeartbeat(group, old);
      }
      return {
        errorCode, generationId: group.generationId, protocolType: group.protocolType ?? undefined, protocolName: group.protocolName ?? undefined,
        leader: group.leaderId ?? '', skipAssignment: false, memberId: '', members: [],
      };
    });
  }

  // ---- SyncGroup, Heartbeat, LeaveGroup -------------------------------------------------

  findMember(group: Group | undefined, memberId: string, groupInstanceId: string | undefined): { errorCode: number; member?: Member } {
    if (!group || group.state === 'Dead') return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
    const instanceId = nz(groupInstanceId);
    if (instanceId) {
      const id = group.staticMembers.get(instanceId);
      if (id === undefined) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
      if (id !== memberId) return { errorCode: ErrorCode.FENCED_INSTANCE_ID };
    }
    const member = group.members.get(memberId);
    return member ? { errorCode: ErrorCode.NONE, member } : { errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
  }

  syncGroup(input: SyncGroupInput): Promise<SyncGroupResult> | SyncGroupResult {
    if (this.shard.consumer.groups.get(input.groupId)) return this.shard.consumer.classic.syncGroup(input);
    const group = this.shard.group(input.groupId);
    const found = this.findMember(group, input.memberId, input.groupInstanceId);
    if (!found.member || !group) return syncError(found.errorCode);
    const member = found.member;
    if (input.generationId !== group.generationId) return syncError(ErrorCode.ILLEGAL_GENERATION);
    if ((input.protocolType && input.protocolType !== group.protocolType) || (input.protocolName && input.protocolName !== group.protocolName)) {
      return syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    const answer = (): SyncGroupResult => ({
      errorCode: ErrorCode.NONE,
      protocolType: group.protocolType ?? undefined,
      protocolName: group.protocolName ?? undefined,
      assignment: member.assignment,
    });
    switch (group.state) {
      case 'PreparingRebalance':
        return syncError(ErrorCode.REBALANCE_IN_PROGRESS);
      case 'Stable':
        this.rebalance.scheduleHeartbeat(group, member);
        return answer();
      case 'CompletingRebalance': {
        member.cancelHeartbeat?.();
        member.cancelHeartbeat = undefined;
        member.syncWaiter?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        const synced = new Promise<SyncGroupResult>((resolve) => (member.syncWaiter = resolve));
        if (member.memberId === group.leaderId) void this.rebalance.completeSync(group, input.assignments);
        return synced;
      }
      default:
        return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
    }
  }

  heartbeat(input: HeartbeatInput): HeartbeatResult {
    if (this.shard.consumer.groups.get(input.groupId)) return this.shard.consumer.classic.heartbeat(input);
    const group = this.shard.group(input.groupId);
    const found = this.findMember(group, input.memberId, input.groupInstanceId);
    if (!found.member || !group) return { errorCode: found.errorCode };
    if (input.generationId !== group.generationId) return { errorCode: ErrorCode.ILLEGAL_GENERATION };
    this.rebalance.scheduleHeartbeat(group, found.member);
    if (group.state === 'PreparingRebalance') return { errorCode: ErrorCode.REBALANCE_IN_PROGRESS };
    if (group.state === 'Empty') return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
    return { errorCode: ErrorCode.NONE };
  }

  leaveGroup(input: LeaveGroupInput): LeaveGroupResult | Promise<LeaveGroupResult> {
    if (this.shard.consumer.groups.get(input.groupId)) return this.shard.consumer.classic.leaveGroup(input);
    const group = this.shard.group(input.groupId);
    let left = false;
    const members = input.members.map((lm) => {
      const out = { memberId: lm.memberId, groupInstanceId: lm.groupInstanceId, errorCode: ErrorCode.NONE as number };
      if (!group || group.state === 'Dead') return { ...out, errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
      const instanceId = nz(lm.groupInstanceId);
      let memberId = lm.memberId;
      if (instanceId) {
        const id = group.staticMembers.get(instanceId);
        if (id === undefined) return { ...out, errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
        // The admin client leaves static members by instance id alone (member id "" or unknown).
        if (memberId && memberId !== id) return { ...out, errorCode: ErrorCode.FENCED_INSTANCE_ID };
        memberId = id;
      }
      const pending = group.pendingMembers.get(memberId);
      if (pending) {
        pending();
        group.pendingMembers.delete(memberId);
        left = true;
        return out;
      }
      const member = group.members.get(memberId);
      if (!member) return { ...out, errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
      this.rebalance.removeMember(group, member);
      left = true;
      return out;
    });
    if (group && left) this.rebalance.onMembersGone(group);
    return { errorCode: ErrorCode.NONE, members };
  }
}
