import { randomUUID } from 'node:crypto';
import { ErrorCode } from '@dms/kafka-errors';
import { defaultGroupConfig, type GroupCoordinatorConfig } from './config';
import { Group, Member } from './group';
import { groupPartition } from './placement';
import type { AppendOutcome, CoordinatorLog, CoordinatorRecord, ReplayEntry, TxnProducer } from './coordinator-log';
import { coordinatorErrorFor, OffsetManager, type TxnMarker } from './offset-manager';
import { PartitionReplay } from './partition-replay';
import {
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  type GroupMetadataValue,
} from './records';
import {
  GROUP_STATES,
  type DeleteGroupResult,
  type DescribedGroup,
  type HeartbeatInput,
  type HeartbeatResult,
  type JoinGroupInput,
  type JoinGroupResult,
  type LeaveGroupInput,
  type LeaveGroupResult,
  type ListGroupsResult,
  type OffsetCommitInput,
  type OffsetCommitResult,
  type OffsetDeleteInput,
  type OffsetDeleteResult,
  type OffsetFetchInput,
  type OffsetFetchResult,
  type SyncGroupInput,
  type SyncGroupResult,
  type TxnOffsetCommitInput,
  type TxnOffsetCommitResult,
} from './types';

export interface GroupCoordinatorOptions {
  log: CoordinatorLog;
  /** Partition count of __consumer_offsets, or 0 while it does not exist. */
  numPartitions: () => number;
  config?: Partial<GroupCoordinatorConfig>;
  now?: () => number;
  onError?: (err: unknown, what: string) => void;
}

/** Markers that reach a partition while it loads are applied once the replay is done. */
type PartitionState = { state: 'loading' | 'active'; epoch: number; markers: TxnMarker[] };

const joinError = (errorCode: number, memberId = ''): JoinGroupResult => ({
  errorCode, generationId: -1, leader: '', skipAssignment: false, memberId, members: [],
});
const syncError = (errorCode: number): SyncGroupResult => ({ errorCode, assignment: Buffer.alloc(0) });
const nz = (s: string | null | undefined): string | undefined => (s === null || s === undefined || s === '' ? undefined : s);

/**
 * The classic group coordinator of one broker: the groups of every __consumer_offsets partition
 * this broker leads. Pure state machine over a CoordinatorLog port; the broker feeds it partition
 * loads and unloads as leadership moves. Follows Kafka's GroupCoordinator: Empty ->
 * PreparingRebalance -> CompletingRebalance -> Stable, generations, session and rebalance timeouts.
 */
export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private readonly partitions = new Map<number, PartitionState>();
  private readonly config: GroupCoordinatorConfig;
  private readonly now: () => number;
  private expiryTimer: NodeJS.Timeout | undefined;
  private readonly offsets: OffsetManager;

  constructor(private readonly opts: GroupCoordinatorOptions) {
    this.config = { ...defaultGroupConfig, ...(opts.config ?? {}) };
    this.now = opts.now ?? Date.now;
    this.offsets = new OffsetManager({
      config: this.config,
      now: () => this.nowBig(),
      ownership: (groupId) => this.ownership(groupId),
      group: (groupId) => this.groups.get(groupId),
      addGroup: (groupId, partition) => {
        const g = new Group(groupId, partition, this.nowBig());
        this.groups.set(groupId, g);
        return g;
      },
      groupsOf: (partition) => [...this.groups.values()].filter((g) => g.partition === partition),
      findMember: (group, memberId, groupInstanceId) => this.findMember(group, memberId, groupInstanceId),
      memberAlive: (group, member) => this.scheduleHeartbeat(group, member),
      append: (partition, records, txn) => this.appendAt(partition, records, txn),
    });
  }

  private nowBig(): bigint {
    return BigInt(this.now());
  }

  start(): void {
    this.expiryTimer = setInterval(() => void this.expireOffsets().catch((e) => this.opts.onError?.(e, 'offset expiry')), this.config.retentionCheckIntervalMs);
    this.expiryTimer.unref();
  }

  close(): void {
    clearInterval(this.expiryTimer);
    for (const p of [...this.partitions.keys()]) this.unloadPartition(p);
  }

  // ---- ownership and loading -------------------------------------------------------------

  /** NONE when this coordinator serves the group now; else NOT_COORDINATOR or LOAD_IN_PROGRESS. */
  ownership(groupId: string): { errorCode: number; partition: number } {
    const n = this.opts.numPartitions();
    if (n <= 0) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, partition: -1 };
    const partition = groupPartition(groupId, n);
    const p = this.partitions.get(partition);
    if (!p) return { errorCode: ErrorCode.NOT_COORDINATOR, partition };
    if (p.state === 'loading') return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, partition };
    return { errorCode: ErrorCode.NONE, partition };
  }

  isLoaded(partition: number, epoch?: number): boolean {
    const p = this.partitions.get(partition);
    return p !== undefined && (epoch === undefined || p.epoch === epoch);
  }

  loadedPartitions(): number[] {
    return [...this.partitions.keys()];
  }

  /**
   * Rebuilds the groups of `partition` from its records (oldest first), answering
   * COORDINATOR_LOAD_IN_PROGRESS meanwhile. A later unload or reload wins over this one.
   */
  async loadPartition(partition: number, epoch: number, entries: AsyncIterable<ReplayEntry>): Promise<void> {
    if (this.partitions.has(partition)) this.unloadPartition(partition);
    const mine: PartitionState = { state: 'loading', epoch, markers: [] };
    this.partitions.set(partition, mine);
    const replay = new PartitionReplay();
    for await (const entry of entries) {
      if (this.partitions.get(partition) !== mine) return;
      try {
        replay.apply(entry);
      } catch (err) {
        // One unreadable record must not make every group of the partition unavailable.
        this.opts.onError?.(err, `skipping an unreadable record of partition ${partition}`);
      }
    }
    if (this.partitions.get(partition) !== mine) return;
    for (const r of replay.groups()) {
      const group = new Group(r.groupId, partition, this.nowBig());
      for (const { topic, partition: p, ...o } of r.offsets) group.setOffset(topic, p, o);
      group.pendingTxnOffsets = r.pending;
      if (r.metadata) this.restoreGroup(group, r.metadata);
      this.groups.set(r.groupId, group);
    }
    mine.state = 'active';
    for (const m of mine.markers.splice(0)) this.offsets.completeTxn(partition, m);
  }

  /**
   * A COMMIT or ABORT marker of `producerId`'s transaction was written (and replicated) at
   * `offset` of `partition`: the producer's pending offsets of that partition's groups written
   * before it become committed, or are dropped. Markers are idempotent: replaying one twice
   * finds nothing left to do.
   */
  onTxnMarker(partition: number, producerId: bigint, committed: boolean, offset: bigint): void {
    const p = this.partitions.get(partition);
    if (!p) return; // Not ours: whoever loads the partition replays the marker from the log.
    const marker = { producerId, committed, offset };
    if (p.state === 'loading') p.markers.push(marker);
    else this.offsets.completeTxn(partition, marker);
  }

  /** Drops every group of `partition`: another broker coordinates them now. */
  unloadPartition(partition: number): void {
    this.partitions.delete(partition);
    for (const [id, g] of this.groups) {
      if (g.partition !== partition) continue;
      this.groups.delete(id);
      this.dispose(g, ErrorCode.NOT_COORDINATOR);
    }
  }

  private restoreGroup(group: Group, meta: GroupMetadataValue): void {
    group.protocolType = meta.protocolType || null;
    group.protocolName = meta.protocol;
    group.generationId = meta.generation;
    group.leaderId = meta.leader;
    if (meta.currentStateTimestamp >= 0n) group.currentStateTimestamp = meta.currentStateTimestamp;
    for (const m of meta.members) {
      const member = new Member(
        m.memberId, m.groupInstanceId, m.clientId, m.clientHost, m.sessionTimeoutMs, m.rebalanceTimeoutMs,
        meta.protocolType, [{ name: meta.protocol ?? '', metadata: m.subscription }],
      );
      member.assignment = m.assignment;
      member.isNew = false;
      group.members.set(m.memberId, member);
      if (m.groupInstanceId) group.staticMembers.set(m.groupInstanceId, m.memberId);
    }
    // Members keep their assignment if they heartbeat within their session timeout.
    group.state = group.members.size > 0 ? 'Stable' : 'Empty';
    for (const m of group.members.values()) this.scheduleHeartbeat(group, m);
  }

  private dispose(g: Group, errorCode: number): void {
    clearTimeout(g.rebalanceTimer);
    for (const t of g.pendingMembers.values()) clearTimeout(t);
    for (const m of g.members.values()) {
      clearTimeout(m.heartbeatTimer);
      m.joinWaiter?.(joinError(errorCode, m.memberId));
      m.syncWaiter?.(syncError(errorCode));
      m.joinWaiter = m.syncWaiter = undefined;
    }
    g.state = 'Dead';
  }

  // ---- JoinGroup --------------------------------------------------------------------------

  async joinGroup(input: JoinGroupInput): Promise<JoinGroupResult> {
    if (!input.groupId) return joinError(ErrorCode.INVALID_GROUP_ID, input.memberId);
    const own = this.ownership(input.groupId);
    if (own.errorCode !== ErrorCode.NONE) return joinError(own.errorCode, input.memberId);
    const { minSessionTimeoutMs, maxSessionTimeoutMs } = this.config;
    if (input.sessionTimeoutMs < minSessionTimeoutMs || input.sessionTimeoutMs > maxSessionTimeoutMs) {
      return joinError(ErrorCode.INVALID_SESSION_TIMEOUT, input.memberId);
    }
    let group = this.groups.get(input.groupId);
    if (!group) {
      if (input.memberId !== '' && !input.groupInstanceId) return joinError(ErrorCode.UNKNOWN_MEMBER_ID, input.memberId);
      group = new Group(input.groupId, own.partition, this.nowBig());
      this.groups.set(input.groupId, group);
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
      group.pendingMembers.set(newMemberId, setTimeout(() => {
        group.pendingMembers.delete(newMemberId);
        if (group.state === 'PreparingRebalance') this.tryCompleteJoin(group);
      }, input.sessionTimeoutMs).unref());
      return joinError(ErrorCode.MEMBER_ID_REQUIRED, newMemberId);
    }
    return this.addMemberAndRebalance(group, newMemberId, input);
  }

  private joinKnownMember(group: Group, input: JoinGroupInput): Promise<JoinGroupResult> | JoinGroupResult {
    if (group.pendingMembers.has(input.memberId)) {
      clearTimeout(group.pendingMembers.get(input.memberId));
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
        if (member.sameProtocols(input.protocols)) return this.currentJoinResult(group, member);
        return this.updateMemberAndRebalance(group, member, input);
      case 'Stable':
        if (member.memberId === group.leaderId || !member.sameProtocols(input.protocols)) return this.updateMemberAndRebalance(group, member, input);
        this.scheduleHeartbeat(group, member);
        return this.currentJoinResult(group, member);
      default:
        return joinError(ErrorCode.UNKNOWN_MEMBER_ID, input.memberId);
    }
  }

  private currentJoinResult(group: Group, member: Member): JoinGroupResult {
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
    const joined = this.awaitJoin(member);
    this.prepareRebalance(group);
    return joined;
  }

  private updateMemberAndRebalance(group: Group, member: Member, input: JoinGroupInput): Promise<JoinGroupResult> {
    member.protocols = input.protocols;
    member.sessionTimeoutMs = input.sessionTimeoutMs;
    member.rebalanceTimeoutMs = input.rebalanceTimeoutMs;
    member.clientId = input.clientId;
    member.clientHost = input.clientHost;
    const joined = this.awaitJoin(member);
    if (group.state === 'PreparingRebalance') this.tryCompleteJoin(group);
    else this.prepareRebalance(group);
    return joined;
  }

  /** KIP-345: a static member rejoining with a new member id replaces its old incarnation. */
  private replaceStaticMember(group: Group, old: Member, newMemberId: string, input: JoinGroupInput): Promise<JoinGroupResult> | JoinGroupResult {
    const oldId = old.memberId;
    old.joinWaiter?.(joinError(ErrorCode.FENCED_INSTANCE_ID, oldId));
    old.syncWaiter?.(syncError(ErrorCode.FENCED_INSTANCE_ID));
    old.joinWaiter = old.syncWaiter = undefined;
    group.members.delete(oldId);
    old.memberId = newMemberId;
    group.members.set(newMemberId, old);
    group.staticMembers.set(old.groupInstanceId!, newMemberId);
    if (group.leaderId === oldId) group.leaderId = newMemberId;
    if (group.state === 'Stable' && old.sameProtocols(input.protocols)) {
      old.sessionTimeoutMs = input.sessionTimeoutMs;
      old.rebalanceTimeoutMs = input.rebalanceTimeoutMs;
      this.scheduleHeartbeat(group, old);
      void this.persistGroup(group).catch(() => undefined);
      const res = this.currentJoinResult(group, old);
      // The leader keeps its assignment: it need not compute one again (JoinGroup v9 skipAssignment).
      return { ...res, skipAssignment: newMemberId === group.leaderId };
    }
    return this.updateMemberAndRebalance(group, old, input);
  }

  private awaitJoin(member: Member): Promise<JoinGroupResult> {
    clearTimeout(member.heartbeatTimer);
    member.joinWaiter?.(joinError(ErrorCode.REBALANCE_IN_PROGRESS, member.memberId));
    return new Promise((resolve) => (member.joinWaiter = resolve));
  }

  private prepareRebalance(group: Group): void {
    if (group.state === 'CompletingRebalance') {
      for (const m of group.members.values()) {
        m.syncWaiter?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        m.syncWaiter = undefined;
        m.assignment = Buffer.alloc(0);
      }
    }
    if (group.state === 'PreparingRebalance') return this.tryCompleteJoin(group);
    clearTimeout(group.rebalanceTimer);
    const initial = group.state === 'Empty';
    group.transition('PreparingRebalance', this.nowBig());
    if (initial && this.config.initialRebalanceDelayMs > 0) {
      // Kafka's InitialDelayedJoin: wait for more members, extending while they keep coming.
      const delay = Math.min(this.config.initialRebalanceDelayMs, group.maxRebalanceTimeoutMs());
      group.initialDelay = { remainingMs: group.maxRebalanceTimeoutMs() - delay };
      group.newMemberAdded = false;
      group.rebalanceTimer = setTimeout(() => this.onInitialDelay(group), delay);
      return;
    }
    group.rebalanceTimer = setTimeout(() => this.completeJoin(group), group.maxRebalanceTimeoutMs());
    this.tryCompleteJoin(group);
  }

  private onInitialDelay(group: Group): void {
    const d = group.initialDelay;
    if (!d || group.state !== 'PreparingRebalance') return;
    if (group.newMemberAdded && d.remainingMs > 0) {
      group.newMemberAdded = false;
      const delay = Math.min(this.config.initialRebalanceDelayMs, d.remainingMs);
      d.remainingMs -= delay;
      group.rebalanceTimer = setTimeout(() => this.onInitialDelay(group), delay);
      return;
    }
    group.initialDelay = undefined;
    group.rebalanceTimer = setTimeout(() => this.completeJoin(group), Math.max(d.remainingMs, 0));
    this.tryCompleteJoin(group);
  }

  private tryCompleteJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance' || group.initialDelay) return;
    if (group.allJoined()) this.completeJoin(group);
  }

  private completeJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance') return;
    clearTimeout(group.rebalanceTimer);
    group.initialDelay = undefined;
    // Dynamic members that did not rejoin in time are out; static ones keep their place.
    for (const m of [...group.members.values()]) {
      if (!m.joinWaiter && !m.groupInstanceId) this.removeMember(group, m);
    }
    for (const t of group.pendingMembers.values()) clearTimeout(t);
    group.pendingMembers.clear();
    const joined = [...group.members.values()].filter((m) => m.joinWaiter);
    group.generationId++;
    if (joined.length === 0) {
      for (const m of [...group.members.values()]) this.removeMember(group, m);
      group.protocolName = null;
      group.leaderId = null;
      group.transition('Empty', this.nowBig());
      void this.persistGroup(group).catch(() => undefined);
      return;
    }
    group.protocolName = group.selectProtocol();
    if (!group.leaderId || !group.members.get(group.leaderId)?.joinWaiter) group.leaderId = joined[0].memberId;
    group.transition('CompletingRebalance', this.nowBig());
    for (const m of joined) {
      const res = this.currentJoinResult(group, m);
      const waiter = m.joinWaiter!;
      m.joinWaiter = undefined;
      m.isNew = false;
      this.scheduleHeartbeat(group, m);
      waiter(res);
    }
  }

  private removeMember(group: Group, m: Member): void {
    clearTimeout(m.heartbeatTimer);
    group.members.delete(m.memberId);
    if (m.groupInstanceId && group.staticMembers.get(m.groupInstanceId) === m.memberId) group.staticMembers.delete(m.groupInstanceId);
    m.joinWaiter?.(joinError(ErrorCode.UNKNOWN_MEMBER_ID, m.memberId));
    m.syncWaiter?.(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    m.joinWaiter = m.syncWaiter = undefined;
    if (group.leaderId === m.memberId) group.leaderId = group.members.keys().next().value ?? null;
  }

  /** A member left or died: the others must rebalance. */
  private onMembersGone(group: Group): void {
    if (group.state === 'Stable' || group.state === 'CompletingRebalance') this.prepareRebalance(group);
    else if (group.state === 'PreparingRebalance') this.tryCompleteJoin(group);
  }

  private scheduleHeartbeat(group: Group, m: Member): void {
    clearTimeout(m.heartbeatTimer);
    // A member waiting in JoinGroup or SyncGroup is alive by definition (Kafka's shouldKeepAlive).
    if (m.joinWaiter || m.syncWaiter) return;
    m.heartbeatTimer = setTimeout(() => {
      if (group.members.get(m.memberId) !== m || m.joinWaiter || m.syncWaiter) return;
      this.removeMember(group, m);
      this.onMembersGone(group);
    }, m.sessionTimeoutMs);
  }

  // ---- SyncGroup, Heartbeat, LeaveGroup -------------------------------------------------

  private findMember(group: Group | undefined, memberId: string, groupInstanceId: string | undefined): { errorCode: number; member?: Member } {
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

  async syncGroup(input: SyncGroupInput): Promise<SyncGroupResult> {
    const own = this.ownership(input.groupId);
    if (own.errorCode !== ErrorCode.NONE) return syncError(own.errorCode);
    const group = this.groups.get(input.groupId);
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
        this.scheduleHeartbeat(group, member);
        return answer();
      case 'CompletingRebalance': {
        clearTimeout(member.heartbeatTimer);
        member.syncWaiter?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        const synced = new Promise<SyncGroupResult>((resolve) => (member.syncWaiter = resolve));
        if (member.memberId === group.leaderId) void this.completeSync(group, input.assignments);
        return synced;
      }
      default:
        return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
    }
  }

  private async completeSync(group: Group, assignments: { memberId: string; assignment: Buffer }[]): Promise<void> {
    const generation = group.generationId;
    const given = new Map(assignments.map((a) => [a.memberId, a.assignment]));
    for (const m of group.members.values()) m.assignment = given.get(m.memberId) ?? Buffer.alloc(0);
    const errorCode = await this.persistGroup(group);
    if (group.state !== 'CompletingRebalance' || group.generationId !== generation || this.groups.get(group.groupId) !== group) return;
    if (errorCode !== ErrorCode.NONE) {
      for (const m of group.members.values()) {
        m.syncWaiter?.(syncError(errorCode));
        m.syncWaiter = undefined;
        m.assignment = Buffer.alloc(0);
      }
      this.prepareRebalance(group);
      return;
    }
    group.transition('Stable', this.nowBig());
    for (const m of group.members.values()) {
      const waiter = m.syncWaiter;
      m.syncWaiter = undefined;
      this.scheduleHeartbeat(group, m);
      waiter?.({ errorCode: ErrorCode.NONE, protocolType: group.protocolType ?? undefined, protocolName: group.protocolName ?? undefined, assignment: m.assignment });
    }
  }

  heartbeat(input: HeartbeatInput): HeartbeatResult {
    const own = this.ownership(input.groupId);
    if (own.errorCode !== ErrorCode.NONE) return { errorCode: own.errorCode };
    const group = this.groups.get(input.groupId);
    const found = this.findMember(group, input.memberId, input.groupInstanceId);
    if (!found.member || !group) return { errorCode: found.errorCode };
    if (input.generationId !== group.generationId) return { errorCode: ErrorCode.ILLEGAL_GENERATION };
    this.scheduleHeartbeat(group, found.member);
    if (group.state === 'PreparingRebalance') return { errorCode: ErrorCode.REBALANCE_IN_PROGRESS };
    if (group.state === 'Empty') return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
    return { errorCode: ErrorCode.NONE };
  }

  leaveGroup(input: LeaveGroupInput): LeaveGroupResult {
    const own = this.ownership(input.groupId);
    if (own.errorCode !== ErrorCode.NONE) return { errorCode: own.errorCode, members: [] };
    const group = this.groups.get(input.groupId);
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
      if (group.pendingMembers.has(memberId)) {
        clearTimeout(group.pendingMembers.get(memberId));
        group.pendingMembers.delete(memberId);
        left = true;
        return out;
      }
      const member = group.members.get(memberId);
      if (!member) return { ...out, errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
      this.removeMember(group, member);
      left = true;
      return out;
    });
    if (group && left) this.onMembersGone(group);
    return { errorCode: ErrorCode.NONE, members };
  }

  // ---- offsets (OffsetManager) -------------------------------------------------------------

  offsetCommit(input: OffsetCommitInput): Promise<OffsetCommitResult> {
    return this.offsets.offsetCommit(input);
  }

  txnOffsetCommit(input: TxnOffsetCommitInput): Promise<TxnOffsetCommitResult> {
    return this.offsets.txnOffsetCommit(input);
  }

  offsetFetch(input: OffsetFetchInput): OffsetFetchResult {
    return this.offsets.offsetFetch(input);
  }

  offsetDelete(input: OffsetDeleteInput): Promise<OffsetDeleteResult> {
    return this.offsets.offsetDelete(input);
  }

  // ---- administration ---------------------------------------------------------------------

  describeGroups(groupIds: string[]): DescribedGroup[] {
    return groupIds.map((groupId) => {
      const base = { groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
      const own = this.ownership(groupId);
      if (own.errorCode !== ErrorCode.NONE) return { ...base, errorCode: own.errorCode, groupState: '' };
      const g = this.groups.get(groupId);
      if (!g) return { ...base, errorCode: ErrorCode.NONE };
      const stable = g.state === 'Stable';
      return {
        errorCode: ErrorCode.NONE,
        groupId,
        groupState: g.state,
        protocolType: g.protocolType ?? '',
        protocolData: stable ? g.protocolName ?? '' : '',
        members: [...g.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId ?? undefined,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: stable ? m.metadataFor(g.protocolName) : Buffer.alloc(0),
          memberAssignment: stable ? m.assignment : Buffer.alloc(0),
        })),
      };
    });
  }

  listGroups(statesFilter: string[]): ListGroupsResult {
    const wanted = new Set(statesFilter.map((s) => s.toLowerCase()));
    const loading = [...this.partitions.values()].some((p) => p.state === 'loading');
    const groups = [];
    for (const g of this.groups.values()) {
      if (this.partitions.get(g.partition)?.state !== 'active') continue;
      if (wanted.size > 0 && !wanted.has(g.state.toLowerCase())) continue;
      groups.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state });
    }
    return { errorCode: loading ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE, groups };
  }

  async deleteGroups(groupIds: string[]): Promise<DeleteGroupResult[]> {
    return Promise.all(groupIds.map(async (groupId) => {
      const own = this.ownership(groupId);
      if (own.errorCode !== ErrorCode.NONE) return { groupId, errorCode: own.errorCode };
      const g = this.groups.get(groupId);
      if (!g || g.state === 'Dead') return { groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND };
      if (!g.isEmpty() || g.state !== 'Empty') return { groupId, errorCode: ErrorCode.NON_EMPTY_GROUP };
      const errorCode = await this.removeGroup(g);
      return { groupId, errorCode };
    }));
  }

  /**
   * Tombstones for every offset (those of open transactions too, so a reload drops them as this
   * does) and the group itself; the group is gone once they commit.
   */
  private async removeGroup(g: Group): Promise<number> {
    const partitions = new Map([...g.offsets.values(), ...g.pendingTxnOffsets.partitions()].map((o) => [`${o.topic}\0${o.partition}`, o]));
    const records = [...partitions.values()].map((o) => ({ key: encodeOffsetCommitKey(g.groupId, o.topic, o.partition), value: null }));
    records.push({ key: encodeGroupMetadataKey(g.groupId), value: null });
    g.state = 'Dead';
    const errorCode = coordinatorErrorFor(await this.append(g.partition, records));
    if (errorCode !== ErrorCode.NONE) {
      g.state = 'Empty';
      return errorCode;
    }
    if (this.groups.get(g.groupId) === g) this.groups.delete(g.groupId);
    this.dispose(g, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    return ErrorCode.NONE;
  }

  /**
   * Expires offsets of groups that have been empty for offsets.retention.minutes (or, for
   * groups without a protocol, offsets committed that long ago), and removes groups left empty
   * with no offsets.
   */
  async expireOffsets(): Promise<void> {
    const now = this.nowBig();
    const retention = BigInt(this.config.offsetsRetentionMs);
    for (const g of [...this.groups.values()]) {
      if (g.state !== 'Empty' || this.partitions.get(g.partition)?.state !== 'active') continue;
      // Offsets of an open transaction decide later whether the group keeps offsets.
      if (g.pendingTxnOffsets.size > 0) continue;
      const expired = [...g.offsets.values()].filter((o) => (g.protocolType ? g.currentStateTimestamp : o.commitTimestamp) + retention <= now);
      if (expired.length === g.offsets.size) {
        if (g.currentStateTimestamp + retention <= now || g.offsets.size > 0) await this.removeGroup(g);
        continue;
      }
      if (expired.length === 0) continue;
      const records = expired.map((o) => ({ key: encodeOffsetCommitKey(g.groupId, o.topic, o.partition), value: null }));
      if ((await this.append(g.partition, records)) === ErrorCode.NONE) {
        for (const o of expired) g.deleteOffset(o.topic, o.partition);
      }
    }
  }

  // ---- persistence --------------------------------------------------------------------------

  private persistGroup(group: Group): Promise<number> {
    if (!group.protocolType) return Promise.resolve(ErrorCode.NONE);
    const value = encodeGroupMetadataValue({
      protocolType: group.protocolType,
      generation: group.generationId,
      protocol: group.protocolName,
      leader: group.leaderId,
      currentStateTimestamp: group.currentStateTimestamp,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: m.metadataFor(group.protocolName),
        assignment: m.assignment,
      })),
    });
    return this.append(group.partition, [{ key: encodeGroupMetadataKey(group.groupId), value }]).then(coordinatorErrorFor);
  }

  private async append(partition: number, records: CoordinatorRecord[]): Promise<number> {
    return (await this.appendAt(partition, records)).errorCode;
  }

  private async appendAt(partition: number, records: CoordinatorRecord[], txn?: TxnProducer): Promise<AppendOutcome> {
    try {
      return await this.opts.log.append(partition, records, txn);
    } catch (err) {
      this.opts.onError?.(err, 'append to the offsets topic failed');
      return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, baseOffset: -1n };
    }
  }

  /**
   * The committed offsets of the groups in fully loaded partitions (read-only, for lag metrics):
   * only this coordinator reports them, and a loading partition's groups are not whole yet.
   */
  *committedOffsets(): Generator<{ groupId: string; topic: string; partition: number; offset: bigint }> {
    for (const g of this.groups.values()) {
      if (this.partitions.get(g.partition)?.state !== 'active') continue;
      for (const o of g.offsets.values()) yield { groupId: g.groupId, topic: o.topic, partition: o.partition, offset: o.offset };
    }
  }

  /** For tests and diagnostics. */
  groupState(groupId: string): string | undefined {
    return this.groups.get(groupId)?.state;
  }

  static readonly states = GROUP_STATES;
}
