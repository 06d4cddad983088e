import { growTypedArray } from './offset-index';

/**
 * Kafka's time index (`.timeindex`): 12-byte entries of (timestamp int64, offset relative to
 * the segment base int32). An entry (T, O) promises that no record at an offset <= O has a
 * timestamp above T, and that O is where the maximum T was first reached, so a lookup for
 * the last entry with T <= target gives a safe place to start scanning.
 */
export const TIME_INDEX_ENTRY_SIZE = 12;

export class TimeIndex {
  private ts = new BigInt64Array(16);
  private rel = new Int32Array(16);
  count = 0;
  persistedCount = 0;

  constructor(readonly baseOffset: bigint) {}

  /** Appends only when the timestamp grows, as Kafka does. */
  maybeAppend(timestamp: bigint, offset: bigint): boolean {
    if (this.count > 0 && timestamp <= this.ts[this.count - 1]!) return false;
    if (this.count === this.ts.length) {
      this.ts = growTypedArray(this.ts);
      this.rel = growTypedArray(this.rel);
    }
    this.ts[this.count] = timestamp;
    this.rel[this.count] = Number(offset - this.baseOffset);
    this.count++;
    return true;
  }

  last(): { timestamp: bigint; offset: bigint } | undefined {
    return this.count === 0 ? undefined : this.entry(this.count - 1);
  }

  entry(i: number): { timestamp: bigint; offset: bigint } {
    return { timestamp: this.ts[i]!, offset: this.baseOffset + BigInt(this.rel[i]!) };
  }

  /** Offset of the last entry whose timestamp <= target, or undefined (scan from the start). */
  lookup(target: bigint): bigint | undefined {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[mid]! <= target) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? undefined : this.baseOffset + BigInt(this.rel[found]!);
  }

  /** Drops entries that point at offsets >= endOffset (segment truncation). */
  truncateToOffset(endOffset: bigint): void {
    while (this.count > 0 && this.baseOffset + BigInt(this.rel[this.count - 1]!) >= endOffset) this.count--;
    if (this.persistedCount > this.count) this.persistedCount = this.count;
  }

  /** Entries whose offset is below endOffset: the ones whose batch is on disk. */
  countBelowOffset(endOffset: bigint): number {
    let n = this.count;
    while (n > this.persistedCount && this.baseOffset + BigInt(this.rel[n - 1]!) >= endOffset) n--;
    return n;
  }

  encode(from: number, to: number): Buffer {
    const buf = Buffer.allocUnsafe((to - from) * TIME_INDEX_ENTRY_SIZE);
    for (let i = from; i < to; i++) {
      const at = (i - from) * TIME_INDEX_ENTRY_SIZE;
      buf.writeBigInt64BE(this.ts[i]!, at);
      buf.writeInt32BE(this.rel[i]!, at + 8);
    }
    return buf;
  }

  /** Loads a file's entries, or undefined when they cannot be trusted. */
  static decode(baseOffset: bigint, buf: Buffer, nextOffset: bigint): TimeIndex | undefined {
    if (buf.length % TIME_INDEX_ENTRY_SIZE !== 0) return undefined;
    const idx = new TimeIndex(baseOffset);
    let lastRel = -1;
    for (let at = 0; at < buf.length; at += TIME_INDEX_ENTRY_SIZE) {
      const ts = buf.readBigInt64BE(at);
      const rel = buf.readInt32BE(at + 8);
      if (rel < lastRel || rel < 0 || baseOffset + BigInt(rel) >= nextOffset) return undefined;
      if (!idx.maybeAppend(ts, baseOffset + BigInt(rel))) return undefined;
      lastRel = rel;
    }
    idx.persistedCount = idx.count;
    return idx;
  }
}
