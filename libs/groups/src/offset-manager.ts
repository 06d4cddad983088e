import { decodeMessage } from '@dms/kafka-codec';
import { consumerProtocolSubscriptionDescriptor } from '@dms/kafka-schema';
import { ErrorCode } from '@dms/kafka-errors';
import type { CoordinatorRecord, OperationResult, TxnProducer } from '@dms/coordinator';
import type { Group } from './classic/group';
import type { GroupShard } from './group-shard';
import { encodeOffsetCommitKey, encodeOffsetCommitValue } from './records';
import { nz } from './classic/results';
import { txnCoordinatorErrorFor, writeErrorCode } from './write-errors';
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

export { coordinatorErrorFor, txnCoordinatorErrorFor } from './write-errors';

export type TxnMarker = { producerId: bigint; committed: boolean; offset: bigint };

type CommitTopics = OffsetCommitInput['topics'];

/** Per-partition answers of a commit in the order asked (NONE where no code was set). */
const commitResult = (topics: CommitTopics, codes: Map<string, number>): OffsetCommitResult => ({
  topics: topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: codes.get(`${t.name}\0${p.partitionIndex}`) ?? ErrorCode.NONE })),
  })),
});
const allCodes = (topics: CommitTopics, errorCode: number): OffsetCommitResult => ({
  topics: topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
});

/**
 * The offsets of one shard's groups (Kafka's OffsetMetadataManager for classic groups). Commits
 * are operations whose records the runtime replays once durable: plain commits then set the
 * offset, transactional ones wait per producer for their transaction's marker. Fetches
 * (require_stable answering UNSTABLE_OFFSET_COMMIT while a transaction is open on a partition)
 * read the shard; deletes write tombstones. Ownership is checked by the caller.
 */
export class OffsetManager {
  constructor(private readonly shard: GroupShard) {}

  offsetCommit(input: OffsetCommitInput): Promise<OffsetCommitResult> {
    return this.commit(input.topics, () => {
      const consumer = this.shard.consumer.groups.get(input.groupId);
      if (consumer) return this.shard.consumer.validateOffsetCommit(consumer, input.memberId, input.generationId);
      let group = this.shard.group(input.groupId);
      if (!group) {
        // A group not managed by Kafka (assign() plus commits) commits with generation -1.
        if (input.generationId >= 0) return ErrorCode.ILLEGAL_GENERATION;
        group = this.shard.addGroup(input.groupId);
      } else if (group.state === 'Dead') {
        return ErrorCode.COORDINATOR_NOT_AVAILABLE;
      } else if (!(input.generationId < 0 && group.state === 'Empty')) {
        // Kafka's classic-group order: member, then generation, and only then the state. A member
        // of the current generation may commit while the group is PreparingRebalance (sarama
        // commits on close while the others rejoin); CompletingRebalance answers REBALANCE_IN_PROGRESS.
        const found = this.shard.classic.findMember(group, input.memberId, input.groupInstanceId);
        if (!found.member) return found.errorCode;
        if (input.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
        if (group.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
        this.shard.classic.rebalance.scheduleHeartbeat(group, found.member);
      }
      return ErrorCode.NONE;
    }, input.groupId);
  }

  /**
   * TxnOffsetCommit (Kafka's classic-group rules for transactional commits, KIP-447): a request
   * without generation, member or instance id commits for any group state (pre-KIP-447 clients);
   * otherwise the member must be known and of the current generation. The offsets go to the log
   * as a transactional batch of the producer and stay pending until its transaction ends.
   */
  txnOffsetCommit(input: TxnOffsetCommitInput): Promise<TxnOffsetCommitResult> {
    const txn = { producerId: input.producerId, producerEpoch: input.producerEpoch };
    return this.commit(input.topics, () => {
      const group = this.shard.group(input.groupId);
      if (!group) {
        if (input.generationId >= 0) return ErrorCode.ILLEGAL_GENERATION;
        this.shard.addGroup(input.groupId);
      } else if (group.state === 'Dead') {
        return ErrorCode.COORDINATOR_NOT_AVAILABLE;
      } else if (!(input.generationId < 0 && group.state === 'Empty')
        && (input.generationId >= 0 || input.memberId !== '' || nz(input.groupInstanceId) !== undefined)) {
        const found = this.shard.classic.findMember(group, input.memberId, input.groupInstanceId);
        if (!found.member) return found.errorCode;
        if (input.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
      }
      return ErrorCode.NONE;
    }, input.groupId, txn);
  }

  /**
   * One commit operation: `validate` runs in turn on the partition; the accepted partitions'
   * records are appended and replayed, and each gets the append's code. Commits are pipelined:
   * one need not wait for the previous one to be replicated (nothing in it depends on earlier
   * offsets), while deletes and expiry still see every commit before them.
   */
  private async commit(topics: CommitTopics, validate: () => number, groupId: string, txn?: TxnProducer): Promise<OffsetCommitResult> {
    let answer: ((code: number) => OffsetCommitResult) | undefined;
    try {
      return await this.shard.write((): OperationResult<OffsetCommitResult> => {
        const errorCode = validate();
        if (errorCode !== ErrorCode.NONE) return { records: [], response: allCodes(topics, errorCode) };
        const { records, accepted, codes } = this.offsetRecords(groupId, topics);
        answer = (code) => {
          for (const key of accepted) codes.set(key, code);
          return commitResult(topics, codes);
        };
        return { records, response: answer(ErrorCode.NONE), ...(txn ? { txn } : {}) };
      }, { pipelined: true });
    } catch (err) {
      const code = writeErrorCode(err, (e) => this.shard.deps.onError?.(e, 'offset commit failed'), txn ? txnCoordinatorErrorFor : undefined);
      return answer ? answer(code) : allCodes(topics, code);
    }
  }

  /** The records of a commit; partitions whose metadata is too large are refused (in `codes`). */
  private offsetRecords(groupId: string, topics: CommitTopics) {
    const now = this.shard.now();
    const records: CoordinatorRecord[] = [];
    const accepted: string[] = [];
    const codes = new Map<string, number>();
    for (const t of topics) {
      for (const p of t.partitions) {
        const metadata = p.committedMetadata ?? '';
        if (Buffer.byteLength(metadata) > this.shard.config.offsetMetadataMaxBytes) {
          codes.set(`${t.name}\0${p.partitionIndex}`, ErrorCode.OFFSET_METADATA_TOO_LARGE);
          continue;
        }
        const value = { offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata, commitTimestamp: now };
        records.push({ key: encodeOffsetCommitKey(groupId, t.name, p.partitionIndex), value: encodeOffsetCommitValue(value) });
        accepted.push(`${t.name}\0${p.partitionIndex}`);
      }
    }
    return { records, accepted, codes };
  }

  offsetFetch(input: OffsetFetchInput): OffsetFetchResult {
    const consumer = this.shard.consumer.groups.get(input.groupId);
    if (consumer) {
      const errorCode = this.shard.consumer.validateOffsetFetch(consumer, input.memberId ?? null, input.memberEpoch ?? -1);
      if (errorCode !== ErrorCode.NONE) return { errorCode, topics: [] };
    }
    const group = this.shard.group(input.groupId);
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

  /** OffsetDelete: tombstones for the partitions of topics the group does not subscribe to. */
  async offsetDelete(input: OffsetDeleteInput): Promise<OffsetDeleteResult> {
    try {
      return await this.shard.write((): OperationResult<OffsetDeleteResult> => {
        const group = this.shard.group(input.groupId);
        if (!group || group.state === 'Dead') return { records: [], response: { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] } };
        let subscribed = new Set<string>();
        const consumer = this.shard.consumer.groups.get(input.groupId);
        if (consumer) {
          // A KIP-848 consumer group: its members' subscriptions (names and resolved regexes).
          for (const m of consumer.members.values()) for (const t of consumer.topicsOf(m)) subscribed.add(t);
        } else if (!group.isEmpty()) {
          if (group.protocolType !== 'consumer') return { records: [], response: { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] } };
          subscribed = this.subscribedTopics(group);
        }
        const records: CoordinatorRecord[] = [];
        for (const t of input.topics) {
          if (subscribed.has(t.name)) continue;
          for (const p of t.partitionIndexes) records.push({ key: encodeOffsetCommitKey(input.groupId, t.name, p), value: null });
        }
        return {
          records,
          response: {
            errorCode: ErrorCode.NONE,
            topics: input.topics.map((t) => ({
              name: t.name,
              partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, errorCode: subscribed.has(t.name) ? ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC : ErrorCode.NONE })),
            })),
          },
        };
      });
    } catch (err) {
      return { errorCode: writeErrorCode(err, (e) => this.shard.deps.onError?.(e, 'offset delete failed')), topics: [] };
    }
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
}
