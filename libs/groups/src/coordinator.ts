import { CoordinatorRuntime, systemTimer, type CoordinatorTimer } from '@dms/coordinator';
import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import type { ConsumerGroupDescribeResponseDescribedGroup } from '@dms/kafka-schema';
import { defaultGroupConfig, type GroupCoordinatorConfig } from './config';
import { joinError, syncError } from './classic/results';
import type { CoordinatorLog, ReplayEntry } from './coordinator-log';
import { GroupShard } from './group-shard';
import type { ConsumerGroupHeartbeatInput, ConsumerGroupHeartbeatResult, TopicsImage } from './modern/consumer/types';
import { groupPartition } from './placement';
import { defaultShareConfig, type GroupConfigLookup, type ShareGroupConfig } from './modern/share/share-config';
import type { DescribedShareGroup, ShareHeartbeatInput, ShareHeartbeatResult } from './modern/share/share-group-manager';
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
  /** The clock and timers of sessions, rebalances and expiry (fake in tests). */
  timer?: CoordinatorTimer;
  /** The clock alone (timers stay real); `timer.now` when absent. */
  now?: () => number;
  onError?: (err: unknown, what: string) => void;
  /** Share-group settings (group.share.*); Kafka's defaults when absent. */
  share?: Partial<ShareGroupConfig>;
  /** A group's own settings (GROUP config resource) over the broker's; absent: none. */
  groupConfig?: GroupConfigLookup;
  /** The cluster's topic of that name; share-group subscriptions resolve through it. */
  topic?: (name: string) => { topicId: string; partitions: number } | undefined;
  /** The topics that exist now, by name (KIP-848 consumer groups assign their partitions). */
  topics?: () => TopicsImage;
}

const commitError = (topics: OffsetCommitInput['topics'], errorCode: number): OffsetCommitResult => ({
  topics: topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
});

/**
 * The group coordinator of one broker: a coordinator runtime over the __consumer_offsets
 * partitions this broker leads, one GroupShard per partition. This class routes each request to
 * the shard of its group's partition, answering NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS /
 * COORDINATOR_NOT_AVAILABLE when that shard is not served here; the broker feeds it partition
 * loads and unloads as leadership moves, and transaction markers as they are written.
 */
export class GroupCoordinator {
  readonly runtime: CoordinatorRuntime<GroupShard, ReplayEntry>;
  private readonly config: GroupCoordinatorConfig;
  private readonly now: () => number;
  private cancelExpiry: (() => void) | undefined;
  private closed = false;

  constructor(private readonly opts: GroupCoordinatorOptions) {
    this.config = { ...defaultGroupConfig, ...(opts.config ?? {}) };
    const timer = opts.timer ?? systemTimer;
    this.now = opts.now ?? (() => timer.now());
    this.runtime = new CoordinatorRuntime<GroupShard, ReplayEntry>({
      timer,
      log: {
        read: (partition, epoch) => opts.log.read?.(partition, epoch) ?? (async function* () {})(),
        append: (partition, _epoch, records, txn) => opts.log.append(partition, records, txn),
      },
      newShard: (ctx) => new GroupShard(ctx, {
        config: this.config,
        now: () => BigInt(this.now()),
        write: (op, writeOpts) => this.runtime.write(ctx.partition, () => op(), writeOpts),
        share: { ...defaultShareConfig, ...(opts.share ?? {}) },
        topic: (name) => opts.topic?.(name),
        ...(opts.onError ? { onError: opts.onError } : {}),
        ...(opts.topics ? { topics: opts.topics } : {}),
        ...(opts.groupConfig ? { groupConfig: opts.groupConfig } : {}),
      }),
      ...(opts.onError ? { onError: opts.onError } : {}),
    });
  }

  /** Starts the periodic offset expiry (offsets.retention.check.interval.ms). */
  start(): void {
    const tick = () => {
      this.cancelExpiry = this.runtime.timer.schedule(this.config.retentionCheckIntervalMs, () => {
        void this.expireOffsets().catch((e) => this.opts.onError?.(e, 'offset expiry')).finally(() => {
          if (!this.closed) tick();
        });
      });
    };
    tick();
  }

  close(): void {
    this.closed = true;
    this.cancelExpiry?.();
    this.runtime.close();
  }

  // ---- ownership and loading -------------------------------------------------------------

  /** NONE when this coordinator serves the group now; else NOT_COORDINATOR or LOAD_IN_PROGRESS. */
  ownership(groupId: string): { errorCode: number; partition: number } {
    const n = this.opts.numPartitions();
    if (n <= 0) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, partition: -1 };
    const partition = groupPartition(groupId, n);
    if (this.runtime.isLoaded(partition)) return { errorCode: ErrorCode.NONE, partition };
    if (this.runtime.epochOf(partition) !== undefined) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, partition };
    return { errorCode: ErrorCode.NOT_COORDINATOR, partition };
  }

  /** Loaded or loading (in `epoch`, when given). */
  isLoaded(partition: number, epoch?: number): boolean {
    const current = this.runtime.epochOf(partition);
    return current !== undefined && (epoch === undefined || current === epoch);
  }

  loadedPartitions(): number[] {
    return this.runtime.loadedPartitions();
  }

  /**
   * Rebuilds the groups of `partition` from its records and markers (oldest first), answering
   * COORDINATOR_LOAD_IN_PROGRESS meanwhile. A later unload or reload wins over this one.
   */
  loadPartition(partition: number, epoch: number, entries: AsyncIterable<ReplayEntry>): Promise<void> {
    return this.runtime.load(partition, epoch, entries);
  }

  /**
   * A COMMIT or ABORT marker of `producerId`'s transaction was written (and replicated) at
   * `offset` of `partition`: the producer's pending offsets of that partition's groups written
   * before it become committed, or are dropped. Markers are idempotent: replaying one twice
   * finds nothing left to do. A loading partition applies it once loaded.
   */
  onTxnMarker(partition: number, producerId: bigint, committed: boolean, offset: bigint): void {
    this.runtime.replayExternal(partition, { marker: committed ? 'commit' : 'abort', producerId, offset });
  }

  /** Drops every group of `partition`: another broker coordinates them now. */
  unloadPartition(partition: number): void {
    this.runtime.unload(partition);
  }

  /** Runs `fn` on the group's shard, or answers `fail(code)` when the shard is not served here. */
  private onShard<R>(groupId: string, fail: (errorCode: number) => R, fn: (shard: GroupShard) => R): R {
    const own = this.ownership(groupId);
    if (own.errorCode !== ErrorCode.NONE) return fail(own.errorCode);
    try {
      return this.runtime.read(own.partition, fn);
    } catch (err) {
      if (err instanceof KafkaError) return fail(err.code);
      throw err;
    }
  }

  // ---- classic groups ---------------------------------------------------------------------

  async joinGroup(input: JoinGroupInput): Promise<JoinGroupResult> {
    if (!input.groupId) return joinError(ErrorCode.INVALID_GROUP_ID, input.memberId);
    return this.onShard<Promise<JoinGroupResult> | JoinGroupResult>(input.groupId, (code) => joinError(code, input.memberId), (s) => s.classic.joinGroup(input));
  }

  async syncGroup(input: SyncGroupInput): Promise<SyncGroupResult> {
    return this.onShard<Promise<SyncGroupResult> | SyncGroupResult>(input.groupId, syncError, (s) => s.classic.syncGroup(input));
  }

  heartbeat(input: HeartbeatInput): HeartbeatResult {
    return this.onShard(input.groupId, (errorCode) => ({ errorCode }), (s) => s.classic.heartbeat(input));
  }

  async leaveGroup(input: LeaveGroupInput): Promise<LeaveGroupResult> {
    return this.onShard<Promise<LeaveGroupResult> | LeaveGroupResult>(input.groupId, (errorCode) => ({ errorCode, members: [] }), (s) => s.classic.leaveGroup(input));
  }

  // ---- KIP-848 consumer groups (not yet served to clients) -----------------------------------

  async consumerGroupHeartbeat(input: ConsumerGroupHeartbeatInput): Promise<ConsumerGroupHeartbeatResult> {
    const failed = (errorCode: number): ConsumerGroupHeartbeatResult => ({
      errorCode, errorMessage: null, memberId: null, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null,
    });
    if (!input.groupId) return failed(ErrorCode.INVALID_REQUEST);
    return this.onShard<Promise<ConsumerGroupHeartbeatResult> | ConsumerGroupHeartbeatResult>(input.groupId, failed, (s) => s.consumer.heartbeat(input));
  }

  consumerGroupDescribe(groupIds: string[]): ConsumerGroupDescribeResponseDescribedGroup[] {
    return groupIds.map((groupId) => this.onShard(
      groupId,
      (errorCode) => ({
        errorCode, errorMessage: null, groupId, groupState: '', groupEpoch: -1, assignmentEpoch: -1, assignorName: '', members: [], authorizedOperations: -2147483648,
      }),
      (s) => s.consumer.describe(groupId),
    ));
  }

  // ---- offsets ------------------------------------------------------------------------------

  async offsetCommit(input: OffsetCommitInput): Promise<OffsetCommitResult> {
    if (!input.groupId) return commitError(input.topics, ErrorCode.INVALID_GROUP_ID);
    return this.onShard<Promise<OffsetCommitResult> | OffsetCommitResult>(input.groupId, (code) => commitError(input.topics, code), (s) => s.offsets.offsetCommit(input));
  }

  async txnOffsetCommit(input: TxnOffsetCommitInput): Promise<TxnOffsetCommitResult> {
    if (!input.groupId) return commitError(input.topics, ErrorCode.INVALID_GROUP_ID);
    return this.onShard<Promise<TxnOffsetCommitResult> | TxnOffsetCommitResult>(input.groupId, (code) => commitError(input.topics, code), (s) => s.offsets.txnOffsetCommit(input));
  }

  offsetFetch(input: OffsetFetchInput): OffsetFetchResult {
    return this.onShard(input.groupId, (errorCode) => ({ errorCode, topics: [] }), (s) => s.offsets.offsetFetch(input));
  }

  async offsetDelete(input: OffsetDeleteInput): Promise<OffsetDeleteResult> {
    return this.onShard<Promise<OffsetDeleteResult> | OffsetDeleteResult>(input.groupId, (errorCode) => ({ errorCode, topics: [] }), (s) => s.offsets.offsetDelete(input));
  }

  // ---- administration ---------------------------------------------------------------------

  describeGroups(groupIds: string[]): DescribedGroup[] {
    return groupIds.map((groupId) => this.onShard(
      groupId,
      (errorCode) => ({ errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [] }),
      (s) => s.admin.describe(groupId),
    ));
  }

  listGroups(statesFilter: string[]): ListGroupsResult {
    const wanted = new Set(statesFilter.map((s) => s.toLowerCase()));
    let loading = false;
    const groups = [];
    for (const p of this.runtime.loadedPartitions()) {
      if (!this.runtime.isLoaded(p)) {
        loading = true;
        continue;
      }
      groups.push(...this.runtime.read(p, (s) => s.admin.list(wanted)));
      groups.push(...this.runtime.read(p, (s) => s.share.list(wanted)));
    }
    return { errorCode: loading ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE, groups };
  }

  async deleteGroups(groupIds: string[]): Promise<DeleteGroupResult[]> {
    return Promise.all(groupIds.map(async (groupId) => ({
      groupId,
      errorCode: await this.onShard<Promise<number> | number>(groupId, (code) => code, (s) => s.share.delete(groupId) ?? s.admin.delete(groupId)),
    })));
  }

  // ---- share groups (KIP-932) ----------------------------------------------------------------

  async shareGroupHeartbeat(input: ShareHeartbeatInput): Promise<ShareHeartbeatResult> {
    if (!input.groupId) return { errorCode: ErrorCode.INVALID_GROUP_ID, errorMessage: 'GroupId can\'t be empty.', memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
    return this.onShard<Promise<ShareHeartbeatResult> | ShareHeartbeatResult>(
      input.groupId,
      (errorCode) => ({ errorCode, errorMessage: null, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null }),
      (s) => s.share.heartbeat(input),
    );
  }

  shareGroupDescribe(groupIds: string[]): DescribedShareGroup[] {
    return groupIds.map((groupId) => this.onShard(
      groupId,
      (errorCode) => ({ errorCode, errorMessage: null, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [] }),
      (s) => s.share.describe(groupId),
    ));
  }

  /** One round of offset expiry over every loaded partition. */
  async expireOffsets(): Promise<void> {
    for (const p of this.runtime.loadedPartitions()) {
      if (!this.runtime.isLoaded(p)) continue;
      await this.runtime.read(p, (s) => s.expiry.expire());
    }
  }

  /**
   * The committed offsets of the groups in fully loaded partitions (read-only, for lag metrics):
   * only this coordinator reports them, and a loading partition's groups are not whole yet.
   */
  *committedOffsets(): Generator<{ groupId: string; topic: string; partition: number; offset: bigint }> {
    for (const p of this.runtime.loadedPartitions()) {
      if (!this.runtime.isLoaded(p)) continue;
      const groups = this.runtime.read(p, (s) => [...s.groups.values()]);
      for (const g of groups) {
        for (const o of g.offsets.values()) yield { groupId: g.groupId, topic: o.topic, partition: o.partition, offset: o.offset };
      }
    }
  }

  /** For tests and diagnostics. */
  groupState(groupId: string): string | undefined {
    const own = this.ownership(groupId);
    if (own.errorCode !== ErrorCode.NONE) return undefined;
    return this.runtime.read(own.partition, (s) => s.group(groupId)?.state);
  }

  static readonly states = GROUP_STATES;
}
