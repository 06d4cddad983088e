import { crc32c } from '@node-rs/crc32';

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
 * batches holding a record with such a key. Grows while its segment is active (a map), is frozen
 * into sorted arrays when encoded, and answers lookups in both forms.
 */
export class SegmentKeyIndex {
  coverage: Coverage = { size: 0, lastPosition: -1, lastCrc: 0 };
  private table: Buffer;
  private batchCount = 0;
  private growing: Map<number, number[]> | undefined = new Map();
  private frozen: Buffer | undefined;
  private entryCount = 0;

  constructor(readonly baseOffset: bigint, initialBatches = 64) {
    this.table = Buffer.alloc(initialBatches * BATCH_ENTRY);
  }

  get batches(): number {
    return this.batchCount;
  }

  get entries(): number {
    return this.entryCount;
  }

  /** Rough memory held, for the cache budget. */
  get bytes(): number {
    return this.table.length + (this.frozen?.length ?? this.entryCount * 48);
  }

  /** Adds a data batch and the (distinct) hashes of its record keys. */
  add(batch: IndexedBatch, hashes: Iterable<number>): void {
    this.thaw();
    if ((this.batchCount + 1) * BATCH_ENTRY > this.table.length) {
      const bigger = Buffer.alloc(this.table.length * 2 + BATCH_ENTRY);
      this.table.copy(bigger);
      this.table = bigger;
    }
    const ordinal = this.batchCount++;
    writeBatch(this.table, ordinal * BATCH_ENTRY, batch);
    const map = this.growing!;
    for (const h of hashes) {
      const list = map.get(h);
      if (list) list.push(ordinal);
      else map.set(h, [ordinal]);
      this.entryCount++;
    }
  }

  /** The batches (in file order) whose records include a key with this hash. */
  lookup(hash: number): IndexedBatch[] {
    if (this.growing) return (this.growing.get(hash) ?? []).map((o) => this.batchAt(o));
    const f = this.frozen!;
    let lo = 0;
    let hi = this.entryCount;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (f.readUInt32BE(mid * HASH_ENTRY) < hash) lo = mid + 1;
      else hi = mid;
    }
    const out: IndexedBatch[] = [];
    for (let i = lo; i < this.entryCount && f.readUInt32BE(i * HASH_ENTRY) === hash; i++) out.push(this.batchAt(f.readUInt32BE(i * HASH_ENTRY + 4)));
    return out;
  }

  batchAt(ordinal: number): IndexedBatch {
    return readBatch(this.table, ordinal * BATCH_ENTRY);
  }

  /** Sorted entries: the map is dropped (lookups binary-search from now on). */
  freeze(): void {
    if (!this.growing) return;
    const f = Buffer.alloc(this.entryCount * HASH_ENTRY);
    const hashes = [...this.growing.keys()].sort((a, b) => a - b);
    let at = 0;
    for (const h of hashes) {
      for (const o of this.growing.get(h)!) {
        f.writeUInt32BE(h, at);
        f.writeUInt32BE(o, at + 4);
        at += HASH_ENTRY;
      }
    }
    this.frozen = f;
    this.growing = undefined;
  }

  private thaw(): void {
    if (this.growing) return;
    const map = new Map<number, number[]>();
    const f = this.frozen!;
    for (let i = 0; i < this.entryCount; i++) {
      const h = f.readUInt32BE(i * HASH_ENTRY);
      const o = f.readUInt32BE(i * HASH_ENTRY + 4);
      const list = map.get(h);
      if (list) list.push(o);
      else map.set(h, [o]);
    }
    this.growing = map;
    this.frozen = undefined;
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
    header.writeUInt32BE(this.entryCount, 36);
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
    idx.entryCount = entries;
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
