import { BATCH, BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD, CompressionType, compressionOf, timestampTypeOf } from './batch-header';
import { DEFAULT_MAX_DECOMPRESSED_BYTES, decompress } from './compression';
import { RecordsError } from './records-error';
import { Cursor } from './varint';

/** What a broker checks of one record without materializing it. */
export interface ScannedRecord {
  /** Position of the record in its batch. */
  index: number;
  offsetDelta: number;
  /** The record's timestamp (the batch's max timestamp in a LogAppendTime batch). */
  timestamp: bigint;
  hasKey: boolean;
}

/**
 * Walks the records of the batch at the start of `batch` (decompressing when needed), reading
 * only each record's offset delta, timestamp and key length and skipping the rest, and checks
 * the record framing on the way: lengths within the batch, exactly `recordCount` records, no
 * trailing bytes. Allocates nothing per record: a leader's validation pass over every batch.
 */
export async function scanRecords(
  batch: Buffer,
  visit: (r: ScannedRecord) => void,
  maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES,
): Promise<void> {
  if (batch.length < BATCH_HEADER_SIZE) throw new RecordsError('truncated', 'record batch header is truncated');
  const size = batch.readInt32BE(BATCH.batchLength) + BATCH_LOG_OVERHEAD;
  if (size < BATCH_HEADER_SIZE || size > batch.length) throw new RecordsError('truncated', 'record batch is truncated');
  const attributes = batch.readInt16BE(BATCH.attributes);
  const codec = compressionOf(attributes);
  if (codec > CompressionType.Zstd) throw new RecordsError('unsupported-compression', `unsupported compression type ${codec}`);
  const count = batch.readInt32BE(BATCH.recordCount);
  if (count < 0) throw new RecordsError('corrupt', `negative record count ${count}`);
  const logAppend = timestampTypeOf(attributes) === 'logAppend';
  const baseTimestamp = batch.readBigInt64BE(BATCH.baseTimestamp);
  const maxTimestamp = batch.readBigInt64BE(BATCH.maxTimestamp);
  const c =
    codec === CompressionType.None
      ? new Cursor(batch, BATCH_HEADER_SIZE, size)
      : await decompress(codec, batch.subarray(BATCH_HEADER_SIZE, size), maxDecompressedBytes).then((plain) => new Cursor(plain, 0, plain.length));
  for (let index = 0; index < count; index++) {
    const length = c.readVarint();
    if (length < 6 || length > c.remaining) throw new RecordsError('corrupt', `record ${index} has length ${length} in ${c.remaining} bytes`);
    const end = c.pos + length;
    c.readInt8(); // attributes
    const timestampDelta = c.readVarlong();
    const offsetDelta = c.readVarint();
    const keyLength = c.readVarint();
    if (keyLength < -1 || c.pos > end) throw new RecordsError('corrupt', `record ${index} has a bad key length ${keyLength}`);
    visit({ index, offsetDelta, timestamp: logAppend ? maxTimestamp : baseTimestamp + timestampDelta, hasKey: keyLength >= 0 });
    c.pos = end;
  }
  if (c.remaining !== 0) throw new RecordsError('corrupt', `${c.remaining} bytes follow the ${count} declared records`);
}
