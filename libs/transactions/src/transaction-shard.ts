import type { CoordinatorRecord, CoordinatorShard, OperationResult, ShardContext } from '@dms/coordinator';
import { ErrorCode } from '@dms/kafka-errors';
import {
  decodeTransactionLogKey,
  decodeTransactionLogValue,
  encodeTransactionLogKey,
  encodeTransactionLogValue,
  TxnState,
} from './records';
import {
  copyMetadata,
  fromLogValue,
  isEpochExhausted,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  partitionCount,
  toLogValue,
  type TxnMetadata,
} from './txn-metadata';

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** Markers to write once a Prepare record is durable, then the Complete record. */
export interface TxnCompletion {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  commit: boolean;
  partitions: TopicPartition[];
}

export interface ProducerIdAndEpoch {
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

export interface TxnOutcome<R> {
  result: R;
  /** Set when the operation moved a transaction to PrepareCommit/PrepareAbort. */
  complete?: TxnCompletion;
}

export interface ShardLimits {
  transactionMaxTimeoutMs: number;
  transactionalIdExpirationMs: number;
}

const isComplete = (s: TxnState) => s === TxnState.CompleteCommit || s === TxnState.CompleteAbort;
const isPrepare = (s: TxnState) => s === TxnState.PrepareCommit || s === TxnState.PrepareAbort;

/**
 * The transactional ids of one __transaction_state partition and Kafka's transaction state
 * machine over them (KIP-98, KIP-360, the KIP-890 part 1 checks). Every operation returns the
 * record of the new state and changes nothing itself: the state moves when the runtime replays
 * the record once it is durable.
 */
export class TransactionShard implements CoordinatorShard {
  readonly txns = new Map<string, TxnMetadata>();
  /** In-memory parts of a state (the last epoch) an operation computed, applied with its record. */
  private readonly pendingLastEpoch = new Map<string, number>();

  constructor(
    readonly ctx: ShardContext,
    private readonly limits: ShardLimits,
    private readonly hooks: { loaded?(shard: TransactionShard): void; unloaded?(shard: TransactionShard): void; invalidRecord?(err: unknown): void } = {},
  ) {}

  replay(record: CoordinatorRecord): void {
    let id: string | undefined;
    let value: ReturnType<typeof decodeTransactionLogValue> | null;
    try {
      id = decodeTransactionLogKey(record.key);
      if (id === undefined) return;
      value = record.value === null ? null : decodeTransactionLogValue(record.value);
    } catch (err) {
      // A record no version of Kafka wrote: skipped (and reported) rather than keeping the
      // whole partition from loading.
      this.hooks.invalidRecord?.(err);
      return;
    }
    this.apply(id, value);
  }

  private apply(id: string, value: ReturnType<typeof decodeTransactionLogValue> | null): void {
    if (value === null) {
      this.txns.delete(id);
      this.pendingLastEpoch.delete(id);
      return;
    }
    const lastEpoch = this.pendingLastEpoch.get(id) ?? NO_PRODUCER_EPOCH;
    this.pendingLastEpoch.delete(id);
    this.txns.set(id, fromLogValue(id, value, lastEpoch));
  }

  onLoaded(): void {
    this.hooks.loaded?.(this);
  }

  onUnloaded(): void {
    this.hooks.unloaded?.(this);
  }

  private record(m: TxnMetadata): CoordinatorRecord {
    this.pendingLastEpoch.set(m.transactionalId, m.lastProducerEpoch);
    return {
      key: encodeTransactionLogKey(m.transactionalId),
      value: encodeTransactionLogValue(toLogValue(m), m.previousProducerId !== NO_PRODUCER_ID ? 1 : 0),
    };
  }

  private now(): number {
    return this.ctx.timer.now();
  }

  /**
   * InitProducerId with a transactional id: a new id (epoch 0) for a new transactional id, else
   * an epoch bump that fences the previous producer; a new producer id once the epoch is
   * exhausted. An Ongoing transaction is first aborted with a bumped epoch and the caller gets
   * CONCURRENT_TRANSACTIONS (it retries and then gets the epoch after that). With the producer's
   * own id and epoch (KIP-360), a recovering producer keeps its id.
   */
  async initProducerId(
    input: { transactionalId: string; transactionTimeoutMs: number; producerId: bigint; producerEpoch: number },
    newProducerId: () => Promise<bigint>,
  ): Promise<OperationResult<TxnOutcome<ProducerIdAndEpoch>>> {
    const fail = (errorCode: number) => ({ records: [], response: { result: { errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH } } });
    if (input.transactionTimeoutMs <= 0 || input.transactionTimeoutMs > this.limits.transactionMaxTimeoutMs) {
      return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    }
    const now = this.now();
    const expected = input.producerId !== NO_PRODUCER_ID ? { producerId: input.producerId, epoch: input.producerEpoch } : undefined;
    let m = this.txns.get(input.transactionalId);
    if (!m) {
      m = {
        transactionalId: input.transactionalId,
        producerId: await newProducerId(),
        previousProducerId: NO_PRODUCER_ID,
        producerEpoch: NO_PRODUCER_EPOCH,
        lastProducerEpoch: NO_PRODUCER_EPOCH,
        timeoutMs: input.transactionTimeoutMs,
        state: TxnState.Empty,
        partitions: new Map(),
        startTimestampMs: -1,
        lastUpdateTimestampMs: now,
      };
    }
    if (
      expected &&
      !(m.producerEpoch === NO_PRODUCER_EPOCH ||
        expected.producerId === m.producerId ||
        (expected.producerId === m.previousProducerId && isEpochExhausted(expected.epoch)))
    ) {
      return fail(ErrorCode.PRODUCER_FENCED);
    }
    switch (m.state) {
      case TxnState.PrepareCommit:
      case TxnState.PrepareAbort:
      case TxnState.PrepareEpochFence:
      case TxnState.Dead:
        return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
      case TxnState.Ongoing: {
        // Abort the running transaction under a bumped epoch (fencing its producer); this
        // epoch is never handed out: the caller retries and gets the next one.
        const epoch = isEpochExhausted(m.producerEpoch) ? m.producerEpoch : m.producerEpoch + 1;
        const next = copyMetadata(m, { producerEpoch: epoch, lastProducerEpoch: NO_PRODUCER_EPOCH, state: TxnState.PrepareAbort, lastUpdateTimestampMs: now });
        return {
          records: [this.record(next)],
          response: { result: { errorCode: ErrorCode.CONCURRENT_TRANSACTIONS, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH }, complete: completionOf(next, false) },
        };
      }
      default:
        break;
    }
    let next: TxnMetadata;
    if (isEpochExhausted(m.producerEpoch) && (!expected || expected.epoch === m.producerEpoch)) {
      next = copyMetadata(m, {
        previousProducerId: m.producerId,
        producerId: await newProducerId(),
        producerEpoch: 0,
        lastProducerEpoch: expected ? m.producerEpoch : NO_PRODUCER_EPOCH,
      });
    } else {
      let epoch: number;
      let lastEpoch: number;
      if (!expected) {
        epoch = m.producerEpoch + 1;
        lastEpoch = NO_PRODUCER_EPOCH;
      } else if (m.producerEpoch === NO_PRODUCER_EPOCH || expected.epoch === m.producerEpoch) {
        epoch = m.producerEpoch + 1;
        lastEpoch = m.producerEpoch;
      } else if (expected.epoch === m.lastProducerEpoch) {
        // A retry of a bump that succeeded: answer the same epoch again.
        epoch = m.producerEpoch;
        lastEpoch = m.lastProducerEpoch;
      } else {
        return fail(ErrorCode.PRODUCER_FENCED);
      }
      next = copyMetadata(m, { producerEpoch: epoch, lastProducerEpoch: lastEpoch });
    }
    next = copyMetadata(next, { timeoutMs: input.transactionTimeoutMs, state: TxnState.Empty, partitions: new Map(), startTimestampMs: -1, lastUpdateTimestampMs: now });
    return { records: [this.record(next)], response: { result: { errorCode: ErrorCode.NONE, producerId: next.producerId, producerEpoch: next.producerEpoch } } };
  }

  /** The common checks of AddPartitionsToTxn, AddOffsetsToTxn and EndTxn (Kafka's order). */
  private check(transactionalId: string, producerId: bigint, producerEpoch: number): { m: TxnMetadata } | { errorCode: number } {
    const m = this.txns.get(transactionalId);
    if (!m || m.producerId !== producerId) return { errorCode: ErrorCode.INVALID_PRODUCER_ID_MAPPING };
    if (m.producerEpoch !== producerEpoch) return { errorCode: ErrorCode.PRODUCER_FENCED };
    return { m };
  }

  /** AddPartitionsToTxn (and AddOffsetsToTxn): the partitions join the transaction, which starts if none runs. */
  addPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, partitions: TopicPartition[]): OperationResult<number> {
    const c = this.check(transactionalId, producerId, producerEpoch);
    if ('errorCode' in c) return { records: [], response: c.errorCode };
    const { m } = c;
    if (isPrepare(m.state) || m.state === TxnState.PrepareEpochFence || m.state === TxnState.Dead) {
      return { records: [], response: ErrorCode.CONCURRENT_TRANSACTIONS };
    }
    if (m.state === TxnState.Ongoing && partitions.every((tp) => m.partitions.get(tp.topic)?.has(tp.partition))) {
      return { records: [], response: ErrorCode.NONE };
    }
    const now = this.now();
    const next = copyMetadata(m, {
      state: TxnState.Ongoing,
      startTimestampMs: m.state === TxnState.Ongoing ? m.startTimestampMs : now,
      lastUpdateTimestampMs: now,
      partitions: m.state === TxnState.Ongoing ? m.partitions : new Map(),
    });
    for (const tp of partitions) {
      const set = next.partitions.get(tp.topic) ?? new Set<number>();
      set.add(tp.partition);
      next.partitions.set(tp.topic, set);
    }
    return { records: [this.record(next)], response: ErrorCode.NONE };
  }

  /** KIP-890 verify-only: is each partition already in the producer's ongoing transaction? */
  verifyPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, partitions: TopicPartition[]): number[] {
    const c = this.check(transactionalId, producerId, producerEpoch);
    if ('errorCode' in c) return partitions.map(() => c.errorCode);
    const { m } = c;
    return partitions.map((tp) =>
      m.state === TxnState.Ongoing && m.partitions.get(tp.topic)?.has(tp.partition) ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE,
    );
  }

  /** EndTxn: Ongoing -> PrepareCommit/PrepareAbort (markers follow); retries of a finished end answer NONE. */
  endTxn(transactionalId: string, producerId: bigint, producerEpoch: number, commit: boolean): OperationResult<TxnOutcome<number>> {
    const none = (code: number) => ({ records: [], response: { result: code } });
    const c = this.check(transactionalId, producerId, producerEpoch);
    if ('errorCode' in c) return none(c.errorCode);
    const { m } = c;
    switch (m.state) {
      case TxnState.Ongoing: {
        const next = copyMetadata(m, { state: commit ? TxnState.PrepareCommit : TxnState.PrepareAbort, lastUpdateTimestampMs: this.now() });
        return { records: [this.record(next)], response: { result: ErrorCode.NONE, complete: completionOf(next, commit) } };
      }
      case TxnState.CompleteCommit:
        return none(commit ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE);
      case TxnState.CompleteAbort:
        return none(commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE);
      case TxnState.PrepareCommit:
        return none(commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE);
      case TxnState.PrepareAbort:
        return none(commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS);
      case TxnState.PrepareEpochFence:
      case TxnState.Dead:
        return none(ErrorCode.CONCURRENT_TRANSACTIONS);
      default:
        return none(ErrorCode.INVALID_TXN_STATE);
    }
  }

  /** Once every marker is written: PrepareX -> CompleteX, if the transaction is still the one prepared. */
  completeTxn(done: TxnCompletion): OperationResult<boolean> {
    const m = this.txns.get(done.transactionalId);
    const want = done.commit ? TxnState.PrepareCommit : TxnState.PrepareAbort;
    if (!m || m.producerId !== done.producerId || m.producerEpoch !== done.producerEpoch || m.state !== want) return { records: [], response: false };
    const next = copyMetadata(m, { state: done.commit ? TxnState.CompleteCommit : TxnState.CompleteAbort, partitions: new Map(), lastUpdateTimestampMs: this.now() });
    return { records: [this.record(next)], response: true };
  }

  /** Transactions to abort: Ongoing for longer than their timeout. */
  timedOut(): string[] {
    const now = this.now();
    return [...this.txns.values()].filter((m) => m.state === TxnState.Ongoing && m.startTimestampMs + m.timeoutMs < now).map((m) => m.transactionalId);
  }

  /** A timed-out Ongoing transaction -> PrepareAbort with a bumped epoch (the producer is fenced). */
  abortTimedOut(transactionalId: string): OperationResult<TxnOutcome<boolean>> {
    const m = this.txns.get(transactionalId);
    const now = this.now();
    if (!m || m.state !== TxnState.Ongoing || m.startTimestampMs + m.timeoutMs >= now) return { records: [], response: { result: false } };
    const epoch = isEpochExhausted(m.producerEpoch) ? m.producerEpoch : m.producerEpoch + 1;
    const next = copyMetadata(m, { producerEpoch: epoch, lastProducerEpoch: NO_PRODUCER_EPOCH, state: TxnState.PrepareAbort, lastUpdateTimestampMs: now });
    return { records: [this.record(next)], response: { result: true, complete: completionOf(next, false) } };
  }

  /** Tombstones for ids idle (Empty or complete) longer than transactional.id.expiration.ms. */
  expire(): OperationResult<string[]> {
    const now = this.now();
    const expired = [...this.txns.values()]
      .filter((m) => (m.state === TxnState.Empty || isComplete(m.state)) && m.lastUpdateTimestampMs + this.limits.transactionalIdExpirationMs <= now)
      .map((m) => m.transactionalId);
    return { records: expired.map((id) => ({ key: encodeTransactionLogKey(id), value: null })), response: expired };
  }

  /** Transactions left in PrepareCommit/PrepareAbort (found at load): their markers must be (re)sent. */
  prepared(): TxnCompletion[] {
    return [...this.txns.values()].filter((m) => isPrepare(m.state)).map((m) => completionOf(m, m.state === TxnState.PrepareCommit));
  }

  ongoingCount(): number {
    let n = 0;
    for (const m of this.txns.values()) if (m.state === TxnState.Ongoing) n++;
    return n;
  }

  partitionsIn(transactionalId: string): number {
    const m = this.txns.get(transactionalId);
    return m ? partitionCount(m.partitions) : 0;
  }
}

function completionOf(m: TxnMetadata, commit: boolean): TxnCompletion {
  const partitions: TopicPartition[] = [];
  for (const [topic, ids] of m.partitions) for (const partition of ids) partitions.push({ topic, partition });
  return { transactionalId: m.transactionalId, producerId: m.producerId, producerEpoch: m.producerEpoch, commit, partitions };
}
