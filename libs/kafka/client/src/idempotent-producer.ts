import { ATTR_TRANSACTIONAL, BATCH, readBatchHeader, rewriteBatchCrc } from '@dms/kafka-codec';
import { ErrorCode, KafkaError, isRetriable } from '@dms/kafka-errors';
import type { KafkaClient, ProduceResult } from './client';

export interface IdempotentProducerOptions {
  /** Batches in flight per partition (Kafka's max.in.flight.requests.per.connection): 1 to 5. */
  maxInFlight?: number;
  /** How long one batch may take, retries included (delivery.timeout.ms). */
  deliveryTimeoutMs?: number;
  /** Timeout of one Produce request (request.timeout.ms). */
  requestTimeoutMs?: number;
  retryBackoffMs?: number;
}

/** Kafka's limit: brokers cache the last five batches per producer and partition. */
export const MAX_IDEMPOTENT_IN_FLIGHT = 5;
const SEQUENCE_MODULO = 2 ** 31;

/** Errors that say the producer itself is no longer valid: nothing more can be sent. */
const FATAL = new Set<number>([
  ErrorCode.INVALID_PRODUCER_EPOCH,
  ErrorCode.PRODUCER_FENCED,
  ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  ErrorCode.UNSUPPORTED_VERSION,
  ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
]);

/** After these, the partition's leader may have moved: reload it before the retry. */
const REFRESH = new Set<number>([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
]);

interface Batch {
  buf: Buffer;
  records: number;
  baseSequence: number;
  deadline: number;
  /** Sent at least once under the current epoch: the broker may have it. */
  sent: boolean;
  inFlight: boolean;
  /** Sent with nothing before it outstanding on the partition: its answer is about it alone. */
  alone: boolean;
  resolve: (r: ProduceResult) => void;
  reject: (e: unknown) => void;
}

interface PartitionQueue {
  topic: string;
  partition: number;
  nextSequence: number;
  /** Unacknowledged batches in sequence order. */
  batches: Batch[];
  inFlight: number;
  /** After a failed send: batches go one at a time, in sequence order, until those sent are acknowledged. */
  recovering: boolean;
  retryTimer: NodeJS.Timeout | undefined;
}

const codeOf = (err: unknown): number => (err instanceof KafkaError ? err.code : ErrorCode.NETWORK_EXCEPTION);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The idempotent producer (KIP-98, with KIP-360's recovery): one producer id and epoch from
 * InitProducerId; per partition, each batch carries the next sequence number and keeps it across
 * retries, so the leader appends every batch once and in order although up to five are in flight
 * and any of them may be resent after a timeout or a leader change. Behaviour, as the Java client:
 * - a retriable error puts the partition in recovery: once nothing is in flight, its unacknowledged
 *   batches are resent one at a time in sequence order, then pipelining resumes;
 * - OUT_OF_ORDER_SEQUENCE_NUMBER on a batch sent after an unacknowledged one is an effect of that
 *   one's failure and retried the same way; on the oldest batch, sent alone, the broker lacks
 *   what it acknowledged: that batch fails, the epoch is bumped and the rest are renumbered;
 * - UNKNOWN_PRODUCER_ID on the oldest batch (the broker dropped our state) bumps the epoch and
 *   renumbers every unacknowledged batch from 0, which the broker accepts as a fresh start;
 * - a batch the broker refuses for itself (too large, invalid records) fails, and the epoch is
 *   bumped so the batches after it need no gap;
 * - INVALID_PRODUCER_EPOCH, PRODUCER_FENCED and authorization errors are fatal: every pending
 *   and later send fails.
 * An epoch bump waits for every partition's requests to complete before renumbering.
 * The transactional producer extends this one: it sets `transactionalId` (sent with each Produce,
 * and batches get the transactional attribute) and replaces the epoch bump (see its comment).
 */
export class IdempotentProducer {
  protected producerId = -1n;
  protected producerEpoch = -1;
  /** Null for a plain idempotent producer. */
  protected transactionalId: string | null = null;
  private readonly queues = new Map<string, PartitionQueue>();
  /** Every send not yet settled, for flush(). */
  private readonly unsettled = new Set<Promise<unknown>>();
  private bumping: Promise<void> | undefined;
  private fatal: KafkaError | undefined;
  private closed = false;
  private readonly maxInFlight: number;
  protected readonly deliveryTimeoutMs: number;
  protected readonly requestTimeoutMs: number;
  protected readonly retryBackoffMs: number;

  protected constructor(protected readonly client: KafkaClient, opts: IdempotentProducerOptions) {
    this.maxInFlight = Math.max(1, Math.min(opts.maxInFlight ?? MAX_IDEMPOTENT_IN_FLIGHT, MAX_IDEMPOTENT_IN_FLIGHT));
    this.deliveryTimeoutMs = opts.deliveryTimeoutMs ?? 120_000;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.retryBackoffMs = opts.retryBackoffMs ?? 100;
  }

  /** A producer with its id (InitProducerId); fails when the cluster does not serve idempotence. */
  static async create(client: KafkaClient, opts: IdempotentProducerOptions = {}): Promise<IdempotentProducer> {
    const p = new IdempotentProducer(client, opts);
    const id = await p.initProducerId();
    p.producerId = id.producerId;
    p.producerEpoch = id.producerEpoch;
    return p;
  }

  get id(): { producerId: bigint; producerEpoch: number } {
    return { producerId: this.producerId, producerEpoch: this.producerEpoch };
  }

  /**
   * Queues one record batch (as built by buildRecordBatch, one batch per buffer) for the partition,
   * stamping the producer id, epoch and sequence into its header. Batches of one partition are
   * appended in the order of the calls. Resolves once the ISR has it (acks=all).
   */
  send(topic: string, partition: number, batch: Buffer): Promise<ProduceResult> {
    if (this.fatal) return Promise.reject(this.fatal);
    if (this.closed) return Promise.reject(new KafkaError(ErrorCode.NETWORK_EXCEPTION, 'producer is closed'));
    const q = this.queue(topic, partition);
    const sent = new Promise<ProduceResult>((resolve, reject) => {
      const records = readBatchHeader(batch).lastOffsetDelta + 1;
      const b: Batch = {
        buf: Buffer.from(batch), records, baseSequence: 0, deadline: Date.now() + this.deliveryTimeoutMs,
        sent: false, inFlight: false, alone: false, resolve, reject,
      };
      this.number(q, b);
      q.batches.push(b);
      this.pump(q);
    });
    const settled = sent.then(() => undefined, () => undefined);
    this.unsettled.add(settled);
    void settled.then(() => this.unsettled.delete(settled));
    return sent;
  }

  /** Resolves once every batch handed to send() so far is acknowledged or has failed (Kafka's flush). */
  async flush(): Promise<void> {
    while (this.unsettled.size > 0) await Promise.all([...this.unsettled]);
  }

  /** The fatal error that stopped this producer, if any. */
  protected get fatalError(): KafkaError | undefined {
    return this.fatal;
  }

  /** Stops the producer for good: every pending and later send fails with `err`. */
  protected failFatal(err: KafkaError): void {
    this.fatal ??= err;
    this.failAll(this.fatal);
  }

  /** Fails every batch not yet acknowledged with `err`; the producer stays usable. */
  protected failPending(err: unknown): void {
    this.failAll(err);
  }

  /** Sequences restart from 0 on every partition (after a new epoch). */
  protected resetSequences(): void {
    for (const q of this.queues.values()) {
      q.nextSequence = 0;
      q.recovering = false;
    }
  }

  /** Fails what is still pending; the producer id is left to expire at the brokers. */
  close(): void {
    this.closed = true;
    this.failAll(new KafkaError(ErrorCode.NETWORK_EXCEPTION, 'producer is closed'));
  }

  private queue(topic: string, partition: number): PartitionQueue {
    const key = `${topic}\0${partition}`;
    let q = this.queues.get(key);
    if (!q) {
      q = { topic, partition, nextSequence: 0, batches: [], inFlight: 0, recovering: false, retryTimer: undefined };
      this.queues.set(key, q);
    }
    return q;
  }

  /** Gives the batch the partition's next sequence under the current producer id and epoch. */
  private number(q: PartitionQueue, b: Batch): void {
    b.baseSequence = q.nextSequence;
    q.nextSequence = (q.nextSequence + b.records) % SEQUENCE_MODULO;
    b.buf.writeBigInt64BE(this.producerId, BATCH.producerId);
    b.buf.writeInt16BE(this.producerEpoch, BATCH.producerEpoch);
    b.buf.writeInt32BE(b.baseSequence, BATCH.baseSequence);
    if (this.transactionalId !== null) b.buf.writeInt16BE(b.buf.readInt16BE(BATCH.attributes) | ATTR_TRANSACTIONAL, BATCH.attributes);
    rewriteBatchCrc(b.buf);
    b.sent = false;
  }

  private pump(q: PartitionQueue): void {
    if (this.bumping || this.fatal || this.closed || q.retryTimer) return;
    if (q.recovering) {
      if (q.inFlight > 0) return;
      const first = q.batches[0];
      if (!first || !first.sent) {
        q.recovering = false;
      } else {
        this.transmit(q, first);
        return;
      }
    }
    for (const b of q.batches) {
      if (q.inFlight >= this.maxInFlight) break;
      if (!b.inFlight && !b.sent) this.transmit(q, b);
    }
  }

  private transmit(q: PartitionQueue, b: Batch): void {
    b.alone = q.inFlight === 0 && q.batches[0] === b;
    b.inFlight = true;
    b.sent = true;
    q.inFlight++;
    this.client.produceOnce(q.topic, q.partition, b.buf, -1, this.requestTimeoutMs, this.transactionalId).then(
      (res) => this.onAnswer(q, b, res, undefined),
      (err: unknown) => this.onAnswer(q, b, undefined, err),
    );
  }

  private onAnswer(q: PartitionQueue, b: Batch, res: ProduceResult | undefined, err: unknown): void {
    q.inFlight--;
    b.inFlight = false;
    if (!q.batches.includes(b)) return; // failed meanwhile (closed, fatal)
    const code = err === undefined ? ErrorCode.NONE : codeOf(err);
    if (code === ErrorCode.NONE || code === ErrorCode.DUPLICATE_SEQUENCE_NUMBER) {
      this.settle(q, b);
      b.resolve(res ?? { baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n });
    } else if (FATAL.has(code)) {
      this.failFatal(err instanceof KafkaError ? err : new KafkaError(code));
      return;
    } else if (Date.now() > b.deadline) {
      this.settle(q, b);
      const timedOut = new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `batch not acknowledged within delivery.timeout.ms (last error ${code})`);
      b.reject(timedOut);
      this.bumpEpoch(timedOut);
    } else if (code === ErrorCode.UNKNOWN_PRODUCER_ID && b.alone) {
      this.bumpEpoch(err);
    } else if (code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER && b.alone) {
      this.settle(q, b);
      b.reject(err);
      this.bumpEpoch(err);
    } else if (isRetriable(code) || REFRESH.has(code) || code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER || code === ErrorCode.UNKNOWN_PRODUCER_ID) {
      q.recovering = true;
      this.retryLater(q, REFRESH.has(code));
      return;
    } else {
      // Refused for itself: never appended. The batches after it were numbered past it.
      this.settle(q, b);
      b.reject(err);
      this.bumpEpoch(err);
    }
    this.pump(q);
  }

  private settle(q: PartitionQueue, b: Batch): void {
    const i = q.batches.indexOf(b);
    if (i >= 0) q.batches.splice(i, 1);
  }

  private retryLater(q: PartitionQueue, refresh: boolean): void {
    if (q.retryTimer) return;
    q.retryTimer = setTimeout(() => {
      void (refresh ? this.client.refreshTopic(q.topic) : Promise.resolve()).finally(() => {
        q.retryTimer = undefined;
        this.pump(q);
      });
    }, this.retryBackoffMs);
  }

  /**
   * KIP-360: once no request is in flight anywhere, a new epoch (or a new id: brokers give
   * non-transactional producers a fresh one) and every unacknowledged batch renumbered from 0.
   */
  protected bumpEpoch(_cause?: unknown): void {
    if (this.bumping || this.fatal || this.closed) return;
    this.bumping = (async () => {
      while ([...this.queues.values()].some((q) => q.inFlight > 0)) await sleep(5);
      const id = await this.initProducerId({ producerId: this.producerId, producerEpoch: this.producerEpoch });
      this.producerId = id.producerId;
      this.producerEpoch = id.producerEpoch;
      for (const q of this.queues.values()) {
        q.nextSequence = 0;
        q.recovering = false;
        for (const b of q.batches) this.number(q, b);
      }
    })()
      .catch((err: unknown) => {
        this.fatal = err instanceof KafkaError ? err : new KafkaError(codeOf(err), String(err));
        this.failAll(this.fatal);
      })
      .finally(() => {
        this.bumping = undefined;
        for (const q of this.queues.values()) this.pump(q);
      });
  }

  /** InitProducerId with retries; the transactional producer asks its coordinator instead. */
  protected async initProducerId(current?: { producerId: bigint; producerEpoch: number }): Promise<{ producerId: bigint; producerEpoch: number }> {
    const deadline = Date.now() + this.deliveryTimeoutMs;
    for (;;) {
      try {
        return await this.client.initProducerId(current, this.requestTimeoutMs);
      } catch (err) {
        const code = codeOf(err);
        if (this.closed || Date.now() > deadline || !(isRetriable(code) || code === ErrorCode.NETWORK_EXCEPTION)) throw err;
        await sleep(this.retryBackoffMs);
      }
    }
  }

  private failAll(err: unknown): void {
    for (const q of this.queues.values()) {
      clearTimeout(q.retryTimer);
      q.retryTimer = undefined;
      for (const b of q.batches.splice(0)) b.reject(err);
    }
  }
}
