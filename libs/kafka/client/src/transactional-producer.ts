import { ErrorCode, KafkaError, errorName } from '@dms/kafka-errors';
import { ApiKey } from '@dms/kafka-schema';
import type { KafkaClient, ProduceResult } from './client';
import { IdempotentProducer, type IdempotentProducerOptions } from './idempotent-producer';
import { TransactionCoordinator } from './txn-coordinator';

export interface TransactionalProducerOptions extends IdempotentProducerOptions {
  /** Kafka's transactional.id. */
  transactionalId: string;
  /** transaction.timeout.ms: the coordinator aborts a transaction left open longer. */
  transactionTimeoutMs?: number;
  /** max.block.ms: how long a coordinator call (InitProducerId, AddPartitionsToTxn, EndTxn) may retry. */
  maxBlockMs?: number;
}

/** After these the producer can do nothing more (Kafka's fatal errors). */
const FATAL = new Set<number>([
  ErrorCode.PRODUCER_FENCED,
  ErrorCode.INVALID_PRODUCER_EPOCH,
  ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  ErrorCode.INVALID_PRODUCER_ID_MAPPING,
  ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  ErrorCode.UNSUPPORTED_VERSION,
  ErrorCode.INVALID_TXN_STATE,
]);

type State = 'ready' | 'in-transaction' | 'abortable' | 'completing' | 'fatal';

interface PartitionEntry {
  added: boolean;
  /** Sends waiting for the partition to join the transaction, in call order. */
  waiting: { batch: Buffer; resolve: (r: Promise<ProduceResult>) => void }[];
}

const codeOf = (err: unknown): number => (err instanceof KafkaError ? err.code : ErrorCode.NETWORK_EXCEPTION);

/**
 * Kafka's transactional producer (KIP-98, transaction version 1) on top of the idempotent one:
 * InitProducerId with the transactional id at its coordinator (fencing older instances), then
 * transactions of beginTransaction / send... / commitTransaction or abortTransaction.
 * - Each partition joins the transaction with AddPartitionsToTxn (partitions that become new
 *   together go in one request, one request at a time) before its first batch is sent.
 * - Commit waits for every batch of the transaction to be acknowledged (flush), then EndTxn.
 * - A batch that fails makes the transaction abortable: commit throws, abort is allowed, and
 *   after the abort a new epoch (InitProducerId with the current id and epoch) restarts the
 *   sequences, as the Java client's epoch bump after an abortable error.
 * - PRODUCER_FENCED, INVALID_PRODUCER_EPOCH, TRANSACTIONAL_ID_AUTHORIZATION_FAILED and the like
 *   are fatal: every later call throws them; the application must close the producer.
 * - CONCURRENT_TRANSACTIONS, NOT_COORDINATOR and COORDINATOR_LOAD_IN_PROGRESS are retried, the
 *   latter two after finding the coordinator again.
 */
export class TransactionalProducer extends IdempotentProducer {
  private readonly coordinator: TransactionCoordinator;
  private readonly transactionTimeoutMs: number;
  private state: State = 'ready';
  private error: KafkaError | undefined;
  private readonly partitions = new Map<string, PartitionEntry>();
  private toAdd: { topic: string; partition: number }[] = [];
  private adding: Promise<void> | undefined;
  private needsEpochBump = false;

  private constructor(client: KafkaClient, opts: TransactionalProducerOptions) {
    super(client, opts);
    this.transactionalId = opts.transactionalId;
    this.transactionTimeoutMs = opts.transactionTimeoutMs ?? 60_000;
    this.coordinator = new TransactionCoordinator(client, opts.transactionalId, {
      maxBlockMs: opts.maxBlockMs ?? 60_000, requestTimeoutMs: this.requestTimeoutMs, retryBackoffMs: this.retryBackoffMs,
    });
  }

  /** initTransactions(): a producer id and epoch for the transactional id; an older producer with it is fenced. */
  static async init(client: KafkaClient, opts: TransactionalProducerOptions): Promise<TransactionalProducer> {
    if (!opts.transactionalId) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'a transactional producer needs a transactional.id');
    const p = new TransactionalProducer(client, opts);
    const id = await p.guard(() => p.initProducerId());
    p.producerId = id.producerId;
    p.producerEpoch = id.producerEpoch;
    return p;
  }

  get inTransaction(): boolean {
    return this.state === 'in-transaction' || this.state === 'abortable';
  }

  /** True once a fatal error (fenced, not authorized) stopped the producer for good. */
  get hasFatalError(): boolean {
    return this.state === 'fatal';
  }

  beginTransaction(): void {
    this.check('ready', 'beginTransaction');
    this.state = 'in-transaction';
  }

  /** Queues a batch in the running transaction; the partition joins it first if new. */
  override send(topic: string, partition: number, batch: Buffer): Promise<ProduceResult> {
    if (this.state === 'fatal') return Promise.reject(this.error);
    if (this.state === 'abortable') return Promise.reject(this.error);
    if (this.state !== 'in-transaction') return Promise.reject(new KafkaError(ErrorCode.INVALID_TXN_STATE, `send outside a transaction (state ${this.state})`));
    const key = `${topic}\0${partition}`;
    let entry = this.partitions.get(key);
    if (!entry) {
      entry = { added: false, waiting: [] };
      this.partitions.set(key, entry);
      this.toAdd.push({ topic, partition });
      this.scheduleAdd();
    }
    if (entry.added) return super.send(topic, partition, batch);
    const waiting = entry.waiting;
    return new Promise<Promise<ProduceResult>>((resolve) => waiting.push({ batch, resolve })).then((p) => p);
  }

  /** Waits for every batch of the transaction, then commits it (EndTxn). Throws when the transaction must be aborted. */
  async commitTransaction(): Promise<void> {
    this.check('in-transaction', 'commitTransaction');
    this.state = 'completing';
    await this.drain();
    // A batch failed meanwhile: nothing is committed, the application aborts.
    if (this.error) {
      if ((this.state as State) !== 'fatal') this.state = 'abortable';
      throw this.error;
    }
    await this.endTxn(true);
  }

  /** Waits for the batches in flight, then aborts the transaction (EndTxn); a new epoch follows an abortable error. */
  async abortTransaction(): Promise<void> {
    if (this.state !== 'in-transaction' && this.state !== 'abortable') this.check('in-transaction', 'abortTransaction');
    this.state = 'completing';
    await this.drain();
    if (this.fatalError) {
      this.state = 'fatal';
      throw this.error ?? this.fatalError;
    }
    await this.endTxn(false);
    if (this.needsEpochBump) {
      const id = await this.guard(() => this.initProducerId({ producerId: this.producerId, producerEpoch: this.producerEpoch }));
      this.producerId = id.producerId;
      this.producerEpoch = id.producerEpoch;
      this.resetSequences();
      this.needsEpochBump = false;
    }
  }

  /** InitProducerId with the transactional id, at its coordinator. */
  protected override async initProducerId(current?: { producerId: bigint; producerEpoch: number }): Promise<{ producerId: bigint; producerEpoch: number }> {
    const res = await this.coordinator.call<any>(ApiKey.InitProducerId, {
      transactionalId: this.transactionalId,
      transactionTimeoutMs: this.transactionTimeoutMs,
      producerId: current?.producerId ?? -1n,
      producerEpoch: current?.producerEpoch ?? -1,
    }, (r) => r.errorCode);
    return { producerId: res.producerId, producerEpoch: res.producerEpoch };
  }

  /**
   * Where the idempotent producer would bump the epoch mid-stream, a transactional one may not:
   * the transaction becomes abortable, its pending batches fail, and abortTransaction bumps.
   */
  protected override bumpEpoch(cause?: unknown): void {
    this.needsEpochBump = true;
    const code = codeOf(cause);
    const err = new KafkaError(code, `a batch of the transaction failed (${errorName(code)}); the transaction must be aborted`);
    this.abortable(err);
    this.failPending(err);
  }

  private async drain(): Promise<void> {
    while (this.adding) await this.adding;
    await this.flush();
  }

  private async endTxn(committed: boolean): Promise<void> {
    const joined = [...this.partitions.values()].some((e) => e.added);
    try {
      // Nothing joined the coordinator's transaction: there is nothing to end (as the Java client).
      if (joined) {
        await this.guard(() => this.coordinator.call<any>(ApiKey.EndTxn, {
          transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, committed,
        }, (r) => r.errorCode));
      }
    } catch (err) {
      if (this.state !== 'fatal') this.state = committed ? 'in-transaction' : 'abortable';
      throw err;
    }
    this.partitions.clear();
    this.toAdd = [];
    this.error = undefined;
    this.state = 'ready';
  }

  private scheduleAdd(): void {
    if (this.adding) return;
    this.adding = (async () => {
      // Let the sends of this tick join, then one request at a time until nothing is left.
      await Promise.resolve();
      while (this.toAdd.length > 0 && this.state !== 'fatal') {
        const batch = this.toAdd;
        this.toAdd = [];
        await this.addPartitions(batch);
      }
    })().finally(() => {
      this.adding = undefined;
      if (this.toAdd.length > 0) this.scheduleAdd();
    });
  }

  private async addPartitions(tps: { topic: string; partition: number }[]): Promise<void> {
    const byTopic = new Map<string, number[]>();
    for (const tp of tps) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
    let failure: KafkaError | undefined;
    try {
      await this.guard(() => this.coordinator.call<any>(ApiKey.AddPartitionsToTxn, {
        v3AndBelowTransactionalId: this.transactionalId,
        v3AndBelowProducerId: this.producerId,
        v3AndBelowProducerEpoch: this.producerEpoch,
        v3AndBelowTopics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
      }, (r) => firstError(r)));
    } catch (err) {
      failure = err instanceof KafkaError ? err : new KafkaError(codeOf(err), String(err));
      if (this.state !== 'fatal') this.abortable(failure);
    }
    for (const tp of tps) {
      const entry = this.partitions.get(`${tp.topic}\0${tp.partition}`)!;
      const waiting = entry.waiting.splice(0);
      if (failure) {
        // Not in the transaction: the partition must be added again by a later transaction.
        this.partitions.delete(`${tp.topic}\0${tp.partition}`);
        for (const w of waiting) w.resolve(Promise.reject(failure));
        continue;
      }
      entry.added = true;
      for (const w of waiting) w.resolve(super.send(tp.topic, tp.partition, w.batch));
    }
  }

  /** Runs a coordinator call; a fatal error stops the producer for good. */
  private async guard<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      const code = codeOf(err);
      if (FATAL.has(code)) this.failFatal(err instanceof KafkaError ? err : new KafkaError(code));
      throw err;
    }
  }

  /** A fatal error, from a coordinator call or a Produce answer: nothing more can be done. */
  protected override failFatal(err: KafkaError): void {
    this.state = 'fatal';
    this.error = err;
    super.failFatal(err);
  }

  private abortable(err: KafkaError): void {
    if (this.state === 'fatal') return;
    this.error ??= err;
    if (this.state === 'in-transaction') this.state = 'abortable';
  }

  private check(want: State, op: string): void {
    if (this.state === 'fatal') throw this.error ?? this.fatalError;
    if (this.state === 'abortable' && op === 'commitTransaction') throw this.error;
    if (this.state !== want) throw new KafkaError(ErrorCode.INVALID_TXN_STATE, `${op} in state ${this.state}`);
  }
}

/** The first partition error of an AddPartitionsToTxn answer that is not OPERATION_NOT_ATTEMPTED (which only echoes another). */
function firstError(res: any): number {
  let echo = ErrorCode.NONE as number;
  for (const t of res.resultsByTopicV3AndBelow ?? []) {
    for (const p of t.resultsByPartition) {
      if (p.partitionErrorCode === ErrorCode.OPERATION_NOT_ATTEMPTED) echo = p.partitionErrorCode;
      else if (p.partitionErrorCode !== ErrorCode.NONE) return p.partitionErrorCode;
    }
  }
  return echo;
}
