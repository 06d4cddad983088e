import { BATCH, BATCH_LOG_OVERHEAD } from '@dms/kafka-codec';

const NO_LIMIT = 0x7fffffff;

/** Bytes of the whole batches at the start of `records` that fit in `limit`. */
export function wholeBatchesWithin(records: Buffer, limit: number): number {
  let pos = 0;
  while (records.length - pos >= BATCH.batchLength + 4) {
    const size = records.readInt32BE(pos + BATCH.batchLength) + BATCH_LOG_OVERHEAD;
    if (size <= BATCH_LOG_OVERHEAD || pos + size > records.length || pos + size > limit) break;
    pos += size;
  }
  return pos;
}

/**
 * Kafka's Fetch size rule (KIP-74) over an answer merged from several storage brokers, each of
 * which spent the whole budget on its own partitions: walking the partitions in request order,
 * each keeps the whole batches that fit in both its partition_max_bytes and what is left of
 * max_bytes, except that the first non-empty partition keeps at least its first batch. A
 * partition cut to nothing answers an empty record set with no error: the client fetches it
 * again next time from the same offset. `records` are replaced in place by prefixes (no copy).
 */
export function applyFetchBudget(parts: ReadonlyArray<{ records: Buffer; partitionMaxBytes: number }>, maxBytes: number, set: (i: number, records: Buffer) => void): void {
  let remaining = maxBytes > 0 ? maxBytes : NO_LIMIT;
  let first = true;
  parts.forEach((p, i) => {
    if (p.records.length === 0) return;
    const limit = Math.min(Math.max(0, p.partitionMaxBytes), remaining);
    let keep = wholeBatchesWithin(p.records, limit);
    if (keep === 0 && first && p.records.length >= BATCH_LOG_OVERHEAD) keep = wholeBatchesWithin(p.records, firstBatchSize(p.records));
    if (keep < p.records.length) set(i, p.records.subarray(0, keep));
    if (keep > 0) {
      first = false;
      remaining = Math.max(0, remaining - keep);
    }
  });
}

function firstBatchSize(records: Buffer): number {
  return records.readInt32BE(BATCH.batchLength) + BATCH_LOG_OVERHEAD;
}
