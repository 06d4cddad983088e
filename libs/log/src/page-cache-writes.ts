/**
 * Whether a write cycle may copy its bytes into the page cache synchronously on the event loop
 * (docs/decisions/0014) or must go through the thread pool.
 *
 * A page-cache write normally takes microseconds, so the synchronous write saves a thread-pool hop
 * and its promises per cycle. But once the kernel throttles writers (dirty pages past its
 * threshold and writeback under way: on a 2-core VM with 24 GB, about 2 GB of dirty data after
 * ~20 s of acks=all RF 3 at 100 MB/s), a 100 KB `pwrite` took 100-250 ms, and a synchronous one
 * stalls the whole process with it: every partition, follower fetches, heartbeats. One slow
 * synchronous write therefore sends the writes of every log sharing this object (a broker's) to
 * the thread pool for a while, where a throttled write holds up only its own log's queue. The
 * while doubles each time the first synchronous write after it is slow again (writeback under a
 * steady load lasts), and starts over once no write was slow for the longest while (decision 0044).
 */
export class PageCacheWrites {
  /** Synchronous write time (ms, one cycle's writev calls together) from which writes leave the event loop. */
  readonly slowMs: number;
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
  private readonly clock: () => number;
  private asyncUntil = 0;
  private nextBackoffMs: number;
  /** Slow synchronous cycles seen so far (each started a back-off). */
  slowCycles = 0;

  constructor(opts: { slowMs?: number; minBackoffMs?: number; maxBackoffMs?: number; clock?: () => number } = {}) {
    this.slowMs = opts.slowMs ?? 10;
    this.minBackoffMs = opts.minBackoffMs ?? 2_000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 60_000;
    this.clock = opts.clock ?? (() => performance.now());
    this.nextBackoffMs = this.minBackoffMs;
  }

  /** Whether a cycle may write synchronously now. */
  syncAllowed(): boolean {
    return this.clock() >= this.asyncUntil;
  }

  /**
   * A synchronous cycle's writes took `ms`. Returns the back-off it started (ms), or 0 when the
   * writes were fast.
   */
  tookSync(ms: number): number {
    if (ms < this.slowMs) return 0;
    const now = this.clock();
    // No write was slow for the longest back-off after the last one ended: a new episode.
    if (now - this.asyncUntil >= this.maxBackoffMs) this.nextBackoffMs = this.minBackoffMs;
    this.slowCycles++;
    const backoff = this.nextBackoffMs;
    this.asyncUntil = now + backoff;
    this.nextBackoffMs = Math.min(backoff * 2, this.maxBackoffMs);
    return backoff;
  }
}

/** The process's: every log of a broker shares the page cache the kernel throttles. */
export const sharedPageCacheWrites = new PageCacheWrites();
