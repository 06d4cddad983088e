import { BATCH, compressionOf, decodeRecordBatch, recompressBatch, RecordsError } from '@dms/kafka-codec';
import { ErrorCode } from '@dms/kafka-errors';
import { LONG_MAX, type ProduceSettings } from './topic-settings';

/** One refused record: its index among the partition's records, and why (Produce v8+ record_errors). */
export interface RecordErrorInfo {
  batchIndex: number;
  message: string;
}

export type AppendCheck =
  | { ok: true; records: Buffer }
  | { ok: false; errorCode: number; errorMessage: string; recordErrors: RecordErrorInfo[] };

interface Refusal {
  code: number;
  error: RecordErrorInfo;
}

const refuse = (errorCode: number, errorMessage: string, recordErrors: RecordErrorInfo[] = []): AppendCheck => ({ ok: false, errorCode, errorMessage, recordErrors });

/**
 * The partition leader's checks of a producer's batches against the topic's settings, in the
 * order of Kafka's UnifiedLog and LogValidator: the size of every batch (max.message.bytes), then
 * record by record a key on compacted topics and a CreateTime timestamp within
 * [now - message.timestamp.before.max.ms, now + message.timestamp.after.max.ms]; then, when the
 * topic's compression.type names another codec than a batch carries, the batch recompressed.
 *
 * Records are decoded only when something needs them: a compacted topic, a codec change, a lower
 * timestamp bound, or a header whose max timestamp does not prove every record within the upper
 * bound (unset, or beyond it). Otherwise the batches stay opaque, as everywhere else.
 */
export async function checkForAppend(
  records: Buffer,
  positions: readonly number[],
  s: ProduceSettings,
  nowMs: bigint,
  topicPartition: string,
): Promise<AppendCheck> {
  const batches = positions.map((at, i) => records.subarray(at, i + 1 < positions.length ? positions[i + 1] : records.length));
  for (const b of batches) {
    if (b.length > s.maxMessageBytes) {
      return refuse(ErrorCode.MESSAGE_TOO_LARGE, `The record batch size in the append to ${topicPartition} is ${b.length} bytes which exceeds the maximum configured value of ${s.maxMessageBytes}.`);
    }
  }
  const upper = nowMs + s.timestampAfterMaxMs;
  const lower = s.timestampBeforeMaxMs >= LONG_MAX ? undefined : nowMs - s.timestampBeforeMaxMs;
  const refusals: Refusal[] = [];
  const out: Buffer[] = [];
  let changed = false;
  let recordIndex = 0;
  for (const b of batches) {
    const source = compressionOf(b.readInt16BE(BATCH.attributes));
    const target = s.compression === 'producer' ? source : s.compression;
    const baseTs = b.readBigInt64BE(BATCH.baseTimestamp);
    const maxTs = b.readBigInt64BE(BATCH.maxTimestamp);
    const checkTimestamps = !s.logAppendTime && (lower !== undefined || maxTs < baseTs || maxTs > upper);
    if (!checkTimestamps && !s.compacted && target === source) {
      recordIndex += b.readInt32BE(BATCH.recordCount);
      out.push(b);
      continue;
    }
    let decoded;
    try {
      decoded = await decodeRecordBatch(b, { verifyCrc: false });
    } catch (err) {
      if (err instanceof RecordsError) return refuse(ErrorCode.CORRUPT_MESSAGE, `Record batch in the append to ${topicPartition} is corrupt: ${err.message}`);
      throw err;
    }
    for (const r of decoded.records) {
      const batchIndex = recordIndex++;
      if (s.compacted && r.key === null) {
        refusals.push({ code: ErrorCode.INVALID_RECORD, error: { batchIndex, message: `Compacted topic cannot accept message without key in topic partition ${topicPartition}.` } });
      } else if (checkTimestamps && r.timestamp !== -1n && ((lower !== undefined && r.timestamp < lower) || r.timestamp > upper)) {
        refusals.push({
          code: ErrorCode.INVALID_TIMESTAMP,
          error: {
            batchIndex,
            message: `Timestamp ${r.timestamp} of message with offset ${r.offset} is out of range. The timestamp should be within [${lower ?? -LONG_MAX}, ${upper}]`,
          },
        });
      }
    }
    if (target !== source) {
      const re = await recompressBatch(b, target);
      if (re.length > s.maxMessageBytes) {
        return refuse(ErrorCode.MESSAGE_TOO_LARGE, `The record batch size in the append to ${topicPartition} is ${re.length} bytes after recompression, which exceeds the maximum configured value of ${s.maxMessageBytes}.`);
      }
      out.push(re);
      changed = true;
    } else {
      out.push(b);
    }
  }
  if (refusals.length > 0) {
    const recordErrors = refusals.map((r) => r.error);
    if (refusals.some((r) => r.code === ErrorCode.INVALID_TIMESTAMP)) {
      return refuse(ErrorCode.INVALID_TIMESTAMP, 'One or more records have been rejected due to invalid timestamp', recordErrors);
    }
    const shown = recordErrors.slice(0, 3).map((e) => `RecordError(batchIndex=${e.batchIndex}, message='${e.message}')`).join(', ');
    return refuse(
      ErrorCode.INVALID_RECORD,
      `One or more records have been rejected due to ${recordErrors.length} record errors in total, and only showing the first three errors at most: [${shown}]`,
      recordErrors,
    );
  }
  return { ok: true, records: changed ? Buffer.concat(out) : records };
}
