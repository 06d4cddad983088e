/**
 * The bytes a log appended last, kept in memory so that followers and tailing consumers, who
 * read exactly what was just written, are answered without reading it back from the file.
 *
 * A `SegmentTail` copies the newest written bytes of one active segment into fixed-size blocks
 * (a few large buffers instead of one small one per append, so the cache neither pins request
 * buffers nor gives the garbage collector thousands of objects to promote), bounded by a
 * per-partition byte limit and optionally by a `TailCacheBudget` shared by every log of a
 * broker; both evict the oldest block first. A read is served only when its whole byte range is
 * held, so answers are the file's bytes exactly.
 *
 * Evicted blocks are reused (`BlockShelf`): a block allocated per append lives long enough to be
 * promoted to V8's old generation, and a broker that wrote tens of MB/s into fresh blocks ran a
 * full garbage collection several times a second for the external memory alone. Because blocks
 * are reused, a read always answers with a copy, never a view of a block.
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

/**
 * Free blocks by size, handed out again before anything is allocated. Holds at most
 * `maxFreeBytes`; a block dropped beyond that is left to the garbage collector.
 */
export class BlockShelf {
  private readonly free = new Map<number, Buffer[]>();
  private freeBytes = 0;
  /** Blocks allocated (not reused) so far (tests and metrics). */
  allocated = 0;

  constructor(private readonly maxFreeBytes: number) {}

  take(size: number): Buffer {
    const buf = this.free.get(size)?.pop();
    if (buf) {
      this.freeBytes -= size;
      return buf;
    }
    this.allocated++;
    return Buffer.allocUnsafeSlow(size);
  }

  put(buf: Buffer): void {
    if (buf.length === 0 || this.freeBytes + buf.length > this.maxFreeBytes) return;
    let list = this.free.get(buf.length);
    if (!list) this.free.set(buf.length, (list = []));
    list.push(buf);
    this.freeBytes += buf.length;
  }
}

/** A broker-wide byte budget over the tails of all its logs; evicts the oldest block anywhere. */
export class TailCacheBudget {
  private queue: Block[] = [];
  private head = 0;
  private live = 0;
  used = 0;
  /** Where the tails under this budget take and return their blocks. */
  readonly shelf: BlockShelf;

  constructor(readonly maxBytes: number) {
    // Enough free blocks to refill what a roll or truncation of a few partitions gave back.
    this.shelf = new BlockShelf(Math.max(maxBytes >> 2, MAX_BLOCK));
  }

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
  private readonly shelf: BlockShelf;

  constructor(
    private readonly limit: number,
    private readonly budget?: TailCacheBudget,
  ) {
    this.blockSize = Math.max(MIN_BLOCK, Math.min(MAX_BLOCK, Math.floor(limit / 16)));
    this.shelf = budget?.shelf ?? new BlockShelf(limit);
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
        current = this.allocate(position + from);
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
   * A copy of the bytes [position, position + length) when all of them are held, else undefined;
   * into a buffer leased from `pool` when given. Never a view: blocks are reused once evicted.
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
    const out = pool ? pool.acquire(length) : Buffer.allocUnsafe(length);
    let filled = b.buf.copy(out, 0, offset, Math.min(b.used, offset + length));
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

  private allocate(position: number): Block {
    const size = this.blockSize;
    // Over the limit the oldest go first, so their blocks can be taken again at once.
    while (this.bytes + size > this.limit && this.head < this.blocks.length) this.evictOldest();
    const block: Block = { position, buf: this.shelf.take(size), used: 0, owner: this, evicted: false };
    this.blocks.push(block);
    this.bytes += size;
    this.budget?.charge(block);
    return block;
  }

  private drop(b: Block): void {
    b.evicted = true;
    this.bytes -= b.buf.length;
    this.budget?.release(b);
    this.shelf.put(b.buf);
    b.buf = EMPTY;
    b.used = 0;
  }
}

const EMPTY = Buffer.alloc(0);
