import {
  ATTR_DELETE_HORIZON,
  BATCH,
  BATCH_HEADER_SIZE,
  BATCH_LOG_OVERHEAD,
  CompressionType,
  rewriteBatchCrc,
} from './batch-header';
import { compress, DEFAULT_MAX_DECOMPRESSED_BYTES } from './compression';
import { type DecodedBatchHeader, readCheckedHeader, recordsCursor } from './record-batch';
import { RecordsError } from './records-error';
import { Cursor, sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from './varint';

/**
 * One record of a batch as the log cleaner sees it: its key and value (views, never copies) and
 * everything else kept as bytes, so a record that survives compaction is written back unchanged
 * except for its timestamp delta when the batch's base timestamp moves.
 */
export interface RawRecord {
  offset: bigint;
  offsetDelta: number;
  /** As stored: relative to the batch's base timestamp. */
  timestampDelta: bigint;
  /** The record's time as consumers see it (the batch's for LogAppendTime). */
  timestamp: bigint;
  attributes: number;
  key: Buffer | null;
  value: Buffer | null;
  /** Header count and headers, exactly as stored. */
  headerBytes: Buffer;
}

export interface RawRecordBatch {
  header: DecodedBatchHeader;
  records: RawRecord[];
}

/** The records of the batch at the start of `batch`, decompressed when needed (CRC not checked). */
export async function readRawRecords(batch: Buffer, maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): Promise<RawRecordBatch> {
  const header = readCheckedHeader(batch, 0);
  const { cursor: c } = await recordsCursor(batch, header, maxDecompressedBytes);
  const logAppend = header.timestampType === 'logAppend';
  const records: RawRecord[] = new Array(header.recordCount);
  for (let i = 0; i < header.recordCount; i++) {
    const len = c.readVarint();
    if (len < 6 || len > c.remaining) throw new RecordsError('corrupt', `record length ${len} is invalid`);
    const end = c.pos + len;
    const outerEnd = c.end;
    c.end = end;
    const attributes = c.readInt8();
    const timestampDelta = c.readVarlong();
    const offsetDelta = c.readVarint();
    const key = readNullableBytes(c);
    const value = readNullableBytes(c);
    const headerBytes = c.buf.subarray(c.pos, end);
    c.pos = end;
    c.end = outerEnd;
    records[i] = {
      offset: header.baseOffset + BigInt(offsetDelta),
      offsetDelta,
      timestampDelta,
      timestamp: logAppend ? header.maxTimestamp : header.baseTimestamp + timestampDelta,
      attributes,
      key,
      value,
      headerBytes,
    };
  }
  if (c.remaining !== 0) throw new RecordsError('corrupt', `${c.remaining} bytes follow the ${header.recordCount} declared records`);
  return { header, records };
}

function readNullableBytes(c: { readVarint(): number; take(n: number): number; buf: Buffer }): Buffer | null {
  const len = c.readVarint();
  if (len === -1) return null;
  if (len < -1) throw new RecordsError('corrupt', `negative length ${len}`);
  const start = c.take(len);
  return c.buf.subarray(start, start + len);
}

export interface RetainedBatchOptions {
  /**
   * KIP-534: stamp this delete horizon (the batch's base timestamp becomes it and the
   * delete-horizon attribute is set). Kept from the original batch when it already had one.
   */
  deleteHorizonMs?: bigint;
}

/**
 * Rebuilds a batch with only `retained` (a non-empty subset of its records, in order), as Kafka's
 * cleaner does: same base offset, last offset delta, producer fields, leader epoch, attributes and
 * compression codec; record offsets unchanged; max timestamp recomputed from what remains.
 */
export async function buildRetainedBatch(
  header: DecodedBatchHeader,
  retained: readonly RawRecord[],
  opts: RetainedBatchOptions = {},
): Promise<Buffer> {
  if (retained.length === 0) throw new RecordsError('invalid-record', 'a retained batch needs at least one record');
  const logAppend = header.timestampType === 'logAppend';
  const hadHorizon = (header.attributes & ATTR_DELETE_HORIZON) !== 0;
  const horizon = opts.deleteHorizonMs ?? (hadHorizon ? header.baseTimestamp : undefined);
  let maxTimestamp = logAppend ? header.maxTimestamp : retained[0]!.timestamp;
  if (!logAppend) for (const r of retained) if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp;
  // Record timestamps are deltas from the base timestamp: the horizon when there is one, else the
  // first remaining record's own time (as Kafka's builder does).
  const ownTime = (r: RawRecord) => header.baseTimestamp + r.timestampDelta;
  const baseTimestamp = horizon ?? ownTime(retained[0]!);

  const bodies: { size: number; delta: bigint; r: RawRecord }[] = [];
  let recordsSize = 0;
  for (const r of retained) {
    const delta = ownTime(r) - baseTimestamp;
    const size =
      1 + sizeOfVarlong(delta) + sizeOfVarint(r.offsetDelta) + sizeOfBytes(r.key) + sizeOfBytes(r.value) + r.headerBytes.length;
    bodies.push({ size, delta, r });
    recordsSize += sizeOfVarint(size) + size;
  }
  const compression = header.compression;
  const uncompressed = compression === CompressionType.None;
  const plain = Buffer.allocUnsafe((uncompressed ? BATCH_HEADER_SIZE : 0) + recordsSize);
  let pos = uncompressed ? BATCH_HEADER_SIZE : 0;
  for (const { size, delta, r } of bodies) {
    pos = writeVarint(plain, pos, size);
    plain[pos++] = r.attributes & 0xff;
    pos = writeVarlong(plain, pos, delta);
    pos = writeVarint(plain, pos, r.offsetDelta);
    pos = writeBytes(plain, pos, r.key);
    pos = writeBytes(plain, pos, r.value);
    pos += r.headerBytes.copy(plain, pos);
  }
  let batch: Buffer;
  if (uncompressed) batch = plain;
  else {
    const compressed = await compress(compression, plain);
    batch = Buffer.allocUnsafe(BATCH_HEADER_SIZE + compressed.length);
    compressed.copy(batch, BATCH_HEADER_SIZE);
  }
  const attributes = horizon === undefined ? header.attributes & ~ATTR_DELETE_HORIZON : header.attributes | ATTR_DELETE_HORIZON;
  batch.writeBigInt64BE(header.baseOffset, BATCH.baseOffset);
  batch.writeInt32BE(batch.length - BATCH_LOG_OVERHEAD, BATCH.batchLength);
  batch.writeInt32BE(header.partitionLeaderEpoch, BATCH.partitionLeaderEpoch);
  batch.writeInt8(2, BATCH.magic);
  batch.writeInt16BE(attributes, BATCH.attributes);
  batch.writeInt32BE(header.lastOffsetDelta, BATCH.lastOffsetDelta);
  batch.writeBigInt64BE(baseTimestamp, BATCH.baseTimestamp);
  batch.writeBigInt64BE(maxTimestamp, BATCH.maxTimestamp);
  batch.writeBigInt64BE(header.producerId, BATCH.producerId);
  batch.writeInt16BE(header.producerEpoch, BATCH.producerEpoch);
  batch.writeInt32BE(header.baseSequence, BATCH.baseSequence);
  batch.writeInt32BE(retained.length, BATCH.recordCount);
  rewriteBatchCrc(batch, 0);
  return batch;
}

/** The delete horizon a batch carries (KIP-534), if any. */
export function deleteHorizonOf(header: { attributes: number; baseTimestamp: bigint }): bigint | undefined {
  return (header.attributes & ATTR_DELETE_HORIZON) !== 0 ? header.baseTimestamp : undefined;
}

function sizeOfBytes(b: Buffer | null): number {
  return b === null ? 1 : sizeOfVarint(b.length) + b.length;
}

function writeBytes(out: Buffer, pos: number, b: Buffer | null): number {
  if (b === null) return writeVarint(out, pos, -1);
  pos = writeVarint(out, pos, b.length);
  return pos + b.copy(out, pos);
}

/** A batch's records region, decompressed when needed: what `scanRecordSpans` walks. */
export interface RecordsView {
  header: DecodedBatchHeader;
  /** Holds the records from `start` to `end` (the batch itself when uncompressed). */
  plain: Buffer;
  start: number;
  end: number;
}

export async function openRecords(batch: Buffer, maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): Promise<RecordsView> {
  const header = readCheckedHeader(batch, 0);
  const { cursor } = await recordsCursor(batch, header, maxDecompressedBytes);
  return { header, plain: cursor.buf, start: cursor.pos, end: cursor.end };
}

/**
 * Walks the records of a view without building objects (the cleaner's hot path): for each, its
 * byte range [recordStart, recordEnd) including the length prefix, its offset delta, where its key
 * lies (keyLength -1 for a null key) and whether its value is null.
 */
export function scanRecordSpans(
  view: RecordsView,
  visit: (recordStart: number, recordEnd: number, offsetDelta: number, keyStart: number, keyLength: number, valueIsNull: boolean) => void,
): void {
  const c = new Cursor(view.plain, view.start, view.end);
  for (let i = 0; i < view.header.recordCount; i++) {
    const recordStart = c.pos;
    const len = c.readVarint();
    if (len < 6 || len > c.remaining) throw new RecordsError('corrupt', `record length ${len} is invalid`);
    const recordEnd = c.pos + len;
    const outerEnd = c.end;
    c.end = recordEnd;
    c.readInt8();
    skipVarlong(c);
    const offsetDelta = c.readVarint();
    const keyLength = c.readVarint();
    if (keyLength < -1) throw new RecordsError('corrupt', `negative key length ${keyLength}`);
    const keyStart = keyLength >= 0 ? c.take(keyLength) : c.pos;
    const valueLength = c.readVarint();
    if (valueLength < -1) throw new RecordsError('corrupt', `negative value length ${valueLength}`);
    c.pos = recordEnd;
    c.end = outerEnd;
    visit(recordStart, recordEnd, offsetDelta, keyStart, keyLength, valueLength === -1);
  }
  if (c.pos !== view.end) throw new RecordsError('corrupt', `${view.end - c.pos} bytes follow the ${view.header.recordCount} declared records`);
}

/**
 * Rebuilds a batch from some of its records copied byte for byte (`spans` holds [start, end)
 * pairs of `view.plain`, in order): the header is the original one with the record count, the
 * max timestamp (recomputed from what remains) and the CRC updated, the payload recompressed
 * with the batch's codec. Offsets and the base timestamp stay, so record bytes need no change.
 */
export async function buildBatchFromSpans(view: RecordsView, spans: readonly number[]): Promise<Buffer> {
  const { header } = view;
  if (spans.length === 0) throw new RecordsError('invalid-record', 'a retained batch needs at least one record');
  let size = 0;
  for (let i = 0; i < spans.length; i += 2) size += spans[i + 1]! - spans[i]!;
  const uncompressed = header.compression === CompressionType.None;
  const plain = Buffer.allocUnsafe((uncompressed ? BATCH_HEADER_SIZE : 0) + size);
  let pos = uncompressed ? BATCH_HEADER_SIZE : 0;
  let maxTimestamp = -1n;
  const c = new Cursor(view.plain, 0, view.end);
  for (let i = 0; i < spans.length; i += 2) {
    const [s, e] = [spans[i]!, spans[i + 1]!];
    pos += view.plain.copy(plain, pos, s, e);
    c.pos = s;
    c.end = e;
    c.readVarint();
    c.readInt8();
    const ts = header.baseTimestamp + c.readVarlong();
    if (ts > maxTimestamp) maxTimestamp = ts;
  }
  if (header.timestampType === 'logAppend') maxTimestamp = header.maxTimestamp;
  let batch: Buffer;
  if (uncompressed) batch = plain;
  else {
    const compressed = await compress(header.compression, plain);
    batch = Buffer.allocUnsafe(BATCH_HEADER_SIZE + compressed.length);
    compressed.copy(batch, BATCH_HEADER_SIZE);
  }
  batch.writeBigInt64BE(header.baseOffset, BATCH.baseOffset);
  batch.writeInt32BE(batch.length - BATCH_LOG_OVERHEAD, BATCH.batchLength);
  batch.writeInt32BE(header.partitionLeaderEpoch, BATCH.partitionLeaderEpoch);
  batch.writeInt8(2, BATCH.magic);
  batch.writeInt16BE(header.attributes, BATCH.attributes);
  batch.writeInt32BE(header.lastOffsetDelta, BATCH.lastOffsetDelta);
  batch.writeBigInt64BE(header.baseTimestamp, BATCH.baseTimestamp);
  batch.writeBigInt64BE(maxTimestamp, BATCH.maxTimestamp);
  batch.writeBigInt64BE(header.producerId, BATCH.producerId);
  batch.writeInt16BE(header.producerEpoch, BATCH.producerEpoch);
  batch.writeInt32BE(header.baseSequence, BATCH.baseSequence);
  batch.writeInt32BE(spans.length / 2, BATCH.recordCount);
  rewriteBatchCrc(batch, 0);
  return batch;
}

/** Skips a varlong without building a bigint. */
function skipVarlong(c: Cursor): void {
  for (let n = 0; n < 10; n++) {
    if (c.pos >= c.end) throw new RecordsError('truncated', 'record data ends early');
    if ((c.buf[c.pos++]! & 0x80) === 0) return;
  }
  throw new RecordsError('corrupt', 'varlong longer than 10 bytes');
}
