import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import {
  SharePartition,
  applyStateChange,
  liveShareConfig,
  type GroupConfigLookup,
  ShareAcquireMode,
  type AcknowledgementBatch,
  type AcquiredRange,
  type SharePartitionKey,
  type ShareGroupConfig,
  type StateChange,
} from '@dms/groups';
import type { Logger } from '@dms/platform';
import type { PartitionReplica } from '../partition-replica';
import type { ReplicaManager } from '../replica-manager';
import { BatchReader } from './batch-reader';
import type { ReadStateAnswer } from './share-state-client';

/** The durable store of share-partition state (the share coordinator, over gRPC). */
export interface ShareStatePersister {
  read(key: SharePartitionKey, leaderEpoch: number): Promise<ReadStateAnswer>;
  initialize(key: SharePartitionKey, stateEpoch: number, startOffset: bigint): Promise<number>;
  write(key: SharePartitionKey, leaderEpoch: number, stateEpoch: number, startOffset: bigint, stateBatches: StateChange['stateBatches']): Promise<number>;
  delete(key: SharePartitionKey): Promise<number>;
}

export interface SharePartitionManagerOptions {
  replicas: Pick<ReplicaManager, 'leaderNow' | 'get'>;
  persister: ShareStatePersister;
  config: ShareGroupConfig;
  /** A group's own settings (GROUP config resource) over `config`; absent: the broker's for every group. */
  groupConfig?: GroupConfigLookup;
  logger: Logger;
  now?: () => number;
}

export interface PartitionRef {
  groupId: string;
  topic: string;
  topicId: string;
  partition: number;
}

export interface FetchPartitionOutcome {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string;
  acknowledgeErrorCode: number;
  acknowledgeErrorMessage: string;
  leaderEpoch: number;
  records: Buffer;
  acquiredRecords: AcquiredRange[];
}

interface Held {
  key: SharePartitionKey;
  sp: SharePartition;
  leaderEpoch: number;
  stateEpoch: number;
  replica: PartitionReplica;
  queue: Promise<unknown>;
  /** The start offset the share coordinator has. */
  persistedStart: bigint;
}

const EMPTY = Buffer.alloc(0);
const idOf = (r: PartitionRef) => `${r.groupId}\0${r.topicId}\0${r.partition}`;
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The share partitions this broker leads the data of (Kafka's SharePartitionManager): per
 * (group, topic, partition) the in-flight window, loaded from the share coordinator on first use
 * (a share partition with no state starts at group.share.auto.offset.reset), and every change
 * written back there before it is answered — acquisitions too, so a record's delivery count
 * survives a failover and the delivery limit holds. Operations on one share partition run one at
 * a time. A leader epoch change drops the window; the next use loads it again.
 */
export class SharePartitionManager {
  private readonly held = new Map<string, Held | Promise<Held>>();
  private readonly now: () => number;

  constructor(private readonly opts: SharePartitionManagerOptions) {
    this.now = opts.now ?? (() => Date.now());
  }

  /** The acquisition lock of a group's records: its share.record.lock.duration.ms, else the broker's. */
  lockDurationMs(groupId: string): number {
    return this.configOf(groupId).recordLockDurationMs;
  }

  /** The settings of a group's share partitions, read live from its group configs. */
  configOf(groupId: string): ShareGroupConfig {
    return liveShareConfig(this.opts.config, groupId, this.opts.groupConfig);
  }

  /** Share partitions loaded here (for metrics and tests). */
  get size(): number {
    return this.held.size;
  }

  /** Applies acknowledgements (and, with `releaseAll`, frees the member's other records). */
  async acknowledge(ref: PartitionRef, memberId: string, batches: AcknowledgementBatch[], releaseAll = false): Promise<{ errorCode: number; errorMessage: string }> {
    let h: Held;
    try {
      h = await this.load(ref);
    } catch (err) {
      return { errorCode: codeOf(err), errorMessage: message(err) };
    }
    return this.serial(h, async () => {
      try {
        if (batches.length > 0) await this.persist(ref, h, h.sp.acknowledge(memberId, batches));
        if (releaseAll) await this.persist(ref, h, h.sp.releaseMember(memberId));
        return { errorCode: ErrorCode.NONE, errorMessage: '' };
      } catch (err) {
        return { errorCode: codeOf(err), errorMessage: message(err) };
      }
    });
  }

  /**
   * Applies the member's piggybacked acknowledgements, then acquires up to `maxRecords` for it and
   * reads the batches holding them; both changes go to the share coordinator in one write before
   * the answer. Acquires nothing when the window is full or the log has nothing new.
   */
  async acquire(ref: PartitionRef, memberId: string, maxRecords: number, mode: number, maxBytes: number, acks: AcknowledgementBatch[] = []): Promise<FetchPartitionOutcome> {
    const base = { topic: ref.topic, partition: ref.partition, acknowledgeErrorCode: ErrorCode.NONE, acknowledgeErrorMessage: '', records: EMPTY, acquiredRecords: [] };
    let h: Held;
    try {
      h = await this.load(ref);
    } catch (err) {
      const failed = { errorCode: codeOf(err), errorMessage: message(err) };
      return { ...base, ...failed, ...(acks.length > 0 ? { acknowledgeErrorCode: failed.errorCode, acknowledgeErrorMessage: failed.errorMessage } : {}), leaderEpoch: -1 };
    }
    return this.serial(h, async () => {
      const outcome: FetchPartitionOutcome = { ...base, errorCode: ErrorCode.NONE, errorMessage: '', leaderEpoch: h.leaderEpoch };
      // Acknowledgements are checked whole before anything changes: a refused batch changes nothing.
      let ackChange: StateChange | undefined;
      if (acks.length > 0) {
        try {
          ackChange = h.sp.acknowledge(memberId, acks);
        } catch (err) {
          outcome.acknowledgeErrorCode = codeOf(err);
          outcome.acknowledgeErrorMessage = message(err);
        }
      }
      const ackFailed = (err: unknown) => {
        if (ackChange) {
          outcome.acknowledgeErrorCode = codeOf(err);
          outcome.acknowledgeErrorMessage = message(err);
        }
      };
      try {
        if (maxRecords <= 0) {
          if (ackChange) await this.persist(ref, h, ackChange);
          return outcome;
        }
        const log = h.replica.log;
        // Records retention removed are gone for the share group too.
        if (h.sp.startOffset < log.logStartOffset) {
          const moved = h.sp.resetTo(log.logStartOffset);
          await this.persist(ref, h, ackChange ? mergeChanges(ackChange, moved) : moved);
          ackChange = undefined;
        }
        const hw = h.replica.highWatermark;
        const reader = new BatchReader(log, hw, Math.max(1024, Math.min(maxBytes, 1 << 20)));
        const recordLimit = mode === ShareAcquireMode.RECORD_LIMIT;
        const batchLastOffsets = recordLimit ? undefined : await reader.boundariesFrom(h.sp.endOffset + 1n);
        const { acquired, change } = h.sp.acquire({
          memberId, fetchableEnd: hw, maxRecords, mode: recordLimit ? ShareAcquireMode.RECORD_LIMIT : ShareAcquireMode.BATCH_OPTIMIZED,
          ...(batchLastOffsets ? { batchLastOffsets } : {}),
        });
        await this.persist(ref, h, ackChange ? mergeChanges(ackChange, change) : change);
        if (acquired.length === 0) return outcome;
        const batches = await reader.covering(acquired);
        return { ...outcome, records: batches.length === 1 ? batches[0]! : Buffer.concat(batches), acquiredRecords: acquired };
      } catch (err) {
        ackFailed(err);
        return { ...outcome, errorCode: codeOf(err), errorMessage: message(err) };
      }
    });
  }

  /** The earliest lock deadline among the given share partitions (a waiting fetch wakes then). */
  nextLockDeadline(refs: readonly PartitionRef[]): number | undefined {
    let min: number | undefined;
    for (const r of refs) {
      const h = this.held.get(idOf(r));
      if (!h || h instanceof Promise) continue;
      const d = h.sp.nextLockDeadline();
      if (d !== undefined && (min === undefined || d < min)) min = d;
    }
    return min;
  }

  /**
   * AlterShareGroupOffsets: the share partition starts over at `startOffset` with a new state
   * epoch (nothing in flight); DeleteShareGroupOffsets (`startOffset` -1): its state is deleted.
   */
  async reset(ref: PartitionRef, startOffset: bigint): Promise<{ errorCode: number; errorMessage: string }> {
    const key = { groupId: ref.groupId, topicId: ref.topicId, partition: ref.partition };
    try {
      if (startOffset < 0n) {
        const current = this.held.get(idOf(ref));
        this.held.delete(idOf(ref));
        if (current && !(current instanceof Promise)) await current.queue.catch(() => undefined);
        const code = await this.opts.persister.delete(key);
        return { errorCode: code, errorMessage: '' };
      }
      const h = await this.load(ref);
      return await this.serial(h, async () => {
        const stateEpoch = h.stateEpoch + 1;
        const code = await this.opts.persister.initialize(key, stateEpoch, startOffset);
        if (code !== ErrorCode.NONE) throw new KafkaError(code, `could not reset ${ref.topic}-${ref.partition} for ${ref.groupId}`);
        h.stateEpoch = stateEpoch;
        h.sp = new SharePartition({ startOffset, stateBatches: [] }, this.configOf(ref.groupId), this.now);
        h.persistedStart = startOffset;
        return { errorCode: ErrorCode.NONE, errorMessage: '' };
      });
    } catch (err) {
      return { errorCode: codeOf(err), errorMessage: message(err) };
    }
  }

  /** Forgets every window (shutdown). */
  clear(): void {
    this.held.clear();
  }

  private serial<T>(h: Held, fn: () => Promise<T>): Promise<T> {
    const run = h.queue.then(fn, fn);
    h.queue = run.catch(() => undefined);
    return run;
  }

  /** Writes a change to the share coordinator; a failed write drops the window (the durable state is the truth). */
  private async persist(ref: PartitionRef, h: Held, change: StateChange): Promise<void> {
    if (change.stateBatches.length === 0 && change.startOffset === h.persistedStart) return;
    const code = await this.opts.persister.write(h.key, h.leaderEpoch, h.stateEpoch, change.startOffset, change.stateBatches);
    if (code !== ErrorCode.NONE) {
      if (this.held.get(idOf(ref)) === h) this.held.delete(idOf(ref));
      const mapped = code === ErrorCode.FENCED_LEADER_EPOCH || code === ErrorCode.FENCED_STATE_EPOCH ? ErrorCode.NOT_LEADER_OR_FOLLOWER : code;
      throw new KafkaError(mapped, `could not persist the share state of ${ref.topic}-${ref.partition} for ${ref.groupId} (error ${code})`);
    }
    h.persistedStart = change.startOffset;
  }

  /** The window of a share partition this broker leads, loading it from the share coordinator. */
  private async load(ref: PartitionRef): Promise<Held> {
    const id = idOf(ref);
    await this.opts.replicas.get(ref.topic, ref.partition);
    const replica = this.opts.replicas.leaderNow(ref.topic, ref.partition);
    if (!replica) {
      this.held.delete(id);
      throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `This broker does not lead ${ref.topic}-${ref.partition}.`);
    }
    if (replica.topicId && ref.topicId && replica.topicId !== ref.topicId) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_ID, `Topic id ${ref.topicId} is not ${ref.topic}'s.`);
    const existing = this.held.get(id);
    if (existing) {
      const h = await existing;
      if (h.replica === replica && h.leaderEpoch === replica.leaderEpoch) return h;
      if (this.held.get(id) === existing) this.held.delete(id);
      return this.load(ref);
    }
    const loading = this.read(ref, replica);
    this.held.set(id, loading);
    try {
      const h = await loading;
      if (this.held.get(id) === loading) this.held.set(id, h);
      return h;
    } catch (err) {
      if (this.held.get(id) === loading) this.held.delete(id);
      throw err;
    }
  }

  private async read(ref: PartitionRef, replica: PartitionReplica): Promise<Held> {
    const key = { groupId: ref.groupId, topicId: ref.topicId, partition: ref.partition };
    const leaderEpoch = replica.leaderEpoch;
    const r = await this.opts.persister.read(key, leaderEpoch);
    if (r.errorCode !== ErrorCode.NONE) {
      const code = r.errorCode === ErrorCode.FENCED_LEADER_EPOCH ? ErrorCode.NOT_LEADER_OR_FOLLOWER : r.errorCode;
      throw new KafkaError(code, `could not read the share state of ${ref.topic}-${ref.partition} for ${ref.groupId}: ${r.errorMessage ?? r.errorCode}`);
    }
    let snapshot = { startOffset: r.startOffset, stateBatches: r.stateBatches };
    let stateEpoch = r.stateEpoch;
    if (r.startOffset < 0n) {
      const start = this.configOf(ref.groupId).autoOffsetReset === 'earliest' ? replica.log.logStartOffset : replica.highWatermark;
      const code = await this.opts.persister.initialize(key, 0, start);
      if (code !== ErrorCode.NONE) throw new KafkaError(code, `could not initialize the share state of ${ref.topic}-${ref.partition} for ${ref.groupId}`);
      snapshot = { startOffset: start, stateBatches: [] };
      stateEpoch = 0;
    }
    const sp = new SharePartition(snapshot, this.configOf(ref.groupId), this.now);
    this.opts.logger.info({ group: ref.groupId, topic: ref.topic, partition: ref.partition, startOffset: String(sp.startOffset), leaderEpoch }, 'share partition loaded');
    return { key, sp, leaderEpoch, stateEpoch, replica, queue: Promise.resolve(), persistedStart: snapshot.startOffset };
  }
}

/** Two successive changes as one: the later states win, the start offset is the later one. */
function mergeChanges(first: StateChange, second: StateChange): StateChange {
  return applyStateChange({ startOffset: first.startOffset, stateBatches: first.stateBatches }, second);
}

function codeOf(err: unknown): number {
  return err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR;
}
