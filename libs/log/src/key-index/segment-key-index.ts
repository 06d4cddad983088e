import { crc32c } from '@node-rs/crc32';
import { BATCH } from '@dms/kafka-codec';
import { GrowingHashes } from './growing-hashes';

/** A batch named by a key index: where it is and what it spans. */
export interface IndexedBatch {
  position: number;
  size: number;
  baseOffset: bigint;
  lastOffset: bigint;
  /** The batch header's max timestamp (-1 when the producer left it unset). */
  maxTimestamp: bigint;
}

/** How far an index has read its segment: the bytes covered and the last batch seen there. */
export interface Coverage {
  size: number;
  /** File position and CRC field of the last batch below `size` (any batch, control ones too). */
  lastPosition: number;
  lastCrc: number;
}

/**
 * File format, version 1 (`<baseOffset>.keyidx`, big-endian):
 *   header (48 bytes): magic "DKIX", version u16, reserved u16, segment base offset i64,
 *     covered size i64, last batch position i32 (-1: none), last batch CRC u32, batch count u32,
 *     entry count u32, body CRC-32C u32, header CRC-32C u32 (of bytes 0..44);
 *   body: batch table (28 bytes each: position u32, size u32, base offset i64,
 *     last offset delta u32, max timestamp i64), then entries sorted by (hash, batch)
 *     (8 bytes each: key hash u32, batch ordinal u32).
 */
export const KEY_INDEX_MAGIC = 0x444b4958;
export const KEY_INDEX_VERSION = 1;
export const KEY_INDEX_HEADER_SIZE = 48;
const BATCH_ENTRY = 28;
const HASH_ENTRY = 8;

/**
 * The key index of one segment: every data batch of the covered bytes, and for each key hash the
 * batches holding a record with such a key. Grows while its segment is active (a hash table in
 * typed arrays: no object per key or per batch, so trailing a busy segment gives the garbage
 * collector nothing to trace), is frozen into sorted arrays when encoded, and answers lookups in
 * both forms.
 */
export class SegmentKeyIndex {
  coverage: Coverage = { size: 0, lastPosition: -1, lastCrc: 0 };
  private table: Buffer;
  private batchCount = 0;
  private growing: GrowingHashes | undefined = new GrowingHashes();
  private frozen: Buffer | undefined;

  constructor(readonly baseOffset: bigint, initialBatches = 64) {
    this.table = Buffer.alloc(initialBatches * BATCH_ENTRY);
  }

  get batches(): number {
    return this.batchCount;
  }

  get entries(): number {
    return this.growing ? this.growing.postings : this.frozen!.length / HASH_ENTRY;
  }

  /** Rough memory held, for the cache budget. */
  get bytes(): number {
    return this.table.length + (this.frozen?.length ?? this.growing!.bytes);
  }

  /** Adds a data batch and the (distinct) hashes of its record keys. */
  add(batch: IndexedBatch, hashes: Iterable<number>): void {
    const at = this.nextBatchEntry();
    writeBatch(this.table, at, batch);
    for (const h of hashes) this.addHash(h);
  }

  /**
   * Adds the data batch at `buf[at..at+size)` (file position `position`), its entry copied from
   * the batch header's bytes; its key hashes follow with `addHash`.
   */
  addBatchFrom(buf: Buffer, at: number, size: number, position: number): void {
    const e = this.nextBatchEntry();
    const t = this.table;
    t.writeUInt32BE(position, e);
    t.writeUInt32BE(size, e + 4);
    // Byte loops: Buffer#copy of a sub-range allocates a view per call.
    for (let i = 0; i < 8; i++) t[e + 8 + i] = buf[at + BATCH.baseOffset + i]!;
    for (let i = 0; i < 4; i++) t[e + 16 + i] = buf[at + BATCH.lastOffsetDelta + i]!;
    for (let i = 0; i < 8; i++) t[e + 20 + i] = buf[at + BATCH.maxTimestamp + i]!;
  }

  /** Files the last batch added under `hash` (a hash repeated within the batch is filed once). */
  addHash(hash: number): void {
    this.growing!.add(hash >>> 0, this.batchCount - 1);
  }

  /** The batches (in file order) whose records include a key with this hash. */
  lookup(hash: number): IndexedBatch[] {
    const out: IndexedBatch[] = [];
    if (this.growing) {
      this.growing.forEach(hash >>> 0, (o) => out.push(this.batchAt(o)));
      return out;
    }
    const f = this.frozen!;
    const n = f.length / HASH_ENTRY;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (f.readUInt32BE(mid * HASH_ENTRY) < hash) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < n && f.readUInt32BE(i * HASH_ENTRY) === hash; i++) out.push(this.batchAt(f.readUInt32BE(i * HASH_ENTRY + 4)));
    return out;
  }

  batchAt(ordinal: number): IndexedBatch {
    return readBatch(this.table, ordinal * BATCH_ENTRY);
  }

  /** Sorted entries: the hash table is dropped (lookups binary-search from now on). */
  freeze(): void {
    if (!this.growing) return;
    this.frozen = this.growing.sorted();
    this.growing = undefined;
  }

  private thaw(): void {
    if (this.growing) return;
    const g = new GrowingHashes();
    const f = this.frozen!;
    for (let i = 0; i < f.length; i += HASH_ENTRY) g.add(f.readUInt32BE(i), f.readUInt32BE(i + 4));
    this.growing = g;
    this.frozen = undefined;
  }

  /** Room for one more batch entry; returns its byte offset in the table. */
  private nextBatchEntry(): number {
    this.thaw();
    if ((this.batchCount + 1) * BATCH_ENTRY > this.table.length) {
      const bigger = Buffer.alloc(this.table.length * 2 + BATCH_ENTRY);
      this.table.copy(bigger);
      this.table = bigger;
    }
    return this.batchCount++ * BATCH_ENTRY;
  }

  encode(): Buffer {
    this.freeze();
    const body = Buffer.concat([this.table.subarray(0, this.batchCount * BATCH_ENTRY), this.frozen!]);
    const header = Buffer.alloc(KEY_INDEX_HEADER_SIZE);
    header.writeUInt32BE(KEY_INDEX_MAGIC, 0);
    header.writeUInt16BE(KEY_INDEX_VERSION, 4);
    header.writeBigInt64BE(this.baseOffset, 8);
    header.writeBigInt64BE(BigInt(this.coverage.size), 16);
    header.writeInt32BE(this.coverage.lastPosition, 24);
    header.writeUInt32BE(this.coverage.lastCrc >>> 0, 28);
    header.writeUInt32BE(this.batchCount, 32);
    header.writeUInt32BE(this.entries, 36);
    header.writeUInt32BE(crc32c(body) >>> 0, 40);
    header.writeUInt32BE(crc32c(header.subarray(0, 44)) >>> 0, 44);
    return Buffer.concat([header, body]);
  }

  /** The index in `buf`, or a reason it cannot be used (then it is rebuilt from the segment). */
  static decode(buf: Buffer, baseOffset: bigint): SegmentKeyIndex | string {
    if (buf.length < KEY_INDEX_HEADER_SIZE) return 'truncated header';
    if (buf.readUInt32BE(0) !== KEY_INDEX_MAGIC) return 'bad magic';
    if (buf.readUInt16BE(4) !== KEY_INDEX_VERSION) return `unknown version ${buf.readUInt16BE(4)}`;
    if ((crc32c(buf.subarray(0, 44)) >>> 0) !== buf.readUInt32BE(44)) return 'header checksum mismatch';
    if (buf.readBigInt64BE(8) !== baseOffset) return 'belongs to another segment';
    const batches = buf.readUInt32BE(32);
    const entries = buf.readUInt32BE(36);
    const bodyLength = batches * BATCH_ENTRY + entries * HASH_ENTRY;
    if (buf.length !== KEY_INDEX_HEADER_SIZE + bodyLength) return 'size does not match the header';
    const body = buf.subarray(KEY_INDEX_HEADER_SIZE);
    if ((crc32c(body) >>> 0) !== buf.readUInt32BE(40)) return 'body checksum mismatch';
    const idx = new SegmentKeyIndex(baseOffset, 0);
    idx.coverage = { size: Number(buf.readBigInt64BE(16)), lastPosition: buf.readInt32BE(24), lastCrc: buf.readUInt32BE(28) };
    idx.table = Buffer.from(body.subarray(0, batches * BATCH_ENTRY));
    idx.batchCount = batches;
    idx.frozen = Buffer.from(body.subarray(batches * BATCH_ENTRY));
    idx.growing = undefined;
    return idx;
  }
}

function writeBatch(buf: Buffer, at: number, b: IndexedBatch): void {
  buf.writeUInt32BE(b.position, at);
  buf.writeUInt32BE(b.size, at + 4);
  buf.writeBigInt64BE(b.baseOffset, at + 8);
  buf.writeUInt32BE(Number(b.lastOffset - b.baseOffset), at + 16);
  buf.writeBigInt64BE(b.maxTimestamp, at + 20);
}

function readBatch(buf: Buffer, at: number): IndexedBatch {
  const baseOffset = buf.readBigInt64BE(at + 8);
  return {
    position: buf.readUInt32BE(at),
    size: buf.readUInt32BE(at + 4),
    baseOffset,
    lastOffset: baseOffset + BigInt(buf.readUInt32BE(at + 16)),
    maxTimestamp: buf.readBigInt64BE(at + 20),
  };
}
