import { BATCH, compressionOf, recompressBatch, RecordsError, scanRecords, type CompressionType } from '@dms/kafka-codec';
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
 * order of Kafka's UnifiedLog and LogValidator: the size of the whole append (segment.bytes,
 * RECORD_LIST_TOO_LARGE) and of every batch (max.message.bytes, MESSAGE_TOO_LARGE), then
 * record by record a key on compacted topics and a CreateTime timestamp within
 * [now - message.timestamp.before.max.ms, now + message.timestamp.after.max.ms]; then, when the
 * topic's compression.type names another codec than a batch carries, the batch recompressed.
 *
 * As Kafka's LogValidator, every record's own timestamp is checked (a batch's first timestamp is
 * not its smallest, and its max timestamp is only what the producer wrote), through a scan that
 * reads offset delta, timestamp and key length of each record and allocates nothing; compressed
 * batches are decompressed for it, as Kafka does. LogAppendTime topics on delete policy with the
 * producer's codec skip the scan: their batches stay opaque.
 */
export async function checkForAppend(
  records: Buffer,
  positions: readonly number[],
  s: ProduceSettings,
  nowMs: bigint,
  topicPartition: string,
): Promise<AppendCheck> {
  if (records.length > s.segmentBytes) {
    return refuse(ErrorCode.RECORD_LIST_TOO_LARGE, `Message batch size is ${records.length} bytes in append to partition ${topicPartition}, which exceeds the maximum configured segment size of ${s.segmentBytes}.`);
  }
  const batches = positions.map((at, i) => records.subarray(at, i + 1 < positions.length ? positions[i + 1] : records.length));
  for (const b of batches) {
    if (b.length > s.maxMessageBytes) {
      return refuse(ErrorCode.MESSAGE_TOO_LARGE, `The record batch size in the append to ${topicPartition} is ${b.length} bytes which exceeds the maximum configured value of ${s.maxMessageBytes}.`);
    }
  }
  const upper = nowMs + s.timestampAfterMaxMs;
  const lower = s.timestampBeforeMaxMs >= LONG_MAX ? undefined : nowMs - s.timestampBeforeMaxMs;
  const refusals: Refusal[] = [];
  const targets: CompressionType[] = [];
  let recordIndex = 0;
  for (const b of batches) {
    const source = compressionOf(b.readInt16BE(BATCH.attributes));
    const target = s.compression === 'producer' ? source : s.compression;
    targets.push(target);
    const checkTimestamps = !s.logAppendTime;
    if (!checkTimestamps && !s.compacted && target === source) {
      recordIndex += b.readInt32BE(BATCH.recordCount);
      continue;
    }
    const first = recordIndex;
    try {
      await scanRecords(b, (r) => {
        const batchIndex = first + r.index;
        if (s.compacted && !r.hasKey) {
          refusals.push({ code: ErrorCode.INVALID_RECORD, error: { batchIndex, message: `Compacted topic cannot accept message without key in topic partition ${topicPartition}.` } });
        } else if (checkTimestamps && r.timestamp !== -1n && ((lower !== undefined && r.timestamp < lower) || r.timestamp > upper)) {
          refusals.push({
            code: ErrorCode.INVALID_TIMESTAMP,
            error: {
              batchIndex,
              message: `Timestamp ${r.timestamp} of message with offset ${r.offsetDelta} is out of range. The timestamp should be within [${lower ?? -LONG_MAX}, ${upper}]`,
            },
          });
        }
      });
    } catch (err) {
      if (err instanceof RecordsError) return refuse(ErrorCode.CORRUPT_MESSAGE, `Record batch in the append to ${topicPartition} is corrupt: ${err.message}`);
      throw err;
    }
    recordIndex += b.readInt32BE(BATCH.recordCount);
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
  if (batches.every((b, i) => compressionOf(b.readInt16BE(BATCH.attributes)) === targets[i])) return { ok: true, records };
  const out: Buffer[] = [];
  for (let i = 0; i < batches.length; i++) {
    const re = await recompressBatch(batches[i], targets[i]);
    if (re.length > s.maxMessageBytes) {
      return refuse(ErrorCode.MESSAGE_TOO_LARGE, `The record batch size in the append to ${topicPartition} is ${re.length} bytes after recompression, which exceeds the maximum configured value of ${s.maxMessageBytes}.`);
    }
    out.push(re);
  }
  return { ok: true, records: Buffer.concat(out) };
}
