import { CoordinatorRuntime, type CoordinatorLog, type CoordinatorTimer } from '@dms/coordinator';
import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { groupPartition } from '@dms/groups';
import { DEFAULT_TRANSACTION_CONFIG, TRANSACTION_STATE_TOPIC, type TransactionCoordinatorConfig } from './config';
import { TXN_STATE_NAMES, TxnState } from './records';
import { NO_PRODUCER_EPOCH, NO_PRODUCER_ID, partitionList } from './txn-metadata';
import { TransactionShard, type ProducerIdAndEpoch, type TopicPartition, type TxnCompletion } from './transaction-shard';

/** One COMMIT/ABORT marker for a set of partitions (StorageService.WriteTxnMarkers). */
export interface TxnMarker {
  producerId: bigint;
  producerEpoch: number;
  committed: boolean;
  /** The leader epoch of the __transaction_state partition (Kafka's coordinator epoch). */
  coordinatorEpoch: number;
}

export interface TxnMarkerWriter {
  /**
   * Writes the marker to each partition through its leader; the error code per partition.
   * A partition whose topic no longer exists answers NONE (there is nothing left to mark).
   */
  write(marker: TxnMarker, partitions: TopicPartition[]): Promise<Array<TopicPartition & { errorCode: number }>>;
}

export interface TransactionCoordinatorOptions {
  log: CoordinatorLog;
  /** Partitions of __transaction_state (0 while it does not exist). */
  numPartitions(): number;
  /** Partitions of __consumer_offsets (0 while it does not exist), for AddOffsetsToTxn. */
  offsetsPartitions(): number;
  newProducerId(): Promise<bigint>;
  markers: TxnMarkerWriter;
  config?: Partial<TransactionCoordinatorConfig>;
  timer?: CoordinatorTimer;
  onError?(err: unknown, what: string): void;
  onInfo?(fields: Record<string, unknown>, what: string): void;
}

export interface DescribedTransaction {
  transactionalId: string;
  errorCode: number;
  state: string;
  timeoutMs: number;
  startTimeMs: bigint;
  producerId: bigint;
  producerEpoch: number;
  topics: { topic: string; partitions: number[] }[];
}

export interface ListedTransaction {
  transactionalId: string;
  producerId: bigint;
  state: string;
}

const OFFSETS_TOPIC = '__consumer_offsets';
const MARKER_BACKOFF_MS = [100, 200, 500, 1000, 2000, 5000];

/**
 * Kafka's transaction coordinator over the coordinator runtime: one TransactionShard per
 * __transaction_state partition this broker leads; EndTxn (and aborts for fencing or timeouts)
 * persist PrepareCommit/PrepareAbort, write the markers through the partition leaders until
 * every one has them, then persist CompleteCommit/CompleteAbort. A partition loaded with
 * transactions still in Prepare resumes their markers. Timed-out transactions are aborted and
 * idle ids expired on timers of the runtime.
 */
export class TransactionCoordinator {
  readonly runtime: CoordinatorRuntime<TransactionShard>;
  private readonly config: TransactionCoordinatorConfig;
  private readonly counts = { committed: 0, aborted: 0 };
  /** Completions in progress, by transactional id (one at a time per id). */
  private readonly completing = new Map<string, Promise<void>>();

  constructor(private readonly opts: TransactionCoordinatorOptions) {
    this.config = { ...DEFAULT_TRANSACTION_CONFIG, ...opts.config };
    this.runtime = new CoordinatorRuntime<TransactionShard>({
      log: opts.log,
      timer: opts.timer,
      onError: opts.onError,
      newShard: (ctx) =>
        new TransactionShard(ctx, this.config, {
          loaded: (shard) => this.onLoaded(shard),
          invalidRecord: (err) => opts.onError?.(err, `skipped an unreadable record of ${TRANSACTION_STATE_TOPIC} partition ${ctx.partition}`),
        }),
    });
  }

  get timer(): CoordinatorTimer {
    return this.runtime.timer;
  }

  close(): void {
    this.runtime.close();
  }

  /** The __transaction_state partition of a transactional id; throws NOT_COORDINATOR while the topic is missing. */
  partitionFor(transactionalId: string): number {
    const n = this.opts.numPartitions();
    if (n <= 0) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The transaction state topic does not exist yet.');
    return groupPartition(transactionalId, n);
  }

  async initProducerId(input: { transactionalId: string; transactionTimeoutMs: number; producerId: bigint; producerEpoch: number }): Promise<ProducerIdAndEpoch> {
    return this.guard(async () => {
      const p = this.partitionFor(input.transactionalId);
      const out = await this.runtime.write(p, (s) => s.initProducerId(input, this.opts.newProducerId));
      if (out.complete) this.startCompletion(p, out.complete);
      return out.result;
    }, (errorCode) => ({ errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH }));
  }

  /** AddPartitionsToTxn (not verify-only): one error code for all the partitions. */
  addPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, partitions: TopicPartition[]): Promise<number> {
    return this.guard(() => this.runtime.write(this.partitionFor(transactionalId), (s) => s.addPartitions(transactionalId, producerId, producerEpoch, partitions)), (c) => c);
  }

  /** AddPartitionsToTxn verify-only (KIP-890): an error code per partition. */
  verifyPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, partitions: TopicPartition[]): Promise<number[]> {
    return this.guard(
      async () => this.runtime.read(this.partitionFor(transactionalId), (s) => s.verifyPartitions(transactionalId, producerId, producerEpoch, partitions)),
      (c) => partitions.map(() => c),
    );
  }

  /** AddOffsetsToTxn: the group's partition of __consumer_offsets joins the transaction. */
  addOffsets(transactionalId: string, producerId: bigint, producerEpoch: number, groupId: string): Promise<number> {
    return this.guard(async () => {
      const n = this.opts.offsetsPartitions();
      if (n <= 0) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
      const tp = { topic: OFFSETS_TOPIC, partition: groupPartition(groupId, n) };
      return this.runtime.write(this.partitionFor(transactionalId), (s) => s.addPartitions(transactionalId, producerId, producerEpoch, [tp]));
    }, (c) => c);
  }

  /** EndTxn: answered once PrepareCommit/PrepareAbort is durable; the markers follow. */
  endTxn(transactionalId: string, producerId: bigint, producerEpoch: number, commit: boolean): Promise<number> {
    return this.guard(async () => {
      const p = this.partitionFor(transactionalId);
      const out = await this.runtime.write(p, (s) => s.endTxn(transactionalId, producerId, producerEpoch, commit));
      if (out.complete) this.startCompletion(p, out.complete);
      return out.result;
    }, (c) => c);
  }

  describe(transactionalIds: string[]): DescribedTransaction[] {
    return transactionalIds.map((transactionalId) => {
      const empty = { transactionalId, state: '', timeoutMs: 0, startTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [] };
      try {
        const m = this.runtime.read(this.partitionFor(transactionalId), (s) => s.txns.get(transactionalId));
        if (!m) return { ...empty, errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND };
        return {
          transactionalId,
          errorCode: ErrorCode.NONE,
          state: TXN_STATE_NAMES[m.state],
          timeoutMs: m.timeoutMs,
          startTimeMs: BigInt(m.startTimestampMs),
          producerId: m.producerId,
          producerEpoch: m.producerEpoch,
          topics: partitionList(m.partitions).map((tp) => ({ topic: tp.topic, partitions: tp.partitionIds })),
        };
      } catch (e) {
        return { ...empty, errorCode: e instanceof KafkaError ? e.code : ErrorCode.UNKNOWN_SERVER_ERROR };
      }
    });
  }

  /** Every transaction of the loaded partitions, filtered as ListTransactions asks (empty filters match all). */
  list(filter: { states: string[]; producerIds: bigint[]; minDurationMs: number }): ListedTransaction[] {
    const out: ListedTransaction[] = [];
    const now = this.timer.now();
    for (const p of this.runtime.loadedPartitions()) {
      if (!this.runtime.isLoaded(p)) continue;
      this.runtime.read(p, (s) => {
        for (const m of s.txns.values()) {
          const state = TXN_STATE_NAMES[m.state];
          if (filter.states.length > 0 && !filter.states.includes(state)) continue;
          if (filter.producerIds.length > 0 && !filter.producerIds.includes(m.producerId)) continue;
          if (m.state === TxnState.Dead) continue;
          // KIP-994: only transactions started longer ago than the duration (as Kafka counts it).
          if (filter.minDurationMs >= 0 && now - m.startTimestampMs <= filter.minDurationMs) continue;
          out.push({ transactionalId: m.transactionalId, producerId: m.producerId, state });
        }
      });
    }
    return out;
  }

  /** Metrics: transactions Ongoing now, and transactions committed/aborted since start. */
  stats(): { ongoing: number; committed: number; aborted: number } {
    let ongoing = 0;
    for (const p of this.runtime.loadedPartitions()) {
      if (this.runtime.isLoaded(p)) ongoing += this.runtime.read(p, (s) => s.ongoingCount());
    }
    return { ongoing, ...this.counts };
  }

  /** Runs an API call; a KafkaError (NOT_COORDINATOR, loading, append failures) becomes its code. */
  private async guard<R>(fn: () => Promise<R>, fail: (errorCode: number) => R): Promise<R> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof KafkaError) return fail(e.code);
      this.opts.onError?.(e, 'transaction coordinator operation failed');
      return fail(ErrorCode.UNKNOWN_SERVER_ERROR);
    }
  }

  private onLoaded(shard: TransactionShard): void {
    const p = shard.ctx.partition;
    for (const done of shard.prepared()) this.startCompletion(p, done);
    this.scheduleAbortCheck(shard);
    this.scheduleExpiry(shard);
  }

  private scheduleAbortCheck(shard: TransactionShard): void {
    shard.ctx.schedule(this.config.abortTimedOutTransactionCleanupIntervalMs, () => {
      void (async () => {
        const p = shard.ctx.partition;
        for (const id of shard.timedOut()) {
          try {
            const out = await this.runtime.write(p, (s) => s.abortTimedOut(id));
            if (out.complete) {
              this.opts.onInfo?.({ transactionalId: id, producerId: out.complete.producerId }, 'aborting a timed-out transaction');
              this.startCompletion(p, out.complete);
            }
          } catch (e) {
            if (!(e instanceof KafkaError)) this.opts.onError?.(e, 'aborting a timed-out transaction failed');
          }
        }
        if (shard.ctx.active()) this.scheduleAbortCheck(shard);
      })();
    });
  }

  private scheduleExpiry(shard: TransactionShard): void {
    shard.ctx.schedule(this.config.removeExpiredTransactionalIdCleanupIntervalMs, () => {
      void this.runtime
        .write(shard.ctx.partition, (s) => s.expire())
        .then((ids) => {
          if (ids.length > 0) this.opts.onInfo?.({ partition: shard.ctx.partition, expired: ids.length }, 'expired transactional ids');
        })
        .catch((e: unknown) => {
          if (!(e instanceof KafkaError)) this.opts.onError?.(e, 'expiring transactional ids failed');
        })
        .finally(() => {
          if (shard.ctx.active()) this.scheduleExpiry(shard);
        });
    });
  }

  /** Markers, then the Complete record; runs until done or the partition is no longer ours. */
  private startCompletion(partition: number, done: TxnCompletion): void {
    const previous = this.completing.get(done.transactionalId) ?? Promise.resolve();
    const run = previous.then(() => this.complete(partition, done)).catch((e: unknown) => this.opts.onError?.(e, 'completing a transaction failed'));
    this.completing.set(done.transactionalId, run);
    void run.finally(() => {
      if (this.completing.get(done.transactionalId) === run) this.completing.delete(done.transactionalId);
    });
  }

  private async complete(partition: number, done: TxnCompletion): Promise<void> {
    const epoch = this.runtime.epochOf(partition);
    if (epoch === undefined) return;
    const stillOurs = () => this.runtime.epochOf(partition) === epoch;
    const marker: TxnMarker = { producerId: done.producerId, producerEpoch: done.producerEpoch, committed: done.commit, coordinatorEpoch: epoch };
    let left = done.partitions;
    for (let attempt = 0; left.length > 0; attempt++) {
      if (!stillOurs()) return;
      let results: Array<TopicPartition & { errorCode: number }>;
      try {
        results = await this.opts.markers.write(marker, left);
      } catch (e) {
        this.opts.onError?.(e, 'writing transaction markers failed');
        results = left.map((tp) => ({ ...tp, errorCode: ErrorCode.REQUEST_TIMED_OUT }));
      }
      // A newer coordinator of this partition is at work (its leader epoch is higher): it completes
      // the transaction; this one stops, as Kafka's does.
      if (results.some((r) => r.errorCode === ErrorCode.TRANSACTION_COORDINATOR_FENCED)) {
        this.opts.onInfo?.({ transactionalId: done.transactionalId, partition }, 'a newer transaction coordinator is completing this transaction');
        return;
      }
      // INVALID_PRODUCER_EPOCH: the partition already saw a newer epoch of this producer, so this
      // transaction's end is no longer needed there (Kafka stops sending it).
      left = results.filter((r) => r.errorCode !== ErrorCode.NONE && r.errorCode !== ErrorCode.INVALID_PRODUCER_EPOCH).map((r) => ({ topic: r.topic, partition: r.partition }));
      if (left.length > 0) await this.sleep(MARKER_BACKOFF_MS[Math.min(attempt, MARKER_BACKOFF_MS.length - 1)]);
    }
    for (let attempt = 0; stillOurs(); attempt++) {
      try {
        if (await this.runtime.write(partition, (s) => s.completeTxn(done))) {
          if (done.commit) this.counts.committed++;
          else this.counts.aborted++;
        }
        return;
      } catch (e) {
        if (e instanceof KafkaError && e.code === ErrorCode.NOT_COORDINATOR) return;
        await this.sleep(MARKER_BACKOFF_MS[Math.min(attempt, MARKER_BACKOFF_MS.length - 1)]);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.timer.schedule(ms, resolve);
    });
  }
}
