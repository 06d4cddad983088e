import { ATTR_CONTROL, ATTR_TRANSACTIONAL, BATCH, BATCH_HEADER_SIZE } from '@dms/kafka-codec';

/** Kafka's RecordBatch.NO_PRODUCER_ID / NO_PRODUCER_EPOCH / NO_SEQUENCE. */
export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;

/** An end-transaction marker: the one record of a control batch. */
export interface TxnMarkerFields {
  committed: boolean;
  coordinatorEpoch: number;
}

/** What producer state needs from a batch: header fields only (and a control batch's one record). */
export interface ProducerBatchFields {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  /** Sequence of the batch's last record (Kafka wraps it at Int32.MAX). */
  lastSequence: number;
  baseOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
  transactional: boolean;
  /** Set for control batches whose record is a COMMIT/ABORT marker we understand. */
  marker?: TxnMarkerFields;
  control: boolean;
}

/** Bytes of a control batch that hold its first record's marker (record header + key + value). */
export const MARKER_PREFIX_BYTES = BATCH_HEADER_SIZE + 40;

/**
 * Producer fields of the batch at buf[at] (whose header the caller checked). Returns undefined
 * for batches without a producer id: plain producers pay one 64-bit read.
 * For a control batch, `buf` must hold its first record (MARKER_PREFIX_BYTES or the whole batch).
 */
export function producerFieldsAt(buf: Buffer, at: number): ProducerBatchFields | undefined {
  // The sign is in the high word: plain batches (producer id -1) cost no BigInt.
  if (buf.readInt32BE(at + BATCH.producerId) < 0) return undefined;
  const producerId = buf.readBigInt64BE(at + BATCH.producerId);
  const attributes = buf.readInt16BE(at + BATCH.attributes);
  const baseOffset = buf.readBigInt64BE(at + BATCH.baseOffset);
  const delta = buf.readInt32BE(at + BATCH.lastOffsetDelta);
  const baseSequence = buf.readInt32BE(at + BATCH.baseSequence);
  const control = (attributes & ATTR_CONTROL) !== 0;
  return {
    producerId,
    producerEpoch: buf.readInt16BE(at + BATCH.producerEpoch),
    baseSequence,
    lastSequence: baseSequence < 0 ? NO_SEQUENCE : incrementSequence(baseSequence, delta),
    baseOffset,
    lastOffset: baseOffset + BigInt(delta),
    maxTimestamp: buf.readBigInt64BE(at + BATCH.maxTimestamp),
    transactional: (attributes & ATTR_TRANSACTIONAL) !== 0,
    control,
    marker: control ? readMarker(buf, at + BATCH_HEADER_SIZE) : undefined,
  };
}

/** Kafka's DefaultRecordBatch.incrementSequence: sequences wrap from Int32.MAX to 0. */
export function incrementSequence(sequence: number, increment: number): number {
  const sum = sequence + increment;
  return sum > 0x7fffffff ? sum - 0x80000000 : sum;
}

/**
 * The marker of a control record at buf[pos]: length, attributes, timestamp delta, offset delta,
 * key (int16 version, int16 type: 0 ABORT, 1 COMMIT), value (int16 version, int32 coordinator epoch).
 */
function readMarker(buf: Buffer, pos: number): TxnMarkerFields | undefined {
  try {
    const r = { pos };
    readVarint(buf, r); // record length
    r.pos += 1; // attributes
    readVarint(buf, r); // timestamp delta
    readVarint(buf, r); // offset delta
    const keyLength = readVarint(buf, r);
    if (keyLength < 4 || r.pos + keyLength > buf.length) return undefined;
    const type = buf.readInt16BE(r.pos + 2);
    r.pos += keyLength;
    const valueLength = readVarint(buf, r);
    if (type !== 0 && type !== 1) return undefined;
    const coordinatorEpoch = valueLength >= 6 && r.pos + 6 <= buf.length ? buf.readInt32BE(r.pos + 2) : -1;
    return { committed: type === 1, coordinatorEpoch };
  } catch {
    return undefined;
  }
}

/** A zig-zag varint (at most 5 bytes); throws past the buffer. */
function readVarint(buf: Buffer, r: { pos: number }): number {
  let value = 0;
  let shift = 0;
  for (let i = 0; i < 5; i++) {
    if (r.pos >= buf.length) throw new RangeError('varint past the buffer');
    const b = buf[r.pos++]!;
    value |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return (value >>> 1) ^ -(value & 1);
    shift += 7;
  }
  throw new RangeError('varint too long');
}
