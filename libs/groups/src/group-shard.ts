import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import type { CoordinatorShard, OperationResult, ShardContext } from '@dms/coordinator';
import type { GroupCoordinatorConfig } from './config';
import type { ReplayEntry } from './coordinator-log';
import { ClassicGroupManager } from './classic/classic-group-manager';
import { Group } from './classic/group';
import { GroupAdmin } from './group-admin';
import { OffsetExpiry } from './offset-expiry';
import { OffsetManager } from './offset-manager';
import { replayEntry } from './replay-table';
import { writeErrorCode } from './write-errors';
import type { GroupConfigLookup, ShareGroupConfig } from './modern/share/share-config';
import { ShareGroupManager } from './modern/share/share-group-manager';
import { ConsumerGroupManager } from './modern/consumer/consumer-group-manager';
import type { TopicsImage } from './modern/consumer/types';

/** `pipelined`: the operation depends on no earlier record (see CoordinatorRuntime.write). */
export interface WriteOptions {
  pipelined?: boolean;
}

export interface GroupShardDeps {
  config: GroupCoordinatorConfig;
  now(): bigint;
  /** Runs an operation through the runtime on this shard's partition (queued, persisted, replayed). */
  write<R>(op: () => OperationResult<R> | Promise<OperationResult<R>>, opts?: WriteOptions): Promise<R>;
  onError?(err: unknown, what: string): void;
  /** Share-group settings (group.share.*). */
  share: ShareGroupConfig;
  /** The cluster's topic of that name (share-group subscriptions resolve through it). */
  topic(name: string): { topicId: string; partitions: number } | undefined;
  /** The topics that exist now, by name (KIP-848 groups assign their partitions). */
  topics?(): TopicsImage;
  /**
   * A group's own settings (GROUP config resource: consumer.* and share.* keys), read at each
   * use; share groups apply them, the KIP-848 consumer-group code may read the consumer ones here.
   */
  groupConfig?: GroupConfigLookup;
}

/**
 * The groups of one __consumer_offsets partition (a coordinator shard): the state the records of
 * the partition build, and the managers that serve them — classic groups, offsets, admin, expiry.
 * Offsets and deletions change only by replaying records; a classic group's membership lives in
 * memory as in Kafka, its GroupMetadata record written for the next load (replay=false).
 */
export class GroupShard implements CoordinatorShard<ReplayEntry> {
  readonly groups = new Map<string, Group>();
  readonly classic: ClassicGroupManager;
  readonly offsets: OffsetManager;
  readonly admin: GroupAdmin;
  readonly expiry: OffsetExpiry;
  /** KIP-932 share groups of this partition (membership in memory). */
  readonly share: ShareGroupManager;
  /** KIP-848 consumer groups. */
  readonly consumer: ConsumerGroupManager;
  /** Groups a GroupMetadata record named during the load (they exist even without offsets). */
  readonly withMetadata = new Set<string>();
  /** The log offset the next record without one stands at. */
  position = 0n;
  private loaded = false;

  constructor(
    readonly ctx: ShardContext,
    readonly deps: GroupShardDeps,
  ) {
    this.classic = new ClassicGroupManager(this);
    this.offsets = new OffsetManager(this);
    this.admin = new GroupAdmin(this);
    this.expiry = new OffsetExpiry(this);
    this.share = new ShareGroupManager({
      ctx,
      config: deps.share,
      now: () => Number(deps.now()),
      topic: (name) => deps.topic(name),
      otherTypeHas: (groupId) => this.groups.has(groupId) || this.consumer.groups.get(groupId) !== undefined,
      persist: (records) => this.write(() => ({ records, response: undefined, replay: false })),
      errorCode: (err) => writeErrorCode(err, (e) => deps.onError?.(e, 'share group write failed')),
      ...(deps.onError ? { onError: deps.onError } : {}),
      ...(deps.groupConfig ? { groupConfig: deps.groupConfig } : {}),
    });
    this.consumer = new ConsumerGroupManager(this);
  }

  /**
   * A KIP-848 consumer group's session timeout and heartbeat interval: its GROUP configs
   * (consumer.session.timeout.ms / consumer.heartbeat.interval.ms) where set, else the broker's.
   * The hook the consumer-group code reads instead of `config.consumer*` to honour them.
   */
  consumerTimeouts(groupId: string): { sessionTimeoutMs: number; heartbeatIntervalMs: number } {
    const own = this.deps.groupConfig?.(groupId) ?? {};
    return {
      sessionTimeoutMs: own.consumerSessionTimeoutMs ?? this.deps.config.consumerSessionTimeoutMs,
      heartbeatIntervalMs: own.consumerHeartbeatIntervalMs ?? this.deps.config.consumerHeartbeatIntervalMs,
    };
  }

  get partition(): number {
    return this.ctx.partition;
  }

  get config(): GroupCoordinatorConfig {
    return this.deps.config;
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  now(): bigint {
    return this.deps.now();
  }

  replay(entry: ReplayEntry): void {
    try {
      replayEntry(this, entry);
    } catch (err) {
      // One unreadable record must not make every group of the partition unavailable.
      this.deps.onError?.(err, `skipping an unreadable record of partition ${this.partition}`);
    }
  }

  onLoaded(): void {
    this.loaded = true;
    for (const [id, g] of this.groups) {
      if (!this.withMetadata.has(id) && g.offsets.size === 0 && g.pendingTxnOffsets.size === 0) this.groups.delete(id);
    }
    this.withMetadata.clear();
    // Members keep their assignment if they heartbeat within their session timeout.
    for (const g of this.groups.values()) this.classic.rebalance.startSessions(g);
    this.consumer.startSessions();
    this.share.onLoaded();
  }

  onUnloaded(): void {
    for (const g of this.groups.values()) this.classic.rebalance.dispose(g, ErrorCode.NOT_COORDINATOR);
    this.groups.clear();
    this.share.dispose();
  }

  group(groupId: string): Group | undefined {
    return this.groups.get(groupId);
  }

  addGroup(groupId: string, initial: 'Empty' | 'Stable' = 'Empty'): Group {
    const g = new Group(groupId, this.partition, this.now(), initial);
    this.groups.set(groupId, g);
    return g;
  }

  getOrAddGroup(groupId: string): Group {
    return this.groups.get(groupId) ?? this.addGroup(groupId);
  }

  /** Writes through the runtime, refusing once this shard is no longer the loaded one. */
  write<R>(op: () => OperationResult<R> | Promise<OperationResult<R>>, opts: WriteOptions = {}): Promise<R> {
    return this.deps.write(() => {
      if (!this.ctx.active()) throw new KafkaError(ErrorCode.NOT_COORDINATOR, `This broker no longer coordinates partition ${this.partition}.`);
      return op();
    }, opts);
  }
}
