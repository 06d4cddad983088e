import { ErrorCode } from '@dms/kafka-errors';
import type { GroupShard } from '../group-shard';
import { writeErrorCode } from '../write-errors';
import type { Group, Member } from './group';
import { groupMetadataRecord } from './group-records';
import { joinError, syncError } from './results';
import type { JoinGroupResult } from '../types';

/**
 * The rebalance machinery of classic groups: the PreparingRebalance -> CompletingRebalance ->
 * Stable phases with their timers (rebalance timeout, Kafka's initial delayed join), session
 * timers of members, the completion of a generation once the leader's assignment is durable, and
 * the GroupMetadata record written for the next load. Timers run on the shard's timer.
 */
export class GroupRebalance {
  constructor(private readonly shard: GroupShard) {}

  private get config() {
    return this.shard.config;
  }


  currentJoinResult(group: Group, member: Member): JoinGroupResult {
    const isLeader = member.memberId === group.leaderId;
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType ?? undefined,
      protocolName: group.protocolName ?? undefined,
      leader: group.leaderId ?? '',
      skipAssignment: false,
      memberId: member.memberId,
      members: isLeader ? this.memberList(group) : [],
    };
  }

  private memberList(group: Group) {
    return [...group.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId ?? undefined,
      metadata: m.metadataFor(group.protocolName),
    }));
  }

  awaitJoin(member: Member): Promise<JoinGroupResult> {
    member.cancelHeartbeat?.();
    member.cancelHeartbeat = undefined;
    member.joinWaiter?.(joinError(ErrorCode.REBALANCE_IN_PROGRESS, member.memberId));
    return new Promise((resolve) => (member.joinWaiter = resolve));
  }

  private setRebalanceTimer(group: Group, delayMs: number, fn: () => void): void {
    group.cancelRebalanceTimer?.();
    group.cancelRebalanceTimer = this.shard.ctx.schedule(delayMs, fn);
  }

  private clearRebalanceTimer(group: Group): void {
    group.cancelRebalanceTimer?.();
    group.cancelRebalanceTimer = undefined;
  }

  prepareRebalance(group: Group): void {
    if (group.state === 'CompletingRebalance') {
      for (const m of group.members.values()) {
        m.syncWaiter?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        m.syncWaiter = undefined;
        m.assignment = Buffer.alloc(0);
      }
    }
    if (group.state === 'PreparingRebalance') return this.tryCompleteJoin(group);
    this.clearRebalanceTimer(group);
    const initial = group.state === 'Empty';
    group.transitionTo('PreparingRebalance', this.shard.now());
    if (initial && this.config.initialRebalanceDelayMs > 0) {
      // Kafka's InitialDelayedJoin: wait for more members, extending while they keep coming.
      const delay = Math.min(this.config.initialRebalanceDelayMs, group.maxRebalanceTimeoutMs());
      group.initialDelay = { remainingMs: group.maxRebalanceTimeoutMs() - delay };
      group.newMemberAdded = false;
      this.setRebalanceTimer(group, delay, () => this.onInitialDelay(group));
      return;
    }
    this.setRebalanceTimer(group, group.maxRebalanceTimeoutMs(), () => this.completeJoin(group));
    this.tryCompleteJoin(group);
  }

  private onInitialDelay(group: Group): void {
    const d = group.initialDelay;
    if (!d || group.state !== 'PreparingRebalance') return;
    if (group.newMemberAdded && d.remainingMs > 0) {
      group.newMemberAdded = false;
      const delay = Math.min(this.config.initialRebalanceDelayMs, d.remainingMs);
      d.remainingMs -= delay;
      this.setRebalanceTimer(group, delay, () => this.onInitialDelay(group));
      return;
    }
    group.initialDelay = undefined;
    this.setRebalanceTimer(group, Math.max(d.remainingMs, 0), () => this.completeJoin(group));
    this.tryCompleteJoin(group);
  }

  tryCompleteJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance' || group.initialDelay) return;
    if (group.allJoined()) this.completeJoin(group);
  }

  private completeJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance') return;
    this.clearRebalanceTimer(group);
    group.initialDelay = undefined;
    // Dynamic members that did not rejoin in time are out; static ones keep their place.
    for (const m of [...group.members.values()]) {
      if (!m.joinWaiter && !m.groupInstanceId) this.removeMember(group, m);
    }
    for (const cancel of group.pendingMembers.values()) cancel();
    group.pendingMembers.clear();
    const joined = [...group.members.values()].filter((m) => m.joinWaiter);
    group.generationId++;
    if (joined.length === 0) {
      for (const m of [...group.members.values()]) this.removeMember(group, m);
      group.protocolName = null;
      group.leaderId = null;
      group.transitionTo('Empty', this.shard.now());
      void this.persistGroup(group);
      return;
    }
    group.protocolName = group.selectProtocol();
    if (!group.leaderId || !group.members.get(group.leaderId)?.joinWaiter) group.leaderId = joined[0].memberId;
    group.transitionTo('CompletingRebalance', this.shard.now());
    for (const m of joined) {
      const res = this.currentJoinResult(group, m);
      const waiter = m.joinWaiter!;
      m.joinWaiter = undefined;
      this.scheduleHeartbeat(group, m);
      waiter(res);
    }
  }

  removeMember(group: Group, m: Member): void {
    m.cancelHeartbeat?.();
    m.cancelHeartbeat = undefined;
    group.members.delete(m.memberId);
    if (m.groupInstanceId && group.staticMembers.get(m.groupInstanceId) === m.memberId) group.staticMembers.delete(m.groupInstanceId);
    m.joinWaiter?.(joinError(ErrorCode.UNKNOWN_MEMBER_ID, m.memberId));
    m.syncWaiter?.(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    m.joinWaiter = m.syncWaiter = undefined;
    if (group.leaderId === m.memberId) group.leaderId = group.members.keys().next().value ?? null;
  }

  /** A member left or died: the others must rebalance. */
  onMembersGone(group: Group): void {
    if (group.state === 'Stable' || group.state === 'CompletingRebalance') this.prepareRebalance(group);
    else if (group.state === 'PreparingRebalance') this.tryCompleteJoin(group);
  }

  /** A member showed it is alive: its session timer restarts. */
  scheduleHeartbeat(group: Group, m: Member): void {
    m.cancelHeartbeat?.();
    m.cancelHeartbeat = undefined;
    // A member waiting in JoinGroup or SyncGroup is alive by definition (Kafka's shouldKeepAlive).
    if (m.joinWaiter || m.syncWaiter) return;
    m.cancelHeartbeat = this.shard.ctx.schedule(m.sessionTimeoutMs, () => {
      if (group.members.get(m.memberId) !== m || m.joinWaiter || m.syncWaiter) return;
      this.removeMember(group, m);
      this.onMembersGone(group);
    });
  }

  /** Session timers of a group rebuilt by a load. */
  startSessions(group: Group): void {
    for (const m of group.members.values()) this.scheduleHeartbeat(group, m);
  }

  /** The group is gone from this shard: its waiting members are answered `errorCode`. */
  dispose(g: Group, errorCode: number): void {
    this.clearRebalanceTimer(g);
    for (const cancel of g.pendingMembers.values()) cancel();
    for (const m of g.members.values()) {
      m.cancelHeartbeat?.();
      m.cancelHeartbeat = undefined;
      m.joinWaiter?.(joinError(errorCode, m.memberId));
      m.syncWaiter?.(syncError(errorCode));
      m.joinWaiter = m.syncWaiter = undefined;
    }
    g.markDead();
  }

  async completeSync(group: Group, assignments: { memberId: string; assignment: Buffer }[]): Promise<void> {
    const generation = group.generationId;
    const given = new Map(assignments.map((a) => [a.memberId, a.assignment]));
    for (const m of group.members.values()) m.assignment = given.get(m.memberId) ?? Buffer.alloc(0);
    const errorCode = await this.persistGroup(group);
    if (group.state !== 'CompletingRebalance' || group.generationId !== generation || this.shard.group(group.groupId) !== group) return;
    if (errorCode !== ErrorCode.NONE) {
      for (const m of group.members.values()) {
        m.syncWaiter?.(syncError(errorCode));
        m.syncWaiter = undefined;
        m.assignment = Buffer.alloc(0);
      }
      this.prepareRebalance(group);
      return;
    }
    group.transitionTo('Stable', this.shard.now());
    for (const m of group.members.values()) {
      const waiter = m.syncWaiter;
      m.syncWaiter = undefined;
      this.scheduleHeartbeat(group, m);
      waiter?.({ errorCode: ErrorCode.NONE, protocolType: group.protocolType ?? undefined, protocolName: group.protocolName ?? undefined, assignment: m.assignment });
    }
  }

  /**
   * Writes the group's GroupMetadata record as it stands now (nothing for a group without a
   * protocol type); answers the error code clients get (NONE once durable).
   */
  persistGroup(group: Group): Promise<number> {
    if (!group.protocolType) return Promise.resolve(ErrorCode.NONE);
    const record = groupMetadataRecord(group);
    return this.shard.write(() => ({ records: [record], response: undefined, replay: false }), { pipelined: true }).then(
      () => ErrorCode.NONE,
      (err: unknown) => writeErrorCode(err, (e) => this.shard.deps.onError?.(e, 'group metadata write failed')),
    );
  }
}
