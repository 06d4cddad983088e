/**
 * The bytes a log appended last, kept in memory so that followers and tailing consumers, who
 * read exactly what was just written, are answered without reading it back from the file.
 *
 * A `SegmentTail` copies the newest written bytes of one active segment into blocks of its own
 * (a few large buffers instead of one small one per append, so the cache neither pins request
 * buffers nor gives the garbage collector thousands of objects to promote), bounded by a
 * per-partition byte limit and optionally by a `TailCacheBudget` shared by every log of a
 * broker; both evict the oldest block first. A read is served only when its whole byte range is
 * held, so answers are the file's bytes exactly. Blocks are never reused: a read's answer may
 * still be on its way to a socket after its block was evicted.
 */

import type { ReadBufferPool } from './read-buffer-pool';

interface Block {
  /** File position of buf[0]. */
  position: number;
  buf: Buffer;
  /** Bytes of buf written so far. */
  used: number;
  owner: SegmentTail;
  evicted: boolean;
}

const MAX_BLOCK = 64 << 10;
const MIN_BLOCK = 256;

/** A broker-wide byte budget over the tails of all its logs; evicts the oldest block anywhere. */
export class TailCacheBudget {
  private queue: Block[] = [];
  private head = 0;
  private live = 0;
  used = 0;

  constructor(readonly maxBytes: number) {}

  /** Blocks and bytes (allocated) held (metrics and tests). */
  stats(): { blocks: number; bytes: number } {
    return { blocks: this.live, bytes: this.used };
  }

  /** @internal A tail allocated a block: account it, then evict the oldest blocks over the budget. */
  charge(block: Block): void {
    this.queue.push(block);
    this.used += block.buf.length;
    this.live++;
    while (this.used > this.maxBytes && this.head < this.queue.length) {
      const oldest = this.queue[this.head++]!;
      if (!oldest.evicted) oldest.owner.evictOldest();
    }
    this.compact();
  }

  /** @internal A tail dropped a block (eviction, truncation, roll). */
  release(block: Block): void {
    this.used -= block.buf.length;
    this.live--;
  }

  private compact(): void {
    while (this.head < this.queue.length && this.queue[this.head]!.evicted) this.head++;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.queue.length - this.head > 2 * this.live + 1024) {
      this.queue = this.queue.slice(this.head).filter((b) => !b.evicted);
      this.head = 0;
    }
  }
}

/** The in-memory tail of one segment. */
export class SegmentTail {
  private blocks: Block[] = [];
  private head = 0;
  private bytes = 0;
  private readonly blockSize: number;

  constructor(
    private readonly limit: number,
    private readonly budget?: TailCacheBudget,
  ) {
    this.blockSize = Math.max(MIN_BLOCK, Math.min(MAX_BLOCK, Math.floor(limit / 16)));
  }

  /** Bytes allocated for held data. */
  get size(): number {
    return this.bytes;
  }

  /** Bytes written at `position` (just after the previous ones); a gap restarts the tail. */
  add(position: number, data: Buffer): void {
    if (this.limit <= 0 || data.length === 0) return;
    if (data.length > this.limit) {
      this.clear();
      return;
    }
    const last = this.head < this.blocks.length ? this.blocks[this.blocks.length - 1]! : undefined;
    if (last && last.position + last.used !== position) this.clear();
    let current = this.head < this.blocks.length ? this.blocks[this.blocks.length - 1] : undefined;
    let from = 0;
    while (from < data.length) {
      if (!current || current.used === current.buf.length) {
        // A large write gets a block of its own size; small ones share fixed-size blocks.
        const size = Math.max(this.blockSize, Math.min(data.length - from, this.limit));
        current = this.allocate(position + from, size);
        // A broker-wide budget smaller than one block evicts it at once: keep nothing then.
        if (current.evicted) {
          this.clear();
          return;
        }
      }
      const n = data.copy(current.buf, current.used, from);
      current.used += n;
      from += n;
    }
  }

  /**
   * The bytes [position, position + length) when all of them are held, else undefined. A range
   * within one block is a view of it; one across blocks is copied into a new buffer, leased from
   * `pool` when given.
   */
  read(position: number, length: number, pool?: ReadBufferPool): Buffer | undefined {
    const blocks = this.blocks;
    if (this.head >= blocks.length || length <= 0) return undefined;
    const first = blocks[this.head]!;
    const lastBlock = blocks[blocks.length - 1]!;
    const end = position + length;
    if (position < first.position || end > lastBlock.position + lastBlock.used) return undefined;
    let lo = this.head;
    let hi = blocks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (blocks[mid]!.position <= position) lo = mid;
      else hi = mid - 1;
    }
    const b = blocks[lo]!;
    const offset = position - b.position;
    if (end <= b.position + b.used) return b.buf.subarray(offset, offset + length);
    const out = pool ? pool.acquire(length) : Buffer.allocUnsafe(length);
    let filled = b.buf.copy(out, 0, offset, b.used);
    for (let i = lo + 1; filled < length; i++) {
      const next = blocks[i]!;
      filled += next.buf.copy(out, filled, 0, Math.min(next.used, length - filled));
    }
    return out;
  }

  /** Drops the oldest block (over a limit). */
  evictOldest(): void {
    const b = this.blocks[this.head];
    if (!b) return;
    this.blocks[this.head++] = undefined as unknown as Block;
    this.drop(b);
    if (this.head > 16 && this.head * 2 > this.blocks.length) {
      this.blocks = this.blocks.slice(this.head);
      this.head = 0;
    }
  }

  /** Drops everything (truncation, roll, delete, close). */
  clear(): void {
    for (let i = this.head; i < this.blocks.length; i++) this.drop(this.blocks[i]!);
    this.blocks = [];
    this.head = 0;
  }

  private allocate(position: number, size: number): Block {
    const block: Block = { position, buf: Buffer.allocUnsafeSlow(size), used: 0, owner: this, evicted: false };
    this.blocks.push(block);
    this.bytes += size;
    // Never the new block itself: it is at most the limit, and the others go first.
    while (this.bytes > this.limit && this.blocks.length - this.head > 1) this.evictOldest();
    this.budget?.charge(block);
    return block;
  }

  private drop(b: Block): void {
    b.evicted = true;
    this.bytes -= b.buf.length;
    this.budget?.release(b);
    b.buf = EMPTY;
    b.used = 0;
  }
}

const EMPTY = Buffer.alloc(0);
