import {
  ATTR_CONTROL,
  ATTR_TIMESTAMP_TYPE,
  ATTR_TRANSACTIONAL,
  BATCH,
  BATCH_HEADER_SIZE,
  BATCH_LOG_OVERHEAD,
  BatchHeader,
  CompressionType,
  TimestampType,
  batchCrcMatches,
  compressionOf,
  readBatchHeader,
  rewriteBatchCrc,
  timestampTypeOf,
} from './batch-header';
import { DEFAULT_MAX_DECOMPRESSED_BYTES, compress, decompress } from './compression';
import { RecordsError } from './records-error';
import { Cursor, sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from './varint';

export interface KafkaRecordHeader {
  key: string;
  value: Buffer | null;
}

export interface KafkaRecord {
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: KafkaRecordHeader[];
}

export interface RecordInput {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: { key: string; value: Buffer | string | null }[];
  /** Milliseconds since the epoch; defaults to the time of the build. */
  timestamp?: bigint | number;
}

export interface BuildRecordBatchOptions {
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
  compression?: CompressionType;
  timestampType?: TimestampType;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  /** Marks a control batch (transaction markers); see `endTxnMarker`. */
  control?: boolean;
  records: RecordInput[];
}

export interface DecodedBatchHeader extends BatchHeader {
  compression: CompressionType;
  timestampType: TimestampType;
  isTransactional: boolean;
  /** Control batches carry transaction markers: consumers skip their records. */
  isControl: boolean;
}

export interface DecodedRecordBatch {
  header: DecodedBatchHeader;
  records: KafkaRecord[];
}

export interface DecodeRecordBatchOptions {
  /** Cap on the decompressed size of one batch's records. */
  maxDecompressedBytes?: number;
  /** Check the CRC-32C before decoding (default true). */
  verifyCrc?: boolean;
  /**
   * Copy keys and values of uncompressed batches out of the input. By default they are
   * subarrays of it (zero-copy), which keeps the whole input alive while any record is.
   */
  copy?: boolean;
}

/** Smallest possible record: length, attributes, timestampDelta, offsetDelta, key, value, header count. */
const MIN_RECORD_SIZE = 7;
const NO_PRODUCER_ID = -1n;

interface NormalizedRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: Buffer; value: Buffer | null }[];
  timestampDelta: bigint;
  bodySize: number;
}

function toBuffer(v: Buffer | string | null | undefined): Buffer | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
}

function sizeOfBytes(b: Buffer | null): number {
  return b === null ? 1 : sizeOfVarint(b.length) + b.length;
}

function writeBytes(out: Buffer, pos: number, b: Buffer | null): number {
  if (b === null) return writeVarint(out, pos, -1);
  pos = writeVarint(out, pos, b.length);
  return pos + b.copy(out, pos);
}

/** Encodes a magic-2 record batch, compressing its records when asked. */
export async function buildRecordBatch(opts: BuildRecordBatchOptions): Promise<Buffer> {
  const inputs = opts.records;
  if (inputs.length === 0) throw new RecordsError('invalid-record', 'a record batch needs at least one record');
  const compression = opts.compression ?? CompressionType.None;
  if (compression < CompressionType.None || compression > CompressionType.Zstd) {
    throw new RecordsError('unsupported-compression', `unsupported compression type ${compression}`);
  }
  const now = BigInt(Date.now());
  const timestamps = inputs.map((r) =>
    r.timestamp === undefined ? now : typeof r.timestamp === 'bigint' ? r.timestamp : BigInt(Math.trunc(r.timestamp)),
  );
  const baseTimestamp = timestamps[0];
  let maxTimestamp = baseTimestamp;
  for (const t of timestamps) if (t > maxTimestamp) maxTimestamp = t;

  const records: NormalizedRecord[] = new Array(inputs.length);
  let recordsSize = 0;
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i];
    const key = toBuffer(input.key);
    const value = toBuffer(input.value);
    const headers = (input.headers ?? []).map((h) => ({ key: Buffer.from(h.key, 'utf8'), value: toBuffer(h.value) }));
    const timestampDelta = timestamps[i] - baseTimestamp;
    let bodySize = 1 + sizeOfVarlong(timestampDelta) + sizeOfVarint(i) + sizeOfBytes(key) + sizeOfBytes(value);
    bodySize += sizeOfVarint(headers.length);
    for (const h of headers) bodySize += sizeOfBytes(h.key) + sizeOfBytes(h.value);
    records[i] = { key, value, headers, timestampDelta, bodySize };
    recordsSize += sizeOfVarint(bodySize) + bodySize;
  }

  const uncompressed = compression === CompressionType.None;
  const recordsBuf = Buffer.allocUnsafe((uncompressed ? BATCH_HEADER_SIZE : 0) + recordsSize);
  let pos = uncompressed ? BATCH_HEADER_SIZE : 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    pos = writeVarint(recordsBuf, pos, r.bodySize);
    recordsBuf[pos++] = 0; // record attributes: unused
    pos = writeVarlong(recordsBuf, pos, r.timestampDelta);
    pos = writeVarint(recordsBuf, pos, i);
    pos = writeBytes(recordsBuf, pos, r.key);
    pos = writeBytes(recordsBuf, pos, r.value);
    pos = writeVarint(recordsBuf, pos, r.headers.length);
    for (const h of r.headers) {
      pos = writeBytes(recordsBuf, pos, h.key);
      pos = writeBytes(recordsBuf, pos, h.value);
    }
  }

  let batch: Buffer;
  if (uncompressed) {
    batch = recordsBuf;
  } else {
    const compressed = await compress(compression, recordsBuf);
    batch = Buffer.allocUnsafe(BATCH_HEADER_SIZE + compressed.length);
    compressed.copy(batch, BATCH_HEADER_SIZE);
  }

  let attributes: number = compression;
  if (opts.timestampType === 'logAppend') attributes |= ATTR_TIMESTAMP_TYPE;
  if (opts.transactional) attributes |= ATTR_TRANSACTIONAL;
  if (opts.control) attributes |= ATTR_CONTROL;
  batch.writeBigInt64BE(opts.baseOffset ?? 0n, BATCH.baseOffset);
  batch.writeInt32BE(batch.length - BATCH_LOG_OVERHEAD, BATCH.batchLength);
  batch.writeInt32BE(opts.partitionLeaderEpoch ?? -1, BATCH.partitionLeaderEpoch);
  batch.writeInt8(2, BATCH.magic);
  batch.writeInt16BE(attributes, BATCH.attributes);
  batch.writeInt32BE(records.length - 1, BATCH.lastOffsetDelta);
  batch.writeBigInt64BE(baseTimestamp, BATCH.baseTimestamp);
  batch.writeBigInt64BE(maxTimestamp, BATCH.maxTimestamp);
  batch.writeBigInt64BE(opts.producerId ?? NO_PRODUCER_ID, BATCH.producerId);
  batch.writeInt16BE(opts.producerEpoch ?? -1, BATCH.producerEpoch);
  batch.writeInt32BE(opts.baseSequence ?? -1, BATCH.baseSequence);
  batch.writeInt32BE(records.length, BATCH.recordCount);
  rewriteBatchCrc(batch, 0);
  return batch;
}

/** Reads and checks the framing of the batch at `pos`: complete, sane length, magic 2. */
export function readCheckedHeader(buf: Buffer, pos: number): DecodedBatchHeader {
  if (buf.length - pos < BATCH_HEADER_SIZE) throw new RecordsError('truncated', 'record batch header is truncated');
  const length = buf.readInt32BE(pos + BATCH.batchLength);
  if (length < BATCH_HEADER_SIZE - BATCH_LOG_OVERHEAD) {
    throw new RecordsError('corrupt', `record batch length ${length} is smaller than a header`);
  }
  if (length + BATCH_LOG_OVERHEAD > buf.length - pos) throw new RecordsError('truncated', 'record batch is truncated');
  const magic = buf.readInt8(pos + BATCH.magic);
  if (magic !== 2) throw new RecordsError('bad-magic', `record batch magic ${magic} is not 2`);
  const header = readBatchHeader(buf, pos);
  if (header.recordCount < 0) throw new RecordsError('corrupt', `negative record count ${header.recordCount}`);
  return {
    ...header,
    compression: compressionOf(header.attributes),
    timestampType: timestampTypeOf(header.attributes),
    isTransactional: (header.attributes & ATTR_TRANSACTIONAL) !== 0,
    isControl: (header.attributes & ATTR_CONTROL) !== 0,
  };
}

/** The records region of a batch as a cursor, decompressed when needed. */
export async function recordsCursor(
  batch: Buffer,
  header: DecodedBatchHeader,
  maxBytes: number,
): Promise<{ cursor: Cursor; aliasesInput: boolean }> {
  const start = BATCH_HEADER_SIZE;
  const end = header.sizeInBytes;
  let cursor: Cursor;
  let aliasesInput = false;
  if (header.compression === CompressionType.None) {
    cursor = new Cursor(batch, start, end);
    aliasesInput = true;
  } else {
    if (header.compression > CompressionType.Zstd) {
      throw new RecordsError('unsupported-compression', `unsupported compression type ${header.compression}`);
    }
    const plain = await decompress(header.compression, batch.subarray(start, end), maxBytes);
    cursor = new Cursor(plain, 0, plain.length);
  }
  if (header.recordCount > cursor.remaining / MIN_RECORD_SIZE) {
    throw new RecordsError('corrupt', `record count ${header.recordCount} exceeds what ${cursor.remaining} bytes can hold`);
  }
  return { cursor, aliasesInput };
}

function readBytes(c: Cursor, copy: boolean): Buffer | null {
  const len = c.readVarint();
  if (len === -1) return null;
  if (len < -1) throw new RecordsError('corrupt', `negative length ${len}`);
  const start = c.take(len);
  const view = c.buf.subarray(start, start + len);
  return copy ? Buffer.from(view) : view;
}

/** Enters one record: reads its length and narrows the cursor to it. Returns the outer end. */
function enterRecord(c: Cursor): number {
  const len = c.readVarint();
  if (len < MIN_RECORD_SIZE - 1) throw new RecordsError('corrupt', `record length ${len} is too small`);
  if (len > c.remaining) throw new RecordsError('truncated', `record length ${len} exceeds the batch`);
  const outerEnd = c.end;
  c.end = c.pos + len;
  return outerEnd;
}

function leaveRecord(c: Cursor, outerEnd: number): void {
  if (c.pos !== c.end) throw new RecordsError('corrupt', 'record length does not match its fields');
  c.end = outerEnd;
}

function decodeRecords(c: Cursor, header: DecodedBatchHeader, copy: boolean): KafkaRecord[] {
  const records: KafkaRecord[] = [];
  const logAppend = header.timestampType === 'logAppend';
  for (let i = 0; i < header.recordCount; i++) {
    const outerEnd = enterRecord(c);
    c.readInt8(); // record attributes: unused
    const timestampDelta = c.readVarlong();
    const offsetDelta = c.readVarint();
    const key = readBytes(c, copy);
    const value = readBytes(c, copy);
    const headerCount = c.readVarint();
    if (headerCount < 0) throw new RecordsError('corrupt', `negative header count ${headerCount}`);
    if (headerCount > c.remaining / 2) throw new RecordsError('corrupt', `header count ${headerCount} exceeds the record`);
    const headers: KafkaRecordHeader[] = [];
    for (let h = 0; h < headerCount; h++) {
      const keyLen = c.readVarint();
      if (keyLen < 0) throw new RecordsError('corrupt', `header key length ${keyLen} is negative`);
      const keyStart = c.take(keyLen);
      headers.push({ key: c.buf.toString('utf8', keyStart, keyStart + keyLen), value: readBytes(c, copy) });
    }
    leaveRecord(c, outerEnd);
    records.push({
      offset: header.baseOffset + BigInt(offsetDelta),
      timestamp: logAppend ? header.maxTimestamp : header.baseTimestamp + timestampDelta,
      key,
      value,
      headers,
    });
  }
  if (c.remaining !== 0) {
    throw new RecordsError('corrupt', `${c.remaining} bytes follow the ${header.recordCount} declared records`);
  }
  return records;
}

/**
 * Decodes the batch at the start of `batch` (bytes after it are ignored). Throws
 * RecordsError on any framing, CRC, compression or record-level inconsistency.
 */
export async function decodeRecordBatch(batch: Buffer, opts: DecodeRecordBatchOptions = {}): Promise<DecodedRecordBatch> {
  const header = readCheckedHeader(batch, 0);
  if (opts.verifyCrc !== false && !batchCrcMatches(batch, 0)) {
    throw new RecordsError('bad-crc', 'record batch CRC-32C mismatch');
  }
  const { cursor, aliasesInput } = await recordsCursor(
    batch,
    header,
    opts.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES,
  );
  return { header, records: decodeRecords(cursor, header, aliasesInput && opts.copy === true) };
}

/**
 * Decodes concatenated batches. A trailing partial batch is ignored: fetch responses may
 * end with one when the size limit cut through it.
 */
export async function decodeRecordBatches(buf: Buffer, opts: DecodeRecordBatchOptions = {}): Promise<DecodedRecordBatch[]> {
  const out: DecodedRecordBatch[] = [];
  let pos = 0;
  while (buf.length - pos >= BATCH_LOG_OVERHEAD) {
    const length = buf.readInt32BE(pos + BATCH.batchLength);
    if (length < BATCH_HEADER_SIZE - BATCH_LOG_OVERHEAD) {
      throw new RecordsError('corrupt', `record batch length ${length} at ${pos} is smaller than a header`);
    }
    const size = length + BATCH_LOG_OVERHEAD;
    if (size > buf.length - pos) break;
    out.push(await decodeRecordBatch(buf.subarray(pos, pos + size), opts));
    pos += size;
  }
  return out;
}

/**
 * The first record of the batch whose timestamp is >= `ts`, judged from the records
 * themselves since some producers leave maxTimestamp unset. In a LogAppendTime batch every
 * record carries the batch's maxTimestamp. Control records count, as in Kafka's time lookup.
 */
export async function findOffsetByTimestamp(
  batch: Buffer,
  ts: bigint,
  opts: Omit<DecodeRecordBatchOptions, 'copy'> = {},
): Promise<{ offset: bigint; timestamp: bigint; leaderEpoch: number } | null> {
  const header = readCheckedHeader(batch, 0);
  if (opts.verifyCrc === true && !batchCrcMatches(batch, 0)) {
    throw new RecordsError('bad-crc', 'record batch CRC-32C mismatch');
  }
  if (header.recordCount === 0) return null;
  const logAppend = header.timestampType === 'logAppend';
  if (logAppend && header.maxTimestamp < ts) return null;
  const { cursor: c } = await recordsCursor(batch, header, opts.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES);
  for (let i = 0; i < header.recordCount; i++) {
    const outerEnd = enterRecord(c);
    c.readInt8();
    const timestampDelta = c.readVarlong();
    const offsetDelta = c.readVarint();
    const timestamp = logAppend ? header.maxTimestamp : header.baseTimestamp + timestampDelta;
    if (timestamp >= ts) {
      return { offset: header.baseOffset + BigInt(offsetDelta), timestamp, leaderEpoch: header.partitionLeaderEpoch };
    }
    c.pos = c.end; // skip key, value and headers
    c.end = outerEnd;
  }
  return null;
}

function checkBatchInBuffer(buf: Buffer, pos: number): void {
  if (pos < 0 || buf.length - pos < BATCH_HEADER_SIZE) throw new RecordsError('truncated', `no batch header at ${pos}`);
  const size = buf.readInt32BE(pos + BATCH.batchLength) + BATCH_LOG_OVERHEAD;
  if (size < BATCH_HEADER_SIZE || size > buf.length - pos) throw new RecordsError('truncated', `batch at ${pos} is truncated`);
}

/**
 * Turns the batch at `pos` into a LogAppendTime batch stamped `now`, in place, and rewrites
 * its CRC. The caller must have checked the CRC first: restamping would hide corruption.
 */
export function stampLogAppendTime(batch: Buffer, pos: number, now: bigint): void {
  checkBatchInBuffer(batch, pos);
  batch.writeInt16BE(batch.readInt16BE(pos + BATCH.attributes) | ATTR_TIMESTAMP_TYPE, pos + BATCH.attributes);
  batch.writeBigInt64BE(now, pos + BATCH.maxTimestamp);
  rewriteBatchCrc(batch, pos);
}

/**
 * Gives the batches at `positions` consecutive offsets from `baseOffset` and the leader's
 * epoch, rewriting in place only the two header fields outside the CRC. Returns the next
 * offset. Like Kafka's validator it insists that lastOffsetDelta + 1 equals the record count,
 * and checks every batch before writing any, so a rejected request leaves `buf` untouched.
 */
export function assignOffsets(buf: Buffer, positions: number[], baseOffset: bigint, leaderEpoch: number): bigint {
  for (const pos of positions) {
    checkBatchInBuffer(buf, pos);
    const lastOffsetDelta = buf.readInt32BE(pos + BATCH.lastOffsetDelta);
    const recordCount = buf.readInt32BE(pos + BATCH.recordCount);
    if (recordCount <= 0 || lastOffsetDelta + 1 !== recordCount) {
      throw new RecordsError(
        'invalid-record',
        `batch at ${pos}: lastOffsetDelta ${lastOffsetDelta} does not match record count ${recordCount}`,
      );
    }
  }
  let next = baseOffset;
  for (const pos of positions) {
    buf.writeBigInt64BE(next, pos + BATCH.baseOffset);
    buf.writeInt32BE(leaderEpoch, pos + BATCH.partitionLeaderEpoch);
    next += BigInt(buf.readInt32BE(pos + BATCH.lastOffsetDelta)) + 1n;
  }
  return next;
}
