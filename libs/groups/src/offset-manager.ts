import { decodeMessage } from '@dms/kafka-codec';
import { consumerProtocolSubscriptionDescriptor } from '@dms/kafka-schema';
import { ErrorCode } from '@dms/kafka-errors';
import type { GroupCoordinatorConfig } from './config';
import type { AppendOutcome, CoordinatorRecord, TxnProducer } from './coordinator-log';
import type { Group, Member } from './group';
import { encodeOffsetCommitKey, encodeOffsetCommitValue, type OffsetCommitValue } from './records';
import type {
  OffsetCommitInput,
  OffsetCommitResult,
  OffsetDeleteInput,
  OffsetDeleteResult,
  OffsetFetchInput,
  OffsetFetchResult,
  TxnOffsetCommitInput,
  TxnOffsetCommitResult,
} from './types';

export type TxnMarker = { producerId: bigint; committed: boolean; offset: bigint };

/** What the offset operations need of the coordinator that owns the groups. */
export interface OffsetManagerContext {
  readonly config: GroupCoordinatorConfig;
  now(): bigint;
  /** NONE and the group's partition when this coordinator serves the group now. */
  ownership(groupId: string): { errorCode: number; partition: number };
  group(groupId: string): Group | undefined;
  /** A new Empty group: commits for groups the coordinator does not manage create one. */
  addGroup(groupId: string, partition: number): Group;
  groupsOf(partition: number): Iterable<Group>;
  findMember(group: Group | undefined, memberId: string, groupInstanceId: string | undefined): { errorCode: number; member?: Member };
  /** A member showed it is alive (its session timer restarts). */
  memberAlive(group: Group, member: Member): void;
  append(partition: number, records: CoordinatorRecord[], txn?: TxnProducer): Promise<AppendOutcome>;
}

/** Append failures as Kafka's coordinator reports them to clients. */
export function coordinatorErrorFor(appendError: number): number {
  switch (appendError) {
    case ErrorCode.NONE:
      return ErrorCode.NONE;
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
    case ErrorCode.COORDINATOR_NOT_AVAILABLE:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
    case ErrorCode.FENCED_LEADER_EPOCH:
    case ErrorCode.NOT_COORDINATOR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    default:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
  }
}

/** Append failures of a transactional commit: the producer's own errors reach the client as such. */
export function txnCoordinatorErrorFor(appendError: number): number {
  switch (appendError) {
    case ErrorCode.INVALID_PRODUCER_EPOCH:
    case ErrorCode.PRODUCER_FENCED:
    case ErrorCode.INVALID_PRODUCER_ID_MAPPING:
    case ErrorCode.INVALID_TXN_STATE:
    case ErrorCode.TRANSACTION_ABORTABLE:
    case ErrorCode.UNKNOWN_PRODUCER_ID:
      return appendError;
    default:
      return coordinatorErrorFor(appendError);
  }
}

/** Per-partition answers of a commit in the order asked (NONE where no code was set). */
const commitResult = (topics: OffsetCommitInput['topics'], codes: Map<string, number>): OffsetCommitResult => ({
  topics: topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: codes.get(`${t.name}\0${p.partitionIndex}`) ?? ErrorCode.NONE })),
  })),
});
const nz = (s: string | null | undefined): string | undefined => (s === null || s === undefined || s === '' ? undefined : s);

/**
 * The group coordinator's offsets (Kafka's OffsetMetadataManager for classic groups): plain
 * commits applied once durable, transactional commits kept pending per producer until their
 * transaction's marker, fetches (require_stable answering UNSTABLE_OFFSET_COMMIT while a
 * transaction is open on a partition) and deletes.
 */
export class OffsetManager {
  constructor(private readonly ctx: OffsetManagerContext) {}

  async offsetCommit(input: OffsetCommitInput): Promise<OffsetCommitResult> {
    const all = (errorCode: number): OffsetCommitResult => ({
      topics: input.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
    });
    if (!input.groupId) return all(ErrorCode.INVALID_GROUP_ID);
    const own = this.ctx.ownership(input.groupId);
    if (own.errorCode !== ErrorCode.NONE) return all(own.errorCode);
    let group = this.ctx.group(input.groupId);
    if (!group) {
      // A group not managed by Kafka (assign() plus commits) commits with generation -1.
      if (input.generationId >= 0) return all(ErrorCode.ILLEGAL_GENERATION);
      group = this.ctx.addGroup(input.groupId, own.partition);
    } else if (group.state === 'Dead') {
      return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    } else if (!(input.generationId < 0 && group.state === 'Empty')) {
      // Kafka's classic-group order: member, then generation, and only then the state. A member
      // of the current generation may commit while the group is PreparingRebalance (sarama
      // commits on close while the others rejoin); CompletingRebalance answers REBALANCE_IN_PROGRESS.
      const found = this.ctx.findMember(group, input.memberId, input.groupInstanceId);
      if (!found.member) return all(found.errorCode);
      if (input.generationId !== group.generationId) return all(ErrorCode.ILLEGAL_GENERATION);
      if (group.state === 'CompletingRebalance') return all(ErrorCode.REBALANCE_IN_PROGRESS);
      this.ctx.memberAlive(group, found.member);
    }
    const { records, accepted, codes } = this.offsetRecords(input.groupId, input.topics);
    if (records.length > 0) {
      const appended = await this.ctx.append(own.partition, records);
      const errorCode = coordinatorErrorFor(appended.errorCode);
      for (const a of accepted) codes.set(`${a.topic}\0${a.partition}`, errorCode);
      const current = this.ctx.group(input.groupId);
      if (errorCode === ErrorCode.NONE && current) {
        accepted.forEach((a, i) => current.setOffset(a.topic, a.partition, { ...a.value, logOffset: appended.baseOffset + BigInt(i) }));
      }
    }
    return commitResult(input.topics, codes);
  }

  /** The records of a commit; partitions whose metadata is too large are refused (in `codes`). */
  private offsetRecords(groupId: string, topics: OffsetCommitInput['topics']) {
    const now = this.ctx.now();
    const records: CoordinatorRecord[] = [];
    const accepted: { topic: string; partition: number; value: Omit<OffsetCommitValue, 'expireTimestamp'> }[] = [];
    const codes = new Map<string, number>();
    for (const t of topics) {
      for (const p of t.partitions) {
        const metadata = p.committedMetadata ?? '';
        if (Buffer.byteLength(metadata) > this.ctx.config.offsetMetadataMaxBytes) {
          codes.set(`${t.name}\0${p.partitionIndex}`, ErrorCode.OFFSET_METADATA_TOO_LARGE);
          continue;
        }
        const value = { offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata, commitTimestamp: now };
        records.push({ key: encodeOffsetCommitKey(groupId, t.name, p.partitionIndex), value: encodeOffsetCommitValue(value) });
        accepted.push({ topic: t.name, partition: p.partitionIndex, value });
      }
    }
    return { records, accepted, codes };
  }

  /**
   * TxnOffsetCommit (Kafka's classic-group rules for transactional commits, KIP-447): a request
   * without generation, member or instance id commits for any group state (pre-KIP-447 clients);
   * otherwise the member must be known and of the current generation. The offsets go to the log
   * as a transactional batch of the producer and stay pending until its transaction ends.
   */
  async txnOffsetCommit(input: TxnOffsetCommitInput): Promise<TxnOffsetCommitResult> {
    const all = (errorCode: number): TxnOffsetCommitResult => ({
      topics: input.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
    });
    if (!input.groupId) return all(ErrorCode.INVALID_GROUP_ID);
    const own = this.ctx.ownership(input.groupId);
    if (own.errorCode !== ErrorCode.NONE) return all(own.errorCode);
    let group = this.ctx.group(input.groupId);
    if (!group) {
      if (input.generationId >= 0) return all(ErrorCode.ILLEGAL_GENERATION);
      group = this.ctx.addGroup(input.groupId, own.partition);
    } else if (group.state === 'Dead') {
      return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    } else if (!(input.generationId < 0 && group.state === 'Empty')
      && (input.generationId >= 0 || input.memberId !== '' || nz(input.groupInstanceId) !== undefined)) {
      const found = this.ctx.findMember(group, input.memberId, input.groupInstanceId);
      if (!found.member) return all(found.errorCode);
      if (input.generationId !== group.generationId) return all(ErrorCode.ILLEGAL_GENERATION);
    }
    const { records, accepted, codes } = this.offsetRecords(input.groupId, input.topics);
    if (records.length > 0) {
      const txn = { producerId: input.producerId, producerEpoch: input.producerEpoch };
      const appended = await this.ctx.append(own.partition, records, txn);
      const errorCode = txnCoordinatorErrorFor(appended.errorCode);
      for (const a of accepted) codes.set(`${a.topic}\0${a.partition}`, errorCode);
      const current = this.ctx.group(input.groupId);
      if (errorCode === ErrorCode.NONE && current) {
        accepted.forEach((a, i) => current.pendingTxnOffsets.add(input.producerId, {
          ...a.value, topic: a.topic, partition: a.partition, logOffset: appended.baseOffset + BigInt(i),
        }));
      }
    }
    return commitResult(input.topics, codes);
  }

  offsetFetch(input: OffsetFetchInput): OffsetFetchResult {
    const own = this.ctx.ownership(input.groupId);
    if (own.errorCode !== ErrorCode.NONE) return { errorCode: own.errorCode, topics: [] };
    const group = this.ctx.group(input.groupId);
    const entry = (topic: string, partitionIndex: number, o?: { offset: bigint; leaderEpoch: number; metadata: string }) => {
      if (input.requireStable && group?.pendingTxnOffsets.has(topic, partitionIndex)) {
        return { partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT };
      }
      return {
        partitionIndex,
        committedOffset: o?.offset ?? -1n,
        committedLeaderEpoch: o?.leaderEpoch ?? -1,
        metadata: o?.metadata ?? '',
        errorCode: ErrorCode.NONE,
      };
    };
    if (input.allTopics) {
      const byTopic = new Map<string, ReturnType<typeof entry>[]>();
      for (const o of group?.offsets.values() ?? []) {
        const list = byTopic.get(o.topic) ?? [];
        list.push(entry(o.topic, o.partition, o));
        byTopic.set(o.topic, list);
      }
      return { errorCode: ErrorCode.NONE, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions: partitions.sort((a, b) => a.partitionIndex - b.partitionIndex) })) };
    }
    return {
      errorCode: ErrorCode.NONE,
      topics: input.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => entry(t.name, p, group?.getOffset(t.name, p))) })),
    };
  }

  async offsetDelete(input: OffsetDeleteInput): Promise<OffsetDeleteResult> {
    const own = this.ctx.ownership(input.groupId);
    if (own.errorCode !== ErrorCode.NONE) return { errorCode: own.errorCode, topics: [] };
    const group = this.ctx.group(input.groupId);
    if (!group || group.state === 'Dead') return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
    let subscribed = new Set<string>();
    if (!group.isEmpty()) {
      if (group.protocolType !== 'consumer') return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] };
      subscribed = this.subscribedTopics(group);
    }
    const records = [];
    const deleting: { topic: string; partition: number }[] = [];
    for (const t of input.topics) {
      if (subscribed.has(t.name)) continue;
      for (const p of t.partitionIndexes) {
        records.push({ key: encodeOffsetCommitKey(input.groupId, t.name, p), value: null });
        deleting.push({ topic: t.name, partition: p });
      }
    }
    let errorCode: number = ErrorCode.NONE;
    if (records.length > 0) {
      errorCode = coordinatorErrorFor((await this.ctx.append(own.partition, records)).errorCode);
      if (errorCode !== ErrorCode.NONE) return { errorCode, topics: [] };
      for (const d of deleting) {
        const g = this.ctx.group(input.groupId);
        g?.deleteOffset(d.topic, d.partition);
        g?.pendingTxnOffsets.remove(d.topic, d.partition);
      }
    }
    return {
      errorCode: ErrorCode.NONE,
      topics: input.topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, errorCode: subscribed.has(t.name) ? ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC : ErrorCode.NONE })),
      })),
    };
  }

  private subscribedTopics(group: Group): Set<string> {
    const topics = new Set<string>();
    for (const m of group.members.values()) {
      const meta = m.metadataFor(group.protocolName);
      if (meta.length < 2) continue;
      try {
        const version = Math.min(meta.readInt16BE(0), 3);
        for (const t of decodeMessage(consumerProtocolSubscriptionDescriptor, version, meta, 2).topics as string[]) topics.add(t);
      } catch {
        // Unreadable subscription: nothing can be known subscribed through it.
      }
    }
    return topics;
  }

  /** The transaction of `m.producerId` ended on `partition` with a marker at `m.offset`. */
  completeTxn(partition: number, m: TxnMarker): void {
    for (const g of this.ctx.groupsOf(partition)) {
      if (g.pendingTxnOffsets.hasProducer(m.producerId)) g.completeTxn(m.producerId, m.committed, m.offset);
    }
  }
}
