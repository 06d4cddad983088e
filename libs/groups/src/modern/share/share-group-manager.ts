import { ErrorCode } from '@dms/kafka-errors';
import type { CoordinatorRecord, ShardContext } from '@dms/coordinator';
import { assignShare, sameAssignment, type SubscribedTopic } from './share-assignor';
import { liveShareConfig, type GroupConfigLookup, type ShareGroupConfig } from './share-config';
import { ShareGroup, type ShareMember } from './share-group';
import { groupEpochRecord, groupTombstones, memberAssignmentRecord, memberRecord, memberTombstones } from './share-group-records';

export interface ShareHeartbeatInput {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  rackId: string | null;
  /** null: unchanged since the last heartbeat. */
  subscribedTopicNames: string[] | null;
  clientId: string;
  clientHost: string;
}

export interface ShareTopicPartitions {
  topicId: string;
  topicName: string;
  partitions: number[];
}

export interface ShareHeartbeatResult {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  /** null when the member's assignment did not change. */
  assignment: ShareTopicPartitions[] | null;
}

export interface DescribedShareGroup {
  errorCode: number;
  errorMessage: string | null;
  groupId: string;
  groupState: string;
  groupEpoch: number;
  assignmentEpoch: number;
  assignorName: string;
  members: {
    memberId: string;
    rackId: string | null;
    memberEpoch: number;
    clientId: string;
    clientHost: string;
    subscribedTopicNames: string[];
    assignment: ShareTopicPartitions[];
  }[];
}

export interface ShareGroupManagerDeps {
  ctx: ShardContext;
  config: ShareGroupConfig;
  /** A group's own share.session.timeout.ms / share.heartbeat.interval.ms over `config`. */
  groupConfig?: GroupConfigLookup;
  now(): number;
  /** The cluster's topic of that name, or undefined. */
  topic(name: string): { topicId: string; partitions: number } | undefined;
  /** True when a group of another type has this id. */
  otherTypeHas(groupId: string): boolean;
  /**
   * Appends records for the next load (membership lives in memory; its records are not replayed
   * live); absent in specs that do not persist.
   */
  persist?(records: CoordinatorRecord[]): Promise<void>;
  /** The Kafka code of a failed persist. */
  errorCode?(err: unknown): number;
  onError?(err: unknown, what: string): void;
}

const fail = (errorCode: number, errorMessage: string, memberId: string | null = null): ShareHeartbeatResult =>
  ({ errorCode, errorMessage, memberId, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null });

/**
 * ShareGroupHeartbeat and ShareGroupDescribe over the share groups of one coordinator shard:
 * members join with epoch 0 and leave with -1; any change of membership, subscriptions or the
 * subscribed topics' partitions bumps the group epoch and recomputes the assignment, which each
 * member receives (with the new epoch) on its next heartbeat. Share groups need no revocation:
 * partitions are shared, so a new assignment takes effect at once. Sessions expire after
 * `group.share.session.timeout.ms` on the shard's timer.
 */
export class ShareGroupManager {
  readonly groups = new Map<string, ShareGroup>();

  constructor(private readonly deps: ShareGroupManagerDeps) {}

  heartbeat(input: ShareHeartbeatInput): ShareHeartbeatResult | Promise<ShareHeartbeatResult> {
    const records: CoordinatorRecord[] = [];
    const result = this.beat(input, records);
    if (records.length === 0 || !this.deps.persist || result.errorCode !== ErrorCode.NONE) return result;
    // Answered once the records are durable: a member never holds an epoch the next coordinator lacks.
    return this.deps.persist(records).then(() => result, (err: unknown) => fail(this.deps.errorCode?.(err) ?? ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The share group could not be persisted.', input.memberId));
  }

  private beat(input: ShareHeartbeatInput, records: CoordinatorRecord[]): ShareHeartbeatResult {
    const { groupId, memberId, memberEpoch } = input;
    if (!groupId) return fail(ErrorCode.INVALID_GROUP_ID, 'GroupId can\'t be empty.');
    if (!memberId) return fail(ErrorCode.INVALID_REQUEST, 'MemberId can\'t be empty.');
    if (memberEpoch < -1) return fail(ErrorCode.INVALID_REQUEST, `MemberEpoch ${memberEpoch} is invalid.`, memberId);
    if (memberEpoch === 0 && !input.subscribedTopicNames?.length) {
      return fail(ErrorCode.INVALID_REQUEST, 'SubscribedTopicNames must be set in the first request.', memberId);
    }
    if (this.deps.otherTypeHas(groupId)) return fail(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a share group.`, memberId);

    let group = this.groups.get(groupId);
    if (memberEpoch === -1) {
      const m = group?.members.get(memberId);
      if (group && m) records.push(...this.removeMember(group, m));
      return { errorCode: ErrorCode.NONE, errorMessage: null, memberId, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null };
    }

    let member: ShareMember | undefined;
    let bump = false;
    if (memberEpoch === 0) {
      if (!group) {
        group = new ShareGroup(groupId, this.deps.now());
        this.groups.set(groupId, group);
      }
      member = group.members.get(memberId);
      if (!member) {
        if (group.members.size >= this.deps.config.maxSize) {
          return fail(ErrorCode.GROUP_MAX_SIZE_REACHED, `The share group has reached its maximum size of ${this.deps.config.maxSize}.`, memberId);
        }
        member = { memberId, memberEpoch: 0, rackId: input.rackId, clientId: input.clientId, clientHost: input.clientHost, subscribedTopicNames: [], assignment: new Map() };
        group.members.set(memberId, member);
        bump = true;
      } else {
        // A rejoin: the member starts over and gets its whole assignment again.
        member.memberEpoch = 0;
        member.assignment = new Map();
      }
    } else {
      member = group?.members.get(memberId);
      if (!group || !member) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId} is not a member of share group ${groupId}.`, memberId);
      if (memberEpoch !== member.memberEpoch) {
        return fail(ErrorCode.FENCED_MEMBER_EPOCH, `Member epoch ${memberEpoch} is not the current epoch ${member.memberEpoch}.`, memberId);
      }
    }
    member.rackId = input.rackId;
    member.clientId = input.clientId;
    member.clientHost = input.clientHost;
    if (input.subscribedTopicNames) {
      const names = [...new Set(input.subscribedTopicNames)].sort();
      if (names.join('\0') !== member.subscribedTopicNames.join('\0')) {
        member.subscribedTopicNames = names;
        bump = true;
      }
    }
    if (bump) records.push(memberRecord(group, member));
    if (this.refresh(group, bump)) records.push(groupEpochRecord(group));
    this.touchSession(group, member);

    const target = group.target.get(member.memberId) ?? new Map<string, number[]>();
    let assignment: ShareTopicPartitions[] | null = null;
    if (member.memberEpoch !== group.assignmentEpoch || !sameAssignment(member.assignment, target) || memberEpoch === 0) {
      const previous = member.memberEpoch;
      member.memberEpoch = group.assignmentEpoch;
      member.assignment = target;
      assignment = this.describeAssignment(group, target);
      records.push(memberAssignmentRecord(group, member, previous));
    }
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId,
      memberEpoch: member.memberEpoch,
      heartbeatIntervalMs: this.configOf(group.groupId).heartbeatIntervalMs,
      assignment,
    };
  }

  describe(groupId: string): DescribedShareGroup {
    const g = this.groups.get(groupId);
    const empty = { groupId, groupEpoch: 0, assignmentEpoch: 0, assignorName: 'simple', members: [] };
    if (!g || g.dead) {
      if (this.deps.otherTypeHas(groupId)) return { ...empty, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} is not a share group.`, groupState: 'Dead' };
      return { ...empty, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} not found.`, groupState: 'Dead' };
    }
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      groupId,
      groupState: g.state,
      groupEpoch: g.groupEpoch,
      assignmentEpoch: g.assignmentEpoch,
      assignorName: 'simple',
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        rackId: m.rackId,
        memberEpoch: m.memberEpoch,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: [...m.subscribedTopicNames],
        assignment: this.describeAssignment(g, m.assignment),
      })),
    };
  }

  /** ListGroups rows of the share groups (lower-cased state filter; empty: all). */
  list(wanted: Set<string>): { groupId: string; protocolType: string; groupState: string; groupType: string }[] {
    const out = [];
    for (const g of this.groups.values()) {
      if (g.dead || (wanted.size > 0 && !wanted.has(g.state.toLowerCase()))) continue;
      out.push({ groupId: g.groupId, protocolType: 'share', groupState: g.state, groupType: 'share' });
    }
    return out;
  }

  /** DeleteGroups of a share group: only an empty one; undefined when no share group has the id. */
  delete(groupId: string): Promise<number> | number | undefined {
    const g = this.groups.get(groupId);
    if (!g) return undefined;
    if (g.members.size > 0) return ErrorCode.NON_EMPTY_GROUP;
    g.dead = true;
    this.groups.delete(groupId);
    if (!this.deps.persist) return ErrorCode.NONE;
    return this.deps.persist(groupTombstones(g)).then(() => ErrorCode.NONE, (err: unknown) => {
      g.dead = false;
      if (!this.groups.has(groupId)) this.groups.set(groupId, g);
      return this.deps.errorCode?.(err) ?? ErrorCode.COORDINATOR_NOT_AVAILABLE;
    });
  }

  // ---- load -------------------------------------------------------------------------------

  private replayed(groupId: string): ShareGroup {
    let g = this.groups.get(groupId);
    if (!g) this.groups.set(groupId, (g = new ShareGroup(groupId, this.deps.now())));
    return g;
  }

  replayGroupEpoch(groupId: string, value: { epoch: number } | null): void {
    if (!value) {
      this.groups.delete(groupId);
      return;
    }
    const g = this.replayed(groupId);
    g.groupEpoch = value.epoch;
    g.assignmentEpoch = value.epoch;
  }

  replayMember(groupId: string, memberId: string, value: { rackId: string | null; clientId: string; clientHost: string; subscribedTopicNames: string[] } | null): void {
    if (!value) {
      this.groups.get(groupId)?.members.delete(memberId);
      return;
    }
    const g = this.replayed(groupId);
    const m = g.members.get(memberId);
    if (m) Object.assign(m, { rackId: value.rackId, clientId: value.clientId, clientHost: value.clientHost, subscribedTopicNames: [...value.subscribedTopicNames] });
    else g.members.set(memberId, { memberId, memberEpoch: 0, rackId: value.rackId, clientId: value.clientId, clientHost: value.clientHost, subscribedTopicNames: [...value.subscribedTopicNames], assignment: new Map() });
  }

  replayAssignment(groupId: string, memberId: string, value: { memberEpoch: number; assignedPartitions: { topicId: string; partitions: number[] }[] } | null): void {
    const m = this.groups.get(groupId)?.members.get(memberId);
    if (!m || !value) return;
    m.memberEpoch = value.memberEpoch;
    m.assignment = new Map(value.assignedPartitions.map((t) => [t.topicId, [...t.partitions]]));
  }

  /** After a load: the target assignment again (the assignor is deterministic) and every member's session. */
  onLoaded(): void {
    for (const g of this.groups.values()) {
      this.resolve(g);
      g.target = assignShare([...g.members.values()], g.topics);
      for (const m of g.members.values()) this.touchSession(g, m);
    }
  }

  /** The group's settings: its GROUP configs where set, else the broker's. */
  private configOf(groupId: string): ShareGroupConfig {
    return liveShareConfig(this.deps.config, groupId, this.deps.groupConfig);
  }

  dispose(): void {
    for (const g of this.groups.values()) for (const m of g.members.values()) m.cancelSession?.();
    this.groups.clear();
  }

  private removeMember(group: ShareGroup, m: ShareMember): CoordinatorRecord[] {
    m.cancelSession?.();
    group.members.delete(m.memberId);
    this.refresh(group, true);
    return [...memberTombstones(group.groupId, m.memberId), groupEpochRecord(group)];
  }

  private touchSession(group: ShareGroup, m: ShareMember): void {
    m.cancelSession?.();
    m.cancelSession = this.deps.ctx.schedule(this.configOf(group.groupId).sessionTimeoutMs, () => {
      if (group.members.get(m.memberId) !== m) return;
      const records = this.removeMember(group, m);
      this.deps.persist?.(records).catch((err: unknown) => this.deps.onError?.(err, `persisting the expiry of share-group member ${m.memberId}`));
    });
  }

  /** The subscribed topics as the cluster has them now, and their comparable form. */
  private resolve(group: ShareGroup): boolean {
    const topics = new Map<string, SubscribedTopic>();
    for (const name of [...group.subscribedTopicNames()].sort()) {
      const t = this.deps.topic(name);
      if (t && t.partitions > 0) topics.set(name, { name, topicId: t.topicId, partitions: t.partitions });
    }
    const hash = [...topics.values()].map((t) => `${t.name}:${t.topicId}:${t.partitions}`).join(',');
    const changed = hash !== group.metadataHash;
    group.topics = topics;
    group.metadataHash = hash;
    return changed;
  }

  /** Re-resolves the subscribed topics; a change there or `bump` moves the group to a new epoch (true). */
  private refresh(group: ShareGroup, bump: boolean): boolean {
    if (!this.resolve(group) && !bump) return false;
    group.groupEpoch += 1;
    group.target = assignShare([...group.members.values()], group.topics);
    group.assignmentEpoch = group.groupEpoch;
    return true;
  }

  private describeAssignment(group: ShareGroup, a: ReadonlyMap<string, number[]>): ShareTopicPartitions[] {
    return [...a.entries()].map(([topicId, partitions]) => ({ topicId, topicName: group.topicName(topicId) ?? '', partitions: [...partitions] }));
  }
}
