/**
 * The bytes a log appended last, kept in memory so that followers and tailing consumers, who
 * read exactly what was just written, are answered without reading it back from the file.
 *
 * A `SegmentTail` holds the newest written bytes of one active segment as contiguous chunks
 * (one per group-commit write), bounded by a per-partition byte limit and optionally by a
 * `TailCacheBudget` shared by every log of a broker; both evict the oldest chunks first. A read
 * is served only when its whole byte range is held, so answers are the file's bytes exactly.
 */

interface Chunk {
  position: number;
  data: Buffer;
  owner: SegmentTail;
  evicted: boolean;
}

/** A chunk referencing a small slice of a much larger buffer (a whole request) is copied. */
const COPY_IF_PARENT_OVER = 64 << 10;

/** A broker-wide byte budget over the tails of all its logs; evicts the oldest chunk anywhere. */
export class TailCacheBudget {
  private queue: Chunk[] = [];
  private head = 0;
  private live = 0;
  used = 0;

  constructor(readonly maxBytes: number) {}

  /** Chunk count and bytes held (metrics and tests). */
  stats(): { chunks: number; bytes: number } {
    return { chunks: this.live, bytes: this.used };
  }

  /** @internal A tail took a chunk: account it, then evict the oldest chunks over the budget. */
  charge(chunk: Chunk): void {
    this.queue.push(chunk);
    this.used += chunk.data.length;
    this.live++;
    while (this.used > this.maxBytes && this.head < this.queue.length) {
      const oldest = this.queue[this.head++]!;
      if (!oldest.evicted) oldest.owner.evictOldest();
    }
    this.compact();
  }

  /** @internal A tail dropped a chunk (eviction, truncation, roll). */
  release(chunk: Chunk): void {
    this.used -= chunk.data.length;
    this.live--;
  }

  private compact(): void {
    while (this.head < this.queue.length && this.queue[this.head]!.evicted) this.head++;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.queue.length - this.head > 2 * this.live + 1024) {
      this.queue = this.queue.slice(this.head).filter((c) => !c.evicted);
      this.head = 0;
    }
  }
}

/** The in-memory tail of one segment. */
export class SegmentTail {
  private chunks: Chunk[] = [];
  private head = 0;
  private bytes = 0;

  constructor(
    private readonly limit: number,
    private readonly budget?: TailCacheBudget,
  ) {}

  /** Bytes held. */
  get size(): number {
    return this.bytes;
  }

  /** Bytes written at `position` (just after the previous chunk); a gap restarts the tail. */
  add(position: number, data: Buffer): void {
    if (this.limit <= 0 || data.length === 0 || data.length > this.limit) {
      this.clear();
      return;
    }
    const last = this.chunks[this.chunks.length - 1];
    if (last && this.head < this.chunks.length && last.position + last.data.length !== position) this.clear();
    const own = data.buffer.byteLength > COPY_IF_PARENT_OVER && data.buffer.byteLength > 2 * data.length ? Buffer.from(data) : data;
    const chunk: Chunk = { position, data: own, owner: this, evicted: false };
    this.chunks.push(chunk);
    this.bytes += own.length;
    while (this.bytes > this.limit) this.evictOldest();
    this.budget?.charge(chunk);
  }

  /** The bytes [position, position + length) when all of them are held, else undefined. */
  read(position: number, length: number): Buffer | undefined {
    const chunks = this.chunks;
    if (this.head >= chunks.length || length <= 0) return undefined;
    const first = chunks[this.head]!;
    const lastChunk = chunks[chunks.length - 1]!;
    const end = position + length;
    if (position < first.position || end > lastChunk.position + lastChunk.data.length) return undefined;
    let lo = this.head;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (chunks[mid]!.position <= position) lo = mid;
      else hi = mid - 1;
    }
    const c = chunks[lo]!;
    const offset = position - c.position;
    if (end <= c.position + c.data.length) return c.data.subarray(offset, offset + length);
    const out = Buffer.allocUnsafe(length);
    let filled = c.data.copy(out, 0, offset);
    for (let i = lo + 1; filled < length; i++) {
      const next = chunks[i]!;
      filled += next.data.copy(out, filled, 0, Math.min(next.data.length, length - filled));
    }
    return out;
  }

  /** Drops the oldest chunk (over a limit). */
  evictOldest(): void {
    const c = this.chunks[this.head];
    if (!c) return;
    this.chunks[this.head++] = undefined as unknown as Chunk;
    this.drop(c);
    if (this.head > 64 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }

  /** Drops everything (truncation, roll, delete, close). */
  clear(): void {
    for (let i = this.head; i < this.chunks.length; i++) this.drop(this.chunks[i]!);
    this.chunks = [];
    this.head = 0;
  }

  private drop(c: Chunk): void {
    c.evicted = true;
    this.bytes -= c.data.length;
    this.budget?.release(c);
    c.data = EMPTY;
  }
}

const EMPTY = Buffer.alloc(0);
