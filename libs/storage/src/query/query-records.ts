import {
  BATCH,
  BATCH_HEADER_SIZE,
  BATCH_LOG_OVERHEAD,
  compressionName,
  decodeRecordBatch,
  type DecodedRecordBatch,
  isControlBatch,
  type KafkaRecord,
  openRecords,
  scanRecordSpans,
} from '@dms/kafka-codec';
import type { AbortedTxn } from '@dms/log';
import type { QueryRecord } from '@dms/rpc';

/** Which records of the decoded batches a query keeps. */
export interface RecordFilter {
  /** Offsets in [fromOffset, toOffset). */
  fromOffset: bigint;
  toOffset: bigint;
  /** Timestamps in [startMs, endMs]; undefined bounds are open. */
  startMs?: bigint;
  endMs?: bigint;
  /** Exact key bytes (the index matched a hash; only equal keys are kept). */
  key?: Buffer;
  /** Aborted transactions to leave out (read_committed). */
  aborted?: readonly AbortedTxn[];
}

/**
 * The data batches of `buf` (whole batches) decoded, skipping control batches and, when the
 * filter names a key, batches without a record of that exact key (checked on the raw records
 * before any record object is made).
 */
export async function decodeQueryBatches(buf: Buffer, key?: Buffer): Promise<DecodedRecordBatch[]> {
  const out: DecodedRecordBatch[] = [];
  let at = 0;
  while (at + BATCH_HEADER_SIZE <= buf.length) {
    const size = buf.readInt32BE(at + BATCH.batchLength) + BATCH_LOG_OVERHEAD;
    const batch = buf.subarray(at, at + size);
    at += size;
    if (isControlBatch(batch.readInt16BE(BATCH.attributes))) continue;
    if (key && !(await batchHasKey(batch, key))) continue;
    out.push(await decodeRecordBatch(batch, { verifyCrc: true, copy: false }));
  }
  return out;
}

async function batchHasKey(batch: Buffer, key: Buffer): Promise<boolean> {
  const view = await openRecords(batch);
  let found = false;
  scanRecordSpans(view, (_s, _e, _d, keyStart, keyLength) => {
    if (!found && keyLength === key.length && view.plain.compare(key, 0, key.length, keyStart, keyStart + keyLength) === 0) found = true;
  });
  return found;
}

export function keepRecord(batch: DecodedRecordBatch, r: KafkaRecord, f: RecordFilter): boolean {
  if (batch.header.isControl) return false;
  if (r.offset < f.fromOffset || r.offset >= f.toOffset) return false;
  if (f.startMs !== undefined && r.timestamp < f.startMs) return false;
  if (f.endMs !== undefined && r.timestamp > f.endMs) return false;
  if (f.key && (r.key === null || !r.key.equals(f.key))) return false;
  if (f.aborted && batch.header.isTransactional && isAborted(batch.header.producerId, r.offset, f.aborted)) return false;
  return true;
}

function isAborted(producerId: bigint, offset: bigint, aborted: readonly AbortedTxn[]): boolean {
  return aborted.some((a) => a.producerId === producerId && a.firstOffset <= offset && offset <= a.lastOffset);
}

export function toQueryRecord(batch: DecodedRecordBatch, r: KafkaRecord): QueryRecord {
  const h = batch.header;
  return {
    offset: r.offset,
    timestamp: r.timestamp,
    timestampType: h.timestampType === 'logAppend' ? 'LogAppendTime' : 'CreateTime',
    key: r.key ?? Buffer.alloc(0),
    keyNull: r.key === null,
    value: r.value ?? Buffer.alloc(0),
    valueNull: r.value === null,
    headers: r.headers.map((x) => ({ key: x.key, value: x.value ?? Buffer.alloc(0), valueNull: x.value === null })),
    compression: compressionName(h.compression).toLowerCase(),
    partitionLeaderEpoch: h.partitionLeaderEpoch,
    batchBaseOffset: h.baseOffset,
    producerId: h.producerId,
    transactional: h.isTransactional,
  };
}
