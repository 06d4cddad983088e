import { BATCH_HEADER_SIZE, readBatchHeader, timestampTypeOf } from '@dms/kafka-codec';
import type { PartitionLog } from '@dms/log';

/** The offset asked for (or the log start when it lies below) and its batch's timestamp. */
export interface RecordTimestamp {
  offset: bigint;
  timestamp: number;
}

/**
 * The timestamp of the batch holding the first record at or after `offset` below `readableEnd`:
 * its first record's time (CreateTime) or its append time (LogAppendTime). Below the log start,
 * the first record a consumer would get is at the log start. One positional read of one batch;
 * undefined when there is no such record (caught up, or moved by retention meanwhile).
 */
export async function recordTimestampAt(log: PartitionLog, offset: bigint, readableEnd: bigint): Promise<RecordTimestamp | undefined> {
  const from = offset < log.logStartOffset ? log.logStartOffset : offset;
  if (from >= readableEnd) return undefined;
  try {
    const { records } = await log.read(from, 1, { upperBound: readableEnd, minOneBatch: true });
    if (records.length < BATCH_HEADER_SIZE) return undefined;
    const h = readBatchHeader(records, 0);
    return { offset: from, timestamp: Number(timestampTypeOf(h.attributes) === 'logAppend' ? h.maxTimestamp : h.baseTimestamp) };
  } catch {
    return undefined; // moved by retention or truncation meanwhile: the next round asks again
  }
}
