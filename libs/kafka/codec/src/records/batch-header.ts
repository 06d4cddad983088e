import { crc32c } from '@node-rs/crc32';

/**
 * Byte layout of a magic-2 record batch header. Everything that moves a batch without
 * decoding its records (gateway validation, the log, replication) reads these offsets and
 * nothing else: batches stay opaque bytes end to end.
 */
export const BATCH = {
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordCount: 57,
  records: 61,
} as const;

/** Size of the header, i.e. offset of the first record. */
export const BATCH_HEADER_SIZE = 61;
/** baseOffset + batchLength: the bytes in front of what batchLength counts. */
export const BATCH_LOG_OVERHEAD = 12;

// A real enum rather than `const enum`: isolatedModules builds (swc, esbuild) keep it
// importable across files, and it gives names for error messages.
export enum CompressionType {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

export const ATTR_COMPRESSION_MASK = 0x07;
export const ATTR_TIMESTAMP_TYPE = 0x08;
export const ATTR_TRANSACTIONAL = 0x10;
export const ATTR_CONTROL = 0x20;
/** KIP-534: baseTimestamp holds the time after which the cleaner may drop this batch's tombstones. */
export const ATTR_DELETE_HORIZON = 0x40;

export type TimestampType = 'create' | 'logAppend';

export function compressionOf(attributes: number): CompressionType {
  return attributes & ATTR_COMPRESSION_MASK;
}

export function timestampTypeOf(attributes: number): TimestampType {
  return attributes & ATTR_TIMESTAMP_TYPE ? 'logAppend' : 'create';
}

export function isTransactionalBatch(attributes: number): boolean {
  return (attributes & ATTR_TRANSACTIONAL) !== 0;
}

export function isControlBatch(attributes: number): boolean {
  return (attributes & ATTR_CONTROL) !== 0;
}

export interface BatchHeader {
  baseOffset: bigint;
  /** Total size of the batch in bytes, including baseOffset and batchLength. */
  sizeInBytes: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

export function readBatchHeader(buf: Buffer, pos = 0): BatchHeader {
  return {
    baseOffset: buf.readBigInt64BE(pos + BATCH.baseOffset),
    sizeInBytes: buf.readInt32BE(pos + BATCH.batchLength) + BATCH_LOG_OVERHEAD,
    partitionLeaderEpoch: buf.readInt32BE(pos + BATCH.partitionLeaderEpoch),
    magic: buf.readInt8(pos + BATCH.magic),
    crc: buf.readUInt32BE(pos + BATCH.crc),
    attributes: buf.readInt16BE(pos + BATCH.attributes),
    lastOffsetDelta: buf.readInt32BE(pos + BATCH.lastOffsetDelta),
    baseTimestamp: buf.readBigInt64BE(pos + BATCH.baseTimestamp),
    maxTimestamp: buf.readBigInt64BE(pos + BATCH.maxTimestamp),
    producerId: buf.readBigInt64BE(pos + BATCH.producerId),
    producerEpoch: buf.readInt16BE(pos + BATCH.producerEpoch),
    baseSequence: buf.readInt32BE(pos + BATCH.baseSequence),
    recordCount: buf.readInt32BE(pos + BATCH.recordCount),
  };
}

/**
 * The headers of the whole batches a fetched `records` field starts with, in order: a Fetch answer
 * may end inside a batch (its size limit cut it), and that partial batch is left out.
 */
export function wholeBatchHeaders(buf: Buffer): BatchHeader[] {
  const out: BatchHeader[] = [];
  for (let pos = 0; buf.length - pos >= BATCH.records;) {
    const size = buf.readInt32BE(pos + BATCH.batchLength) + BATCH_LOG_OVERHEAD;
    if (size < BATCH.records || pos + size > buf.length) break;
    out.push(readBatchHeader(buf, pos));
    pos += size;
  }
  return out;
}

/** CRC-32C over attributes..end, as stored in the header's crc field. */
export function computeBatchCrc(buf: Buffer, pos: number, sizeInBytes: number): number {
  return crc32c(buf.subarray(pos + BATCH.attributes, pos + sizeInBytes)) >>> 0;
}

export function batchCrcMatches(buf: Buffer, pos = 0): boolean {
  const size = buf.readInt32BE(pos + BATCH.batchLength) + BATCH_LOG_OVERHEAD;
  return computeBatchCrc(buf, pos, size) === buf.readUInt32BE(pos + BATCH.crc);
}

/** Rewrites the CRC after a change inside the covered range (LogAppendTime stamping). */
export function rewriteBatchCrc(buf: Buffer, pos = 0): void {
  const size = buf.readInt32BE(pos + BATCH.batchLength) + BATCH_LOG_OVERHEAD;
  buf.writeUInt32BE(computeBatchCrc(buf, pos, size), pos + BATCH.crc);
}

export type BatchProblem =
  | { kind: 'ok' }
  | { kind: 'truncated'; at: number }
  | { kind: 'bad-magic'; at: number; magic: number }
  | { kind: 'bad-length'; at: number; length: number }
  | { kind: 'bad-crc'; at: number };

/**
 * Walks a buffer of concatenated batches checking framing, magic and CRC without
 * decoding records. Returns the batch positions when every batch is sound.
 */
export function validateBatches(buf: Buffer, checkCrc = true): { problem: BatchProblem; positions: number[] } {
  const positions: number[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (buf.length - pos < BATCH_HEADER_SIZE) return { problem: { kind: 'truncated', at: pos }, positions };
    const length = buf.readInt32BE(pos + BATCH.batchLength);
    if (length < BATCH_HEADER_SIZE - BATCH_LOG_OVERHEAD) return { problem: { kind: 'bad-length', at: pos, length }, positions };
    const size = length + BATCH_LOG_OVERHEAD;
    if (pos + size > buf.length) return { problem: { kind: 'truncated', at: pos }, positions };
    const magic = buf.readInt8(pos + BATCH.magic);
    if (magic !== 2) return { problem: { kind: 'bad-magic', at: pos, magic }, positions };
    if (checkCrc && computeBatchCrc(buf, pos, size) !== buf.readUInt32BE(pos + BATCH.crc)) {
      return { problem: { kind: 'bad-crc', at: pos }, positions };
    }
    positions.push(pos);
    pos += size;
  }
  return { problem: { kind: 'ok' }, positions };
}
