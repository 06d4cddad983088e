import { buildRecordBatch, CompressionType, type RecordInput } from '@dms/kafka-codec';
import type { KafkaClient } from './client';
import { IdempotentProducer, MAX_IDEMPOTENT_IN_FLIGHT } from './idempotent-producer';
import { TransactionalProducer } from './transactional-producer';
import { DefaultPartitioner } from './partitioner';

export interface ProduceLinesOptions {
  /** Fixed partition; otherwise by key (murmur2) or round-robin. */
  partition?: number;
  /** When set, each line is key<SEP>value (split at the first SEP); lines without it have no key. */
  keySeparator?: string;
  acks?: number;
  compression?: CompressionType;
  /** Records per batch. */
  batchSize?: number;
  /** Bytes of keys and values per batch before it is sent regardless of batchSize. */
  maxBatchBytes?: number;
  /** Batches outstanding at once across partitions (they pipeline on the leader connections). */
  maxInFlight?: number;
  /** Auto-create the topic through Metadata when it does not exist (broker setting permitting). */
  allowAutoTopicCreation?: boolean;
  /**
   * Kafka's enable.idempotence: a producer id and per-partition sequence numbers, so retries
   * never duplicate and up to five batches per partition may be in flight. Needs acks=-1.
   */
  idempotent?: boolean;
  /**
   * Kafka's transactional.id: produce in transactions (idempotent, acks=-1), committed every
   * `recordsPerTransaction` records and at the end of input; on a failure the open one is aborted.
   */
  transactionalId?: string;
  /** Records per transaction (default: the whole input is one transaction). */
  recordsPerTransaction?: number;
  /** transaction.timeout.ms of the transactional producer. */
  transactionTimeoutMs?: number;
}

export function splitLine(line: string, keySeparator?: string): { key: Buffer | null; value: Buffer } {
  if (keySeparator) {
    const at = line.indexOf(keySeparator);
    if (at >= 0) return { key: Buffer.from(line.slice(0, at)), value: Buffer.from(line.slice(at + keySeparator.length)) };
  }
  return { key: null, value: Buffer.from(line) };
}

/**
 * Reads lines, groups them per partition into record batches and produces them. A partition's
 * batches are sent one after another, so per-partition order follows input order; partitions
 * proceed in parallel.
 * Returns the number of records acknowledged (or written, with acks=0).
 */
export async function produceLines(client: KafkaClient, topic: string, lines: AsyncIterable<string>, opts: ProduceLinesOptions = {}): Promise<number> {
  const batchSize = opts.batchSize ?? 1000;
  const maxBatchBytes = opts.maxBatchBytes ?? 512 * 1024;
  const maxInFlight = opts.maxInFlight ?? 8;
  // Attach to the line source before the first await: a readline interface drops lines (and its
  // close) that arrive before its async iterator exists, which would leave us waiting forever.
  const iterator = lines[Symbol.asyncIterator]();
  const numPartitions = await client.partitionCount(topic, opts.allowAutoTopicCreation ?? false);
  if (opts.partition !== undefined && (opts.partition < 0 || opts.partition >= numPartitions)) {
    throw new RangeError(`partition ${opts.partition} is out of range: topic '${topic}' has ${numPartitions}`);
  }
  const transactional = opts.transactionalId !== undefined;
  if ((opts.idempotent || transactional) && (opts.acks ?? -1) !== -1) throw new RangeError('an idempotent or transactional producer needs acks=-1 (all)');
  const txn = transactional
    ? await TransactionalProducer.init(client, { transactionalId: opts.transactionalId!, transactionTimeoutMs: opts.transactionTimeoutMs, maxInFlight: MAX_IDEMPOTENT_IN_FLIGHT })
    : undefined;
  const idempotent = txn ?? (opts.idempotent ? await IdempotentProducer.create(client, { maxInFlight: MAX_IDEMPOTENT_IN_FLIGHT }) : undefined);
  const perTransaction = opts.recordsPerTransaction ?? Infinity;
  let inTransaction = 0;
  txn?.beginTransaction();
  const partitioner = new DefaultPartitioner();
  const pending = new Map<number, { records: RecordInput[]; bytes: number }>();
  const inFlight = new Set<Promise<void>>();
  let produced = 0;
  let failure: unknown = null;

  // Otherwise one batch in flight per partition (a non-idempotent producer's max.in.flight=1): compression
  // runs off the event loop and a send may be retried, so anything more could reorder a partition.
  const partitionTail = new Map<number, Promise<void>>();
  const send = (partition: number, records: RecordInput[]): Promise<void> => {
    const built = buildRecordBatch({ compression: opts.compression ?? CompressionType.None, records });
    if (idempotent) {
      // Sequence numbers keep a partition in order: batches are handed over in input order (once
      // built) and pipeline from there.
      let acked: Promise<unknown> = Promise.resolve();
      const handedOver = (partitionTail.get(partition) ?? Promise.resolve()).then(async () => {
        acked = idempotent.send(topic, partition, await built);
      });
      partitionTail.set(partition, handedOver.catch(() => undefined));
      return handedOver.then(() => acked).then(() => {
        produced += records.length;
      });
    }
    const previous = partitionTail.get(partition) ?? Promise.resolve();
    const task = previous.then(async () => {
      await client.produce(topic, partition, await built, opts.acks ?? -1);
      produced += records.length;
    });
    partitionTail.set(partition, task.catch(() => undefined));
    return task;
  };
  const flush = async (partition: number): Promise<void> => {
    const p = pending.get(partition);
    if (!p || p.records.length === 0) return;
    pending.delete(partition);
    while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    if (failure) throw failure;
    const task: Promise<void> = send(partition, p.records)
      .catch((err) => { failure ??= err; })
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
  };

  /** Sends what is pending, waits for every batch, then commits (Kafka's commitTransaction flushes too). */
  const commit = async (): Promise<void> => {
    for (const partition of [...pending.keys()]) await flush(partition);
    await Promise.all(inFlight);
    if (failure) return;
    await txn!.commitTransaction();
    inTransaction = 0;
  };

  try {
    for await (const line of { [Symbol.asyncIterator]: () => iterator }) {
      if (failure) break;
      if (txn && inTransaction >= perTransaction) {
        await commit();
        if (failure) break;
        txn.beginTransaction();
      }
      const { key, value } = splitLine(line, opts.keySeparator);
      const partition = opts.partition ?? partitioner.partition(key, numPartitions);
      let p = pending.get(partition);
      if (!p) pending.set(partition, (p = { records: [], bytes: 0 }));
      p.records.push({ key, value, timestamp: BigInt(Date.now()) });
      p.bytes += value.length + (key?.length ?? 0);
      inTransaction++;
      if (p.records.length >= batchSize || p.bytes >= maxBatchBytes) await flush(partition);
    }
    if (txn && !failure) await commit();
    for (const partition of [...pending.keys()]) await flush(partition);
    await Promise.all(inFlight);
  } catch (err) {
    failure ??= err;
  }
  if (failure && txn?.inTransaction) await txn.abortTransaction().catch(() => undefined);
  idempotent?.close();
  if (failure) throw failure;
  return produced;
}
