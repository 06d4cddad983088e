import { decodeRecordBatches, type KafkaRecord } from '@dms/kafka-codec';
import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, READ_UNCOMMITTED, type IsolationLevel, type KafkaClient } from './client';
import { AbortedTransactionFilter } from './read-committed';

export type StartPosition =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'offset'; offset: bigint }
  | { kind: 'timestamp'; timestamp: bigint };

export interface ConsumeOptions {
  /** Partitions to read; all of the topic's when absent. */
  partitions?: number[];
  start: StartPosition;
  /** Stop after this many records. */
  maxMessages?: number;
  /** Stop after this long without a new record (no limit when absent). */
  idleTimeoutMs?: number;
  /** Bytes asked per partition per fetch. */
  maxBytes?: number;
  /** Long-poll wait per fetch. */
  maxWaitMs?: number;
  /** Kafka's isolation.level: 0 read_uncommitted (default), 1 read_committed (aborted records skipped). */
  isolationLevel?: IsolationLevel;
  signal?: AbortSignal;
}

export interface ConsumedRecord extends KafkaRecord {
  partition: number;
}

/** Where reading starts, per partition. A timestamp past the last record starts at the end. */
export async function resolveStart(client: KafkaClient, topic: string, partition: number, start: StartPosition): Promise<bigint> {
  switch (start.kind) {
    case 'offset':
      return start.offset;
    case 'earliest':
      return (await client.listOffsets(topic, partition, EARLIEST_TIMESTAMP)).offset;
    case 'latest':
      return (await client.listOffsets(topic, partition, LATEST_TIMESTAMP)).offset;
    case 'timestamp': {
      const found = await client.listOffsets(topic, partition, start.timestamp);
      return found.offset >= 0n ? found.offset : (await client.listOffsets(topic, partition, LATEST_TIMESTAMP)).offset;
    }
  }
}

/**
 * Reads partitions of one topic (fetches for all partitions in flight together), handing
 * records to `onRecord` in offset order per partition. Control batches are skipped; records
 * before the requested offset inside a returned batch are dropped. Returns the count delivered.
 */
export async function consumeTopic(
  client: KafkaClient,
  topic: string,
  opts: ConsumeOptions,
  onRecord: (r: ConsumedRecord) => void | Promise<void>,
): Promise<number> {
  const partitions = opts.partitions ?? [...Array(await client.partitionCount(topic)).keys()];
  const positions = new Map<number, bigint>();
  for (const p of partitions) positions.set(p, await resolveStart(client, topic, p, opts.start));
  const max = opts.maxMessages ?? Infinity;
  const maxWaitMs = opts.maxWaitMs ?? 500;
  let delivered = 0;
  let lastProgress = Date.now();

  while (delivered < max && !opts.signal?.aborted) {
    const idleLeft = opts.idleTimeoutMs === undefined ? Infinity : opts.idleTimeoutMs - (Date.now() - lastProgress);
    if (idleLeft <= 0) break;
    const wait = Math.max(0, Math.min(maxWaitMs, idleLeft));
    const started = Date.now();
    const results = await Promise.all(partitions.map(async (p) => {
      try {
        return { p, res: await client.fetch(topic, p, positions.get(p)!, opts.maxBytes ?? 1 << 20, wait, 1, opts.isolationLevel ?? READ_UNCOMMITTED) };
      } catch (err) {
        if (err instanceof KafkaError && err.code === ErrorCode.OFFSET_OUT_OF_RANGE) {
          // Kafka's auto.offset.reset=earliest: the data asked for is gone or not there yet.
          positions.set(p, await resolveStart(client, topic, p, { kind: 'earliest' }));
          return { p, res: null };
        }
        throw err;
      }
    }));
    let progressed = false;
    for (const { p, res } of results) {
      if (!res || res.records.length === 0) continue;
      const from = positions.get(p)!;
      let next = from;
      const filter = new AbortedTransactionFilter(res.abortedTransactions);
      for (const batch of await decodeRecordBatches(res.records)) {
        const end = batch.header.baseOffset + BigInt(batch.header.lastOffsetDelta) + 1n;
        if (end > next) next = end;
        if (!filter.keep(batch)) continue;
        for (const r of batch.records) {
          if (r.offset < from || delivered >= max) continue;
          await onRecord({ ...r, partition: p });
          delivered++;
          progressed = true;
        }
      }
      if (delivered >= max) break;
      positions.set(p, next);
    }
    if (progressed) lastProgress = Date.now();
    // A broker that answers an empty fetch before maxWaitMs must not turn this into a busy loop.
    else if (Date.now() - started < wait || wait === 0) await new Promise((r) => setTimeout(r, Math.min(50, Math.max(1, idleLeft))));
  }
  return delivered;
}

/**
 * Every record value of one partition from offset 0 up to `end` (default: the high watermark),
 * in offset order, decoded as UTF-8. For tools and tests that check what a log holds.
 */
export async function readPartitionValues(client: KafkaClient, topic: string, partition: number, end?: bigint): Promise<string[]> {
  return (await readPartitionRecords(client, topic, partition, end)).map((r) => r.value?.toString() ?? '');
}

/**
 * Every record of one partition from offset 0 up to `end` (default: the high watermark), in offset
 * order, control records left out. Offsets may have gaps (a compacted log): reading moves on by
 * each batch's last offset, not by its last remaining record.
 */
export async function readPartitionRecords(client: KafkaClient, topic: string, partition: number, end?: bigint): Promise<KafkaRecord[]> {
  const upTo = end ?? (await client.listOffsets(topic, partition, -1n)).offset;
  const out: KafkaRecord[] = [];
  let offset = 0n;
  // A leader that just changed may briefly serve less than the end it reported: retry a while.
  for (let empty = 0; offset < upTo && empty < 20; ) {
    const res = await client.fetch(topic, partition, offset, 4 << 20, 500);
    const batches = await decodeRecordBatches(res.records);
    empty = batches.length === 0 ? empty + 1 : 0;
    for (const b of batches) {
      const from = offset;
      const next = b.header.baseOffset + BigInt(b.header.lastOffsetDelta) + 1n;
      if (!b.header.isControl) {
        for (const r of b.records) if (r.offset >= from && r.offset < upTo) out.push(r);
      }
      if (next > offset) offset = next;
    }
  }
  return out;
}
