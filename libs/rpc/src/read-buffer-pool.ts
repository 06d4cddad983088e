/**
 * Reusable buffers for bytes that are done with soon after: a broker's segment reads (a consumer
 * fetch answer is serialised into the gRPC frame and its read buffers are done), and the
 * gateway's Fetch answers gathered from several http2 chunks (done once the Kafka response that
 * holds views of them has been written to the client socket). A fresh buffer per
 * read of up to a few MiB costs page faults and external memory that drives V8 into full garbage
 * collections; a pooled one is already mapped.
 *
 * A buffer is leased by `acquire` and comes back by `release` of any view of it (the read's
 * answer is usually a sub-range). Only leased buffers are taken back, once: a view of an unknown
 * buffer, or a second release, is ignored, so a buffer is never handed out while a lease on it
 * is open. A lease that is never released (an answer dropped on a cancelled stream) costs nothing
 * but the reuse: the garbage collector takes the buffer as any other.
 */
export class ReadBufferPool {
  /** Free buffers by size class (log2 of the size). */
  private readonly free = new Map<number, Buffer[]>();
  // Weak: a lease never released must not keep its buffer alive.
  private readonly leased = new WeakMap<ArrayBufferLike, Buffer>();
  private open = 0;
  private freeBytes = 0;
  private reused = 0;

  /**
   * @param maxFreeBytes free buffers kept at most (more are left to the garbage collector)
   * @param minBytes reads smaller than this are not pooled (Node's own slab serves them)
   * @param maxBytes reads larger than this are not pooled
   */
  constructor(
    readonly maxFreeBytes = 64 << 20,
    readonly minBytes = 16 << 10,
    readonly maxBytes = 8 << 20,
  ) {}

  /** A buffer of exactly `length` bytes (uninitialised), leased until released. */
  acquire(length: number): Buffer {
    if (length < this.minBytes || length > this.maxBytes) return Buffer.allocUnsafe(length);
    const cls = Math.max(16, Math.ceil(Math.log2(length)));
    const list = this.free.get(cls);
    let block = list?.pop();
    if (block) {
      this.freeBytes -= block.length;
      this.reused++;
    } else block = Buffer.allocUnsafeSlow(2 ** cls);
    this.leased.set(block.buffer, block);
    this.open++;
    return block.subarray(0, length);
  }

  /** Ends the lease of the buffer `view` lies in; false when it is not leased from this pool. */
  release(view: Uint8Array): boolean {
    const block = this.leased.get(view.buffer);
    if (!block) return false;
    this.leased.delete(view.buffer);
    this.open--;
    if (this.freeBytes + block.length > this.maxFreeBytes) return true;
    const cls = Math.log2(block.length);
    let list = this.free.get(cls);
    if (!list) this.free.set(cls, (list = []));
    list.push(block);
    this.freeBytes += block.length;
    return true;
  }

  /** Leases not yet released (dropped ones included), free bytes and leases served by a released buffer (metrics and tests). */
  stats(): { leased: number; freeBytes: number; reused: number } {
    return { leased: this.open, freeBytes: this.freeBytes, reused: this.reused };
  }
}
