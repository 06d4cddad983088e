import { CoordinatorRuntime, systemTimer, type CoordinatorLog, type CoordinatorTimer } from '@dms/coordinator';
import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { groupPartition } from '../../../placement';
import type { StateBatch } from '../share-state';
import { shareCoordinatorKey, type SharePartitionKey } from './share-state-records';
import { ShareStateShard, type WriteShareStateInput } from './share-state-shard';

/** The internal topic of share-partition state, as Kafka names it. */
export const SHARE_STATE_TOPIC = '__share_group_state';

export interface ReadShareStateResult {
  errorCode: number;
  errorMessage: string | null;
  stateEpoch: number;
  leaderEpoch: number;
  /** -1: never initialized. */
  startOffset: bigint;
  stateBatches: StateBatch[];
}

export interface ShareCoordinatorOptions {
  log: CoordinatorLog;
  /** Partition count of __share_group_state, or 0 while it does not exist. */
  numPartitions: () => number;
  updatesPerSnapshot?: number;
  timer?: CoordinatorTimer;
  onError?: (err: unknown, what: string) => void;
}

const codeOf = (err: unknown): { errorCode: number; errorMessage: string } =>
  err instanceof KafkaError ? { errorCode: err.code, errorMessage: err.message } : { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: String(err) };

/**
 * The share coordinator of one broker (Kafka's ShareCoordinatorService): the durable state of
 * share partitions, kept in the __share_group_state partitions this broker leads, one
 * ShareStateShard each, on the coordinator runtime. The leaders of share partitions read their
 * state here when they load one and write every change here before they answer.
 */
export class ShareCoordinator {
  readonly runtime: CoordinatorRuntime<ShareStateShard>;

  constructor(private readonly opts: ShareCoordinatorOptions) {
    const updatesPerSnapshot = opts.updatesPerSnapshot ?? 500;
    this.runtime = new CoordinatorRuntime<ShareStateShard>({
      timer: opts.timer ?? systemTimer,
      log: opts.log,
      newShard: (ctx) => new ShareStateShard(ctx, { updatesPerSnapshot, ...(opts.onError ? { onError: opts.onError } : {}) }),
      ...(opts.onError ? { onError: opts.onError } : {}),
    });
  }

  close(): void {
    this.runtime.close();
  }

  /** The partition of __share_group_state holding a share partition's state (Kafka's placement). */
  partitionOf(key: SharePartitionKey): number {
    const n = this.opts.numPartitions();
    if (n <= 0) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${SHARE_STATE_TOPIC} does not exist yet.`);
    return groupPartition(shareCoordinatorKey(key), n);
  }

  private owned(key: SharePartitionKey): number {
    const p = this.partitionOf(key);
    if (this.runtime.isLoaded(p)) return p;
    if (this.runtime.epochOf(p) !== undefined) throw new KafkaError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, `${SHARE_STATE_TOPIC}-${p} is loading.`);
    throw new KafkaError(ErrorCode.NOT_COORDINATOR, `This broker does not lead ${SHARE_STATE_TOPIC}-${p}.`);
  }

  read(key: SharePartitionKey, leaderEpoch: number): ReadShareStateResult {
    const none = { stateEpoch: 0, leaderEpoch: -1, startOffset: -1n, stateBatches: [] };
    try {
      const p = this.owned(key);
      return this.runtime.read(p, (s) => {
        const st = s.get(key);
        if (!st) return { errorCode: ErrorCode.NONE, errorMessage: null, ...none };
        if (leaderEpoch >= 0 && leaderEpoch < st.leaderEpoch) {
          return { errorCode: ErrorCode.FENCED_LEADER_EPOCH, errorMessage: `Leader epoch ${leaderEpoch} is older than ${st.leaderEpoch}.`, ...none };
        }
        return {
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          stateEpoch: st.stateEpoch,
          leaderEpoch: st.leaderEpoch,
          startOffset: st.snapshot.startOffset,
          stateBatches: st.snapshot.stateBatches,
        };
      });
    } catch (err) {
      return { ...codeOf(err), ...none };
    }
  }

  /** The start offsets of a group's share partitions this coordinator holds. */
  readGroup(groupId: string): { topicId: string; partition: number; startOffset: bigint; stateEpoch: number }[] {
    const out = [];
    for (const p of this.runtime.loadedPartitions()) {
      if (!this.runtime.isLoaded(p)) continue;
      for (const s of this.runtime.read(p, (sh) => sh.ofGroup(groupId))) {
        out.push({ topicId: s.key.topicId, partition: s.key.partition, startOffset: s.snapshot.startOffset, stateEpoch: s.stateEpoch });
      }
    }
    return out;
  }

  async initialize(key: SharePartitionKey, stateEpoch: number, startOffset: bigint): Promise<{ errorCode: number; errorMessage: string | null }> {
    return this.op(key, (s) => s.initialize(key, stateEpoch, startOffset));
  }

  async write(input: WriteShareStateInput): Promise<{ errorCode: number; errorMessage: string | null }> {
    return this.op(input.key, (s) => s.write(input));
  }

  async delete(key: SharePartitionKey): Promise<{ errorCode: number; errorMessage: string | null }> {
    return this.op(key, (s) => s.delete(key));
  }

  private async op(key: SharePartitionKey, fn: (s: ShareStateShard) => ReturnType<ShareStateShard['write']>): Promise<{ errorCode: number; errorMessage: string | null }> {
    try {
      const p = this.owned(key);
      const errorCode = await this.runtime.write(p, fn);
      return { errorCode, errorMessage: null };
    } catch (err) {
      return codeOf(err);
    }
  }
}
