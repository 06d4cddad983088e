import type { FileHandle } from 'node:fs/promises';
import { ATTR_DELETE_HORIZON, ATTR_TIMESTAMP_TYPE, BATCH, BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD, computeBatchCrc } from '@dms/kafka-codec';
import { readAt } from './file-io';
import { MARKER_PREFIX_BYTES, type ProducerBatchFields, producerFieldsAt } from './producer-state/batch-producer-fields';

/** What the log needs to know about a batch: header fields only, never its records. */
export interface BatchInfo {
  /** File position of the batch's first byte. */
  position: number;
  size: number;
  baseOffset: bigint;
  lastOffset: bigint;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  attributes: number;
  partitionLeaderEpoch: number;
  /** Producer fields of an idempotent or transactional batch, when the scan asked for them. */
  producer?: ProducerBatchFields;
}

const MIN_BATCH_LENGTH = BATCH_HEADER_SIZE - BATCH_LOG_OVERHEAD;

/** Reads the header of the batch starting at buf[at]; position is its place in the file. */
export function batchInfoAt(buf: Buffer, at: number, position: number): BatchInfo {
  const baseOffset = buf.readBigInt64BE(at + BATCH.baseOffset);
  return {
    position,
    size: buf.readInt32BE(at + BATCH.batchLength) + BATCH_LOG_OVERHEAD,
    baseOffset,
    lastOffset: baseOffset + BigInt(buf.readInt32BE(at + BATCH.lastOffsetDelta)),
    baseTimestamp: buf.readBigInt64BE(at + BATCH.baseTimestamp),
    maxTimestamp: buf.readBigInt64BE(at + BATCH.maxTimestamp),
    attributes: buf.readInt16BE(at + BATCH.attributes),
    partitionLeaderEpoch: buf.readInt32BE(at + BATCH.partitionLeaderEpoch),
  };
}

/** Why a scan stopped early; `at` is the file position of the offending batch. */
export interface ScanProblem {
  at: number;
  reason: 'truncated' | 'bad-length' | 'bad-magic' | 'bad-crc' | 'offset-regression';
}

export interface ScanOptions {
  /** Check CRC and offset monotonicity too (recovery of the active segment). */
  verify: boolean;
  /** Bytes read per positional read; a larger batch is read whole when verifying. */
  chunkSize: number;
  /** Offsets must not go below this (the segment's base offset during recovery). */
  minBaseOffset?: bigint;
  /** Read producer fields (and a control batch's marker) into `info.producer`. */
  producerFields?: boolean;
}

/**
 * Walks batch headers in [from, to) of a segment file with few large positional reads.
 * `onBatch` returning false stops the walk. Returns the end of the last sound batch seen
 * and, when the bytes stopped making sense before `to`, why.
 */
export async function scanBatches(
  fh: FileHandle,
  from: number,
  to: number,
  opts: ScanOptions,
  onBatch: (info: BatchInfo) => boolean | void,
): Promise<{ end: number; problem?: ScanProblem }> {
  let pos = from;
  let chunk: Buffer = Buffer.alloc(0);
  let chunkStart = from;
  let nextMin = opts.minBaseOffset ?? -1n;
  const covers = (start: number, len: number) => start >= chunkStart && start + len <= chunkStart + chunk.length;
  const load = async (start: number, len: number) => {
    chunk = await readAt(fh, start, Math.min(Math.max(len, opts.chunkSize), to - start));
    chunkStart = start;
  };

  while (pos < to) {
    if (to - pos < BATCH_HEADER_SIZE) return { end: pos, problem: { at: pos, reason: 'truncated' } };
    if (!covers(pos, BATCH_HEADER_SIZE)) await load(pos, BATCH_HEADER_SIZE);
    if (!covers(pos, BATCH_HEADER_SIZE)) return { end: pos, problem: { at: pos, reason: 'truncated' } };
    const at = pos - chunkStart;
    const length = chunk.readInt32BE(at + BATCH.batchLength);
    if (length < MIN_BATCH_LENGTH) return { end: pos, problem: { at: pos, reason: 'bad-length' } };
    const size = length + BATCH_LOG_OVERHEAD;
    if (pos + size > to) return { end: pos, problem: { at: pos, reason: 'truncated' } };
    if (chunk.readInt8(at + BATCH.magic) !== 2) return { end: pos, problem: { at: pos, reason: 'bad-magic' } };
    const info = batchInfoAt(chunk, at, pos);
    if (info.lastOffset < info.baseOffset) return { end: pos, problem: { at: pos, reason: 'bad-length' } };
    if (opts.verify) {
      if (info.baseOffset < nextMin) return { end: pos, problem: { at: pos, reason: 'offset-regression' } };
      if (!covers(pos, size)) await load(pos, size);
      const a = pos - chunkStart;
      if (computeBatchCrc(chunk, a, size) !== chunk.readUInt32BE(a + BATCH.crc)) {
        return { end: pos, problem: { at: pos, reason: 'bad-crc' } };
      }
      nextMin = info.lastOffset + 1n;
    }
    if (opts.producerFields && chunk.readBigInt64BE(pos - chunkStart + BATCH.producerId) >= 0n) {
      const need = Math.min(size, MARKER_PREFIX_BYTES);
      if (!covers(pos, need)) await load(pos, need);
      info.producer = producerFieldsAt(chunk, pos - chunkStart);
    }
    pos += size;
    if (onBatch(info) === false) break;
  }
  return { end: pos };
}

/**
 * Whether a batch's maxTimestamp can be trusted without looking at its records. Some clients
 * leave it at -1 (or below the first record's timestamp); LogAppendTime batches are stamped
 * by the log and always trustworthy.
 */
export function hasTrustedMaxTimestamp(info: Pick<BatchInfo, 'attributes' | 'baseTimestamp' | 'maxTimestamp'>): boolean {
  if ((info.attributes & ATTR_TIMESTAMP_TYPE) !== 0) return true;
  // A cleaned batch with a delete horizon (KIP-534) keeps the horizon where the base timestamp was.
  if ((info.attributes & ATTR_DELETE_HORIZON) !== 0) return info.maxTimestamp >= 0n;
  return info.maxTimestamp >= 0n && info.maxTimestamp >= info.baseTimestamp;
}
