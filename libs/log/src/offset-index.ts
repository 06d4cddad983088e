/**
 * Kafka's sparse offset index (`.index`): 8-byte entries of (offset relative to the segment's
 * base offset, file position of the batch), both int32 big-endian. Each entry names a batch's
 * last offset and the position where that batch starts, so a lookup gives a position from
 * which a short forward scan of batch headers reaches any offset.
 *
 * Entries live in memory for lookups; `persistedCount` tracks how many reached the file.
 */
export const OFFSET_INDEX_ENTRY_SIZE = 8;
const INT32_MAX = 0x7fffffff;

export class OffsetIndex {
  private rel = new Int32Array(64);
  private pos = new Int32Array(64);
  count = 0;
  persistedCount = 0;

  constructor(readonly baseOffset: bigint) {}

  append(offset: bigint, position: number): void {
    if (this.count === this.rel.length) {
      this.rel = grow(this.rel);
      this.pos = grow(this.pos);
    }
    this.rel[this.count] = Number(offset - this.baseOffset);
    this.pos[this.count] = position;
    this.count++;
  }

  /** Start position of the last indexed batch whose last offset is <= offset; 0 if none. */
  lookup(offset: bigint): number {
    const i = this.floor(offset);
    return i < 0 ? 0 : this.pos[i]!;
  }

  /** Drops entries for batches at or after a file position (segment truncation). */
  truncateToPosition(position: number): void {
    while (this.count > 0 && this.pos[this.count - 1]! >= position) this.count--;
    if (this.persistedCount > this.count) this.persistedCount = this.count;
  }

  entry(i: number): { offset: bigint; position: number } {
    return { offset: this.baseOffset + BigInt(this.rel[i]!), position: this.pos[i]! };
  }

  /** Encoded bytes of entries [from, to) for writing at from * entry size. */
  encode(from: number, to: number): Buffer {
    const buf = Buffer.allocUnsafe((to - from) * OFFSET_INDEX_ENTRY_SIZE);
    for (let i = from; i < to; i++) {
      const at = (i - from) * OFFSET_INDEX_ENTRY_SIZE;
      buf.writeInt32BE(this.rel[i]!, at);
      buf.writeInt32BE(this.pos[i]!, at + 4);
    }
    return buf;
  }

  /** Entries with position < limit: the ones whose batch is on disk. */
  countBelowPosition(limit: number): number {
    let n = this.count;
    while (n > this.persistedCount && this.pos[n - 1]! >= limit) n--;
    return n;
  }

  /**
   * Loads a file's entries, or returns undefined when they cannot be trusted (torn entry,
   * entries not strictly increasing, positions beyond the log) so the caller rebuilds.
   */
  static decode(baseOffset: bigint, buf: Buffer, logSize: number): OffsetIndex | undefined {
    if (buf.length % OFFSET_INDEX_ENTRY_SIZE !== 0) return undefined;
    const idx = new OffsetIndex(baseOffset);
    let lastRel = -1;
    let lastPos = -1;
    for (let at = 0; at < buf.length; at += OFFSET_INDEX_ENTRY_SIZE) {
      const rel = buf.readInt32BE(at);
      const pos = buf.readInt32BE(at + 4);
      if (rel <= lastRel || pos <= lastPos || pos < 0 || pos >= logSize) return undefined;
      idx.append(baseOffset + BigInt(rel), pos);
      lastRel = rel;
      lastPos = pos;
    }
    idx.persistedCount = idx.count;
    return idx;
  }

  private floor(offset: bigint): number {
    const d = offset - this.baseOffset;
    if (d < 0n) return -1;
    const target = d > BigInt(INT32_MAX) ? INT32_MAX : Number(d);
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.rel[mid]! <= target) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }
}

function grow<T extends Int32Array | BigInt64Array>(a: T): T {
  const b = new (a.constructor as new (n: number) => T)(a.length * 2);
  b.set(a as never);
  return b;
}

export { grow as growTypedArray };
