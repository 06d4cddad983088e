import { randomUUID } from 'node:crypto';
import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import type { CoordinatorRecord, OperationResult } from '@dms/coordinator';
import type { GroupShard } from '../../group-shard';
import { writeErrorCode } from '../../write-errors';
import { EMPTY, equals, fromWire, toWire, type Assignment } from '../assignment';
import { serverAssignors, type AssignmentMember, type AssignmentTopic, type ServerAssignor } from './assignors';
import type { ConsumerGroupDescribeResponseDescribedGroup as ConsumerGroupDescribed } from '@dms/kafka-schema';
import type { ConsumerGroup } from './consumer-group';
import { ConsumerGroups } from './consumer-replay';
import {
  currentAssignmentRecord, currentAssignmentTombstone, groupEpochRecord, memberMetadataRecord, memberMetadataTombstone,
  groupTombstone, regexRecord, regexTombstone, targetEpochRecord, targetEpochTombstone, targetMemberRecord, targetMemberTombstone,
} from './consumer-records';
import { groupTombstones } from '../../group-admin';
import { compileTopicRegex, InvalidRegexError, matchingTopics } from './topic-regex';
import { MemberState, newMember, sameMetadata, type ConsumerGroupMember, type MemberAssignmentState, type MemberMetadata } from './member';
import { epochIsValid, reconcile } from './reconciliation';
import { ClassicMembers } from './classic-members';
import { CLASSIC_MEMBER_TYPE, CONSUMER_MEMBER_TYPE } from './rpc-codec';
import { GroupMigration } from './migration';
import {
  LEAVE_GROUP_MEMBER_EPOCH, LEAVE_GROUP_STATIC_MEMBER_EPOCH,
  type ConsumerGroupHeartbeatInput, type ConsumerGroupHeartbeatResult, type TopicsImage,
} from './types';

const fail = (errorCode: number, errorMessage: string | null = null, memberId: string | null = null): ConsumerGroupHeartbeatResult => ({
  errorCode, errorMessage, memberId, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null,
});

class HeartbeatError extends KafkaError {}

/** A 64-bit hash of the subscribed topics' ids and partition counts (Kafka's metadata hash). */
export function metadataHash(names: Iterable<string>, topics: TopicsImage): bigint {
  let h = 0xcbf29ce484222325n;
  for (const name of [...names].sort()) {
    const t = topics.get(name);
    if (!t) continue;
    for (const ch of `${name}\0${t.topicId}\0${t.numPartitions}\n`) {
      h ^= BigInt(ch.codePointAt(0)!);
      h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
    }
  }
  return BigInt.asIntN(64, h);
}

/**
 * KIP-848 consumer groups of one shard (Kafka's GroupMetadataManager for consumer groups): a
 * heartbeat joins, updates or leaves a member; every change of membership, subscription or
 * subscribed topics bumps the group epoch; a new target assignment is computed by the
 * server-side assignor for the new epoch; and each member reconciles towards its target,
 * revoking before it is assigned. Everything the group knows is written as records and changes
 * only when they are replayed. Sessions (group.consumer.session.timeout.ms) and revocations
 * (the member's rebalance timeout) are timed on the shard's timer; an expired member is fenced.
 */
export class ConsumerGroupManager {
  readonly groups = new ConsumerGroups();
  /** JoinGroup/SyncGroup/Heartbeat/LeaveGroup of classic members inside consumer groups. */
  readonly classic: ClassicMembers;
  /** Online conversion of groups with members (group.consumer.migration.policy). */
  readonly migration: GroupMigration;
  private readonly assignors: ServerAssignor[];

  constructor(private readonly shard: GroupShard) {
    this.assignors = serverAssignors(shard.config.consumerAssignors);
    this.classic = new ClassicMembers(shard, this);
    this.migration = new GroupMigration(shard, this);
  }

  topics(): TopicsImage {
    return this.shard.deps.topics?.() ?? new Map();
  }

  async heartbeat(input: ConsumerGroupHeartbeatInput): Promise<ConsumerGroupHeartbeatResult> {
    try {
      const classic = this.shard.group(input.groupId);
      if (input.groupId && input.memberEpoch === 0 && classic && !classic.isEmpty()) {
        this.validate(input);
        // The first consumer-protocol member of a classic group with members: convert it online.
        const refused = await this.migration.upgrade(input.groupId);
        if (refused) return fail(ErrorCode.GROUP_ID_NOT_FOUND, refused, input.memberId || null);
      }
      const res = await this.shard.write(() => this.heartbeatOp(input)).finally(() => this.migration.finishDowngrade(input.groupId));
      if (res.errorCode === ErrorCode.NONE && res.memberId && (res.memberEpoch >= 0 || res.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH)) {
        this.afterHeartbeat(input.groupId, res.memberId);
      }
      return res;
    } catch (err) {
      if (err instanceof HeartbeatError) return fail(err.code, err.message, input.memberId || null);
      return fail(writeErrorCode(err, (e) => this.shard.deps.onError?.(e, 'consumer group heartbeat failed')));
    }
  }

  private heartbeatOp(input: ConsumerGroupHeartbeatInput): OperationResult<ConsumerGroupHeartbeatResult> {
    const { groupId } = input;
    if (!groupId) throw new HeartbeatError(ErrorCode.INVALID_REQUEST, 'GroupId can\'t be empty.');
    const classic = this.shard.group(groupId);
    if (classic && !classic.isEmpty()) throw new HeartbeatError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a consumer group.`);
    const group = this.groups.get(groupId);
    if (input.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH || input.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      const member = group?.members.get(input.memberId);
      if (!group || !member || member.classicMemberMetadata) throw new HeartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${input.memberId} is not in group ${groupId}.`);
      const left = { errorCode: ErrorCode.NONE, errorMessage: null, memberId: member.memberId, memberEpoch: input.memberEpoch, heartbeatIntervalMs: 0, assignment: null };
      if (input.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH && member.instanceId) {
        // A static member leaving temporarily keeps its place and partitions until its session
        // expires; rejoining with the same instance id takes them back without a rebalance.
        const parked = { ...member, memberEpoch: LEAVE_GROUP_STATIC_MEMBER_EPOCH, previousMemberEpoch: member.memberEpoch };
        return { records: [currentAssignmentRecord(groupId, member.memberId, parked)], response: left };
      }
      return { records: this.removalRecords(group, member.memberId), response: left };
    }
    this.validate(input);
    const owned = input.topicPartitions === null ? null : fromWire(input.topicPartitions);
    let member: ConsumerGroupMember;
    const joining = input.memberEpoch === 0;
    const records: CoordinatorRecord[] = [];
    const staticPrevious = joining && input.instanceId ? group?.memberByInstanceId(input.instanceId) : undefined;
    if (staticPrevious && staticPrevious.memberId !== input.memberId) {
      if (staticPrevious.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
        throw new HeartbeatError(ErrorCode.UNRELEASED_INSTANCE_ID, `Static member ${staticPrevious.memberId} with instance id ${input.instanceId} is not released.`);
      }
      // The new incarnation takes the old one's place, epoch and partitions.
      const memberId = input.memberId || randomUUID();
      member = {
        ...staticPrevious, memberId, memberEpoch: staticPrevious.previousMemberEpoch, previousMemberEpoch: -1, state: MemberState.STABLE,
      };
      records.push(
        currentAssignmentTombstone(groupId, staticPrevious.memberId),
        targetMemberTombstone(groupId, staticPrevious.memberId),
        memberMetadataTombstone(groupId, staticPrevious.memberId),
        memberMetadataRecord(groupId, memberId, this.updatedMetadata(member, input)),
        targetMemberRecord(groupId, memberId, group!.targetOf(staticPrevious.memberId)),
      );
      return this.finishHeartbeat(input, group!, member, records, { replacing: staticPrevious.memberId, owned: null });
    }
    if (joining) {
      const existing = group?.members.get(input.memberId);
      member = existing ? { ...existing, memberEpoch: 0, previousMemberEpoch: -1, state: MemberState.STABLE, assigned: EMPTY, pendingRevocation: EMPTY }
        : newMember(input.memberId || randomUUID());
      if (!existing && group && group.members.size >= this.shard.config.consumerMaxSize) {
        throw new HeartbeatError(ErrorCode.GROUP_MAX_SIZE_REACHED, `Group ${groupId} has reached its maximum size.`);
      }
    } else {
      const existing = group?.members.get(input.memberId);
      if (!existing || existing.classicMemberMetadata) throw new HeartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${input.memberId} is not in group ${groupId}.`);
      if (!epochIsValid(existing, input.memberEpoch, owned)) {
        throw new HeartbeatError(ErrorCode.FENCED_MEMBER_EPOCH, `The member epoch ${input.memberEpoch} is not member ${input.memberId}'s (${existing.memberEpoch}).`);
      }
      member = existing;
    }
    return this.finishHeartbeat(input, group, member, records, { owned });
  }

  /**
   * The rest of a heartbeat: metadata, group epoch, target assignment and the member's
   * reconciliation, as records and the answer.
   */
  finishHeartbeat(
    input: ConsumerGroupHeartbeatInput, group: ConsumerGroup | undefined, member: ConsumerGroupMember, records: CoordinatorRecord[],
    how: { owned: Assignment | null; replacing?: string },
  ): OperationResult<ConsumerGroupHeartbeatResult> {
    const { groupId } = input;
    const { owned, replacing } = how;
    const joining = input.memberEpoch === 0;
    const metadata = this.updatedMetadata(member, input);
    const memberId = member.memberId;
    const newMemberRecord = joining && !group?.members.has(memberId) && replacing === undefined;
    if (newMemberRecord || (replacing === undefined && !sameMetadata(member, metadata))) records.push(memberMetadataRecord(groupId, memberId, metadata));

    // The members as they stand after this heartbeat.
    const members = new Map(group?.members ?? []);
    if (replacing !== undefined) members.delete(replacing);
    members.set(memberId, { ...member, ...metadata });
    const topics = this.topics();
    const resolved = this.resolveRegexes(groupId, group, members, topics, records);
    const topicsOf = (m: MemberMetadata) => [...m.subscribedTopicNames, ...(m.subscribedTopicRegex ? resolved.get(m.subscribedTopicRegex) ?? [] : [])];
    const subscribed = new Set<string>();
    for (const m of members.values()) for (const t of topicsOf(m)) subscribed.add(t);
    const hash = metadataHash(subscribed, topics);
    let groupEpoch = group?.groupEpoch ?? 0;
    const subscriptionChanged = member.subscribedTopicNames.join('\0') !== metadata.subscribedTopicNames.join('\0')
      || member.subscribedTopicRegex !== metadata.subscribedTopicRegex;
    const rejoinedStatic = replacing !== undefined && !subscriptionChanged;
    if (!rejoinedStatic && (newMemberRecord || joining || subscriptionChanged || hash !== (group?.metadataHash ?? 0n))) {
      groupEpoch += 1;
      records.push(groupEpochRecord(groupId, groupEpoch, hash));
    }

    let assignmentEpoch = group?.assignmentEpoch ?? 0;
    const target = new Map(group?.target ?? []);
    if (replacing !== undefined) {
      target.set(memberId, target.get(replacing) ?? EMPTY);
      target.delete(replacing);
    }
    if (groupEpoch > assignmentEpoch) {
      const next = this.computeTarget(members, target, topics, metadata.serverAssignor, topicsOf);
      for (const [id, a] of next) {
        if (!equals(a, target.get(id) ?? EMPTY) || !target.has(id)) records.push(targetMemberRecord(groupId, id, a));
        target.set(id, a);
      }
      assignmentEpoch = groupEpoch;
      records.push(targetEpochRecord(groupId, assignmentEpoch, this.shard.now()));
    }

    const step = (from: MemberAssignmentState) => reconcile({
      member: from,
      targetEpoch: assignmentEpoch,
      target: target.get(memberId) ?? EMPTY,
      owned,
      heldElsewhere: (t, p) => group?.heldByOther(replacing ?? memberId, t, p, memberId) ?? false,
    });
    let reconciled = step(member);
    // A classic member's JoinGroup already tells what it gave up: it moves on in one round.
    if (metadata.classicMemberMetadata && reconciled !== member && reconciled.state === MemberState.UNREVOKED_PARTITIONS) reconciled = step(reconciled);
    const changed = reconciled !== member || joining;
    if (changed) records.push(currentAssignmentRecord(groupId, memberId, reconciled));
    const sendAssignment = joining || !equals(reconciled.assigned, member.assigned) || (owned !== null && !equals(owned, reconciled.assigned));
    return {
      records,
      response: {
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        memberId,
        memberEpoch: reconciled.memberEpoch,
        heartbeatIntervalMs: this.shard.consumerTimeouts(groupId).heartbeatIntervalMs,
        assignment: sendAssignment ? { topicPartitions: toWire(reconciled.assigned) } : null,
      },
    };
  }

  /** Kafka's request checks of ConsumerGroupHeartbeat. */
  private validate(input: ConsumerGroupHeartbeatInput): void {
    const invalid = (why: string) => new HeartbeatError(ErrorCode.INVALID_REQUEST, why);
    if (input.memberEpoch === 0) {
      if (input.rebalanceTimeoutMs === -1) throw invalid('RebalanceTimeoutMs must be provided in first request.');
      if (input.topicPartitions === null || input.topicPartitions.length > 0) throw invalid('TopicPartitions must be empty when (re-)joining.');
      if (input.subscribedTopicNames === null && !input.subscribedTopicRegex) throw invalid('SubscribedTopicNames or SubscribedTopicRegex must be set in first request.');
    } else if (input.memberEpoch < 0) {
      throw invalid(`MemberEpoch ${input.memberEpoch} is invalid.`);
    } else if (!input.memberId) {
      throw invalid('MemberId can\'t be empty.');
    }
    if (input.subscribedTopicRegex) {
      try {
        compileTopicRegex(input.subscribedTopicRegex);
      } catch (err) {
        if (err instanceof InvalidRegexError) throw new HeartbeatError(ErrorCode.INVALID_REGULAR_EXPRESSION, err.message);
        throw err;
      }
    }
    if (input.serverAssignor !== null && !this.assignors.some((a) => a.name === input.serverAssignor)) {
      throw new HeartbeatError(ErrorCode.UNSUPPORTED_ASSIGNOR, `ServerAssignor ${input.serverAssignor} is not supported. Supported assignors: ${this.assignors.map((a) => a.name).join(', ')}.`);
    }
  }

  private updatedMetadata(m: MemberMetadata, input: ConsumerGroupHeartbeatInput): MemberMetadata {
    return {
      instanceId: input.instanceId ?? m.instanceId,
      rackId: input.rackId ?? m.rackId,
      clientId: input.clientId,
      clientHost: input.clientHost,
      subscribedTopicNames: input.subscribedTopicNames ? [...input.subscribedTopicNames].sort() : m.subscribedTopicNames,
      subscribedTopicRegex: input.subscribedTopicRegex === undefined || input.subscribedTopicRegex === null ? m.subscribedTopicRegex : input.subscribedTopicRegex || null,
      rebalanceTimeoutMs: input.rebalanceTimeoutMs > 0 ? input.rebalanceTimeoutMs : m.rebalanceTimeoutMs,
      serverAssignor: input.serverAssignor ?? m.serverAssignor,
      classicMemberMetadata: input.classicMemberMetadata ?? m.classicMemberMetadata,
    };
  }

  /** The group's assignor: the one most members ask for, else the first configured. */
  private assignorFor(members: Iterable<MemberMetadata>, preferred: string | null): ServerAssignor {
    const votes = new Map<string, number>();
    for (const m of members) if (m.serverAssignor) votes.set(m.serverAssignor, (votes.get(m.serverAssignor) ?? 0) + 1);
    let best = preferred;
    for (const [name, n] of votes) if (best === null || n > (votes.get(best) ?? 0)) best = name;
    return this.assignors.find((a) => a.name === best) ?? this.assignors[0];
  }

  /**
   * The topics each regex of the group's members matches now; changed resolutions are recorded
   * (ConsumerGroupRegularExpression) and regexes nobody uses any more are tombstoned.
   */
  private resolveRegexes(
    groupId: string, group: ConsumerGroup | undefined, members: Map<string, ConsumerGroupMember>, topics: TopicsImage, records: CoordinatorRecord[],
  ): Map<string, string[]> {
    const resolved = new Map<string, string[]>();
    for (const m of members.values()) {
      const regex = m.subscribedTopicRegex;
      if (!regex || resolved.has(regex)) continue;
      const matched = matchingTopics(compileTopicRegex(regex), topics.keys());
      resolved.set(regex, matched);
      const stored = group?.regexes.get(regex);
      if (!stored || stored.topics.join('\0') !== matched.join('\0')) {
        records.push(regexRecord(groupId, regex, matched, (stored?.version ?? 0n) + 1n, this.shard.now()));
      }
    }
    for (const regex of group?.regexes.keys() ?? []) if (!resolved.has(regex)) records.push(regexTombstone(groupId, regex));
    return resolved;
  }

  private computeTarget(
    members: Map<string, ConsumerGroupMember>, current: Map<string, Assignment>, topics: TopicsImage, preferred: string | null,
    topicsOf: (m: MemberMetadata) => string[],
  ): Map<string, Assignment> {
    const byId = new Map<string, AssignmentTopic>();
    const spec: AssignmentMember[] = [...members.values()].map((m) => {
      const ids = new Set<string>();
      for (const name of topicsOf(m)) {
        const t = topics.get(name);
        if (!t || t.numPartitions <= 0) continue;
        ids.add(t.topicId);
        byId.set(t.topicId, { topicId: t.topicId, name, numPartitions: t.numPartitions });
      }
      return { memberId: m.memberId, instanceId: m.instanceId, rackId: m.rackId, subscribedTopicIds: ids, currentTarget: current.get(m.memberId) ?? EMPTY };
    });
    const out = this.assignorFor(members.values(), preferred).assign({ members: spec, topics: byId });
    for (const m of members.keys()) if (!out.has(m)) out.set(m, EMPTY);
    return out;
  }

  /** The records that take a member out of its group, and the group's next epoch. */
  removalRecords(group: ConsumerGroup, memberId: string): CoordinatorRecord[] {
    const downgrade = this.migration.downgradeRecords(group, memberId);
    if (downgrade) return downgrade;
    const remaining = [...group.members.keys()].filter((id) => id !== memberId);
    const topics = this.topics();
    const subscribed = new Set<string>();
    for (const id of remaining) for (const t of group.topicsOf(group.members.get(id)!)) subscribed.add(t);
    return [
      currentAssignmentTombstone(group.groupId, memberId),
      targetMemberTombstone(group.groupId, memberId),
      memberMetadataTombstone(group.groupId, memberId),
      groupEpochRecord(group.groupId, group.groupEpoch + 1, metadataHash(subscribed, topics)),
    ];
  }

  // ---- timers -----------------------------------------------------------------------------

  /** A heartbeat was answered: the member's session restarts; a revocation is timed. */
  afterHeartbeat(groupId: string, memberId: string): void {
    const group = this.groups.get(groupId);
    const member = group?.members.get(memberId);
    if (!group || !member) return;
    const sessionMs = member.classicMemberMetadata?.sessionTimeoutMs ?? this.shard.consumerTimeouts(groupId).sessionTimeoutMs;
    this.setTimer(group, `${memberId}\0session`, sessionMs, () => this.fence(groupId, memberId, 'session'));
    const revocationKey = `${memberId}\0revocation`;
    if (member.state === MemberState.UNREVOKED_PARTITIONS) {
      if (!group.timers.has(revocationKey)) {
        const epoch = member.memberEpoch;
        const timeout = member.rebalanceTimeoutMs > 0 ? member.rebalanceTimeoutMs : this.shard.consumerTimeouts(groupId).sessionTimeoutMs;
        this.setTimer(group, revocationKey, timeout, () => this.fence(groupId, memberId, 'revocation', epoch));
      }
    } else {
      group.timers.get(revocationKey)?.();
      group.timers.delete(revocationKey);
    }
  }

  private setTimer(group: ConsumerGroup, key: string, delayMs: number, fn: () => void): void {
    group.timers.get(key)?.();
    group.timers.set(key, this.shard.ctx.schedule(delayMs, () => {
      group.timers.delete(key);
      fn();
    }));
  }

  /**
   * The member missed its session, or did not revoke within its rebalance timeout (still
   * unrevoked in `epoch`): it is removed, and the others rebalance at their next heartbeat.
   */
  private fence(groupId: string, memberId: string, why: 'session' | 'revocation', epoch?: number): void {
    void this.shard.write(() => {
      const group = this.groups.get(groupId);
      const member = group?.members.get(memberId);
      const stillStuck = why === 'session' || (member?.state === MemberState.UNREVOKED_PARTITIONS && member.memberEpoch === epoch);
      if (!group || !member || !stillStuck) return { records: [], response: undefined };
      for (const suffix of ['session', 'revocation']) {
        group.timers.get(`${memberId}\0${suffix}`)?.();
        group.timers.delete(`${memberId}\0${suffix}`);
      }
      return { records: this.removalRecords(group, memberId), response: undefined };
    }).catch((err) => this.shard.deps.onError?.(err, `could not fence member ${memberId} of group ${groupId}`))
      .finally(() => this.migration.finishDowngrade(groupId));
  }

  /** Session timers of one group's members (after a conversion built them). */
  startGroupSessions(groupId: string): void {
    const g = this.groups.get(groupId);
    for (const memberId of g?.members.keys() ?? []) this.afterHeartbeat(groupId, memberId);
  }

  /** Session timers of the members a load rebuilt. */
  startSessions(): void {
    for (const g of this.groups.groups.values()) {
      for (const memberId of g.members.keys()) this.afterHeartbeat(g.groupId, memberId);
    }
  }

  /**
   * OffsetCommit into a consumer group (Kafka's ConsumerGroup.validateOffsetCommit): without a
   * member epoch only while the group has no members (admin tools, assign() consumers); else the
   * member must exist and commit with its current epoch (STALE_MEMBER_EPOCH otherwise).
   */
  validateOffsetCommit(group: ConsumerGroup, memberId: string, memberEpoch: number): number {
    if (memberEpoch < 0 && group.members.size === 0) return ErrorCode.NONE;
    const member = group.members.get(memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (memberEpoch !== member.memberEpoch) return ErrorCode.STALE_MEMBER_EPOCH;
    return ErrorCode.NONE;
  }

  /**
   * OffsetFetch v9+ from a consumer group (Kafka's ConsumerGroup.validateOffsetFetch): without a
   * member id and epoch (admin tools, older clients) always; else the member must exist
   * (UNKNOWN_MEMBER_ID) and give its current epoch (STALE_MEMBER_EPOCH).
   */
  validateOffsetFetch(group: ConsumerGroup, memberId: string | null, memberEpoch: number): number {
    if (memberId === null && memberEpoch < 0) return ErrorCode.NONE;
    const member = memberId === null ? undefined : group.members.get(memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (memberEpoch !== member.memberEpoch) return ErrorCode.STALE_MEMBER_EPOCH;
    return ErrorCode.NONE;
  }

  /**
   * DeleteGroups of a consumer group: only without members; tombstones for its records and its
   * committed offsets, which remove it when replayed.
   */
  async deleteGroup(groupId: string): Promise<number> {
    try {
      return await this.shard.write(() => {
        const group = this.groups.get(groupId);
        if (!group) return { records: [], response: ErrorCode.GROUP_ID_NOT_FOUND };
        if (group.members.size > 0) return { records: [], response: ErrorCode.NON_EMPTY_GROUP };
        const offsets = this.shard.group(groupId);
        const records = [...(offsets ? groupTombstones(offsets) : []), ...this.consumerGroupTombstones(group)];
        return { records, response: ErrorCode.NONE };
      });
    } catch (err) {
      return writeErrorCode(err, (e) => this.shard.deps.onError?.(e, 'consumer group delete failed'));
    }
  }

  /**
   * A classic JoinGroup into an empty consumer group turns it into a classic group (Kafka does
   * so under every group.consumer.migration.policy): the consumer group's records are
   * tombstoned, its committed offsets stay. NONE once replayed, or the write's error.
   */
  async convertEmptyToClassic(groupId: string): Promise<number> {
    try {
      return await this.shard.write(() => {
        const group = this.groups.get(groupId);
        if (!group) return { records: [], response: ErrorCode.NONE };
        if (group.members.size > 0) return { records: [], response: ErrorCode.INCONSISTENT_GROUP_PROTOCOL };
        return { records: this.consumerGroupTombstones(group), response: ErrorCode.NONE };
      });
    } catch (err) {
      return writeErrorCode(err, (e) => this.shard.deps.onError?.(e, 'consumer group conversion failed'));
    }
  }

  consumerGroupTombstones(group: ConsumerGroup): CoordinatorRecord[] {
    return [
      ...[...group.regexes.keys()].map((regex) => regexTombstone(group.groupId, regex)),
      ...[...group.target.keys()].map((memberId) => targetMemberTombstone(group.groupId, memberId)),
      targetEpochTombstone(group.groupId),
      groupTombstone(group.groupId),
    ];
  }

  /** ConsumerGroupDescribe (69) of one group of this shard. */
  describe(groupId: string): ConsumerGroupDescribed {
    const group = this.groups.get(groupId);
    const base = { errorMessage: null, groupId, groupState: 'Dead', groupEpoch: -1, assignmentEpoch: -1, assignorName: '', members: [], authorizedOperations: -2147483648 };
    if (!group) {
      const classic = this.shard.group(groupId);
      const why = classic ? `Group ${groupId} is not a consumer group.` : `Group ${groupId} not found.`;
      return { ...base, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: why };
    }
    const names = new Map([...this.topics()].map(([name, t]) => [t.topicId, name]));
    const described = (a: Assignment) => ({ topicPartitions: toWire(a).map((tp) => ({ ...tp, topicName: names.get(tp.topicId) ?? '' })) });
    return {
      ...base,
      errorCode: ErrorCode.NONE,
      groupState: group.state,
      groupEpoch: group.groupEpoch,
      assignmentEpoch: group.assignmentEpoch,
      assignorName: this.assignorFor(group.members.values(), null).name,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        instanceId: m.instanceId,
        rackId: m.rackId,
        memberEpoch: m.memberEpoch,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: m.subscribedTopicNames,
        subscribedTopicRegex: m.subscribedTopicRegex,
        assignment: described(m.assigned),
        targetAssignment: described(group.targetOf(m.memberId)),
        memberType: m.classicMemberMetadata ? CLASSIC_MEMBER_TYPE : CONSUMER_MEMBER_TYPE,
      })),
    };
  }

  /** For describe and tests: a member's reconciliation state. */
  memberState(groupId: string, memberId: string): (MemberAssignmentState & { memberId: string }) | undefined {
    return this.groups.get(groupId)?.members.get(memberId);
  }
}
