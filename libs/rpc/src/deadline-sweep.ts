// The global `performance` is a lazy getter: read once per request here, it showed in gateway profiles.
import { performance } from 'node:perf_hooks';

/**
 * Deadlines of many in-flight requests behind one timer, armed for the earliest deadline. Most
 * requests are answered long before theirs, so the timer fires about once per timeout period
 * (not once per request) and each firing walks the entries once. Entries are removed in O(1)
 * when answered; an expired one gets its `expire` call once and is removed.
 */
export class DeadlineSweep<K> {
  /** When each entry expires. */
  private readonly entries = new Map<K, number>();
  /** The `expire` of entries added with their own (the others call the sweep's `expireKey`). */
  private readonly callbacks = new Map<K, () => void>();
  private timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires (Infinity when none is armed). */
  private armedAt = Infinity;

  /**
   * `expireKey` is called with the key of an entry added without its own `expire`: a caller with
   * many entries passes one function here instead of allocating a closure per entry.
   */
  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly expireKey?: (key: K) => void,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Calls `expire` (or the sweep's `expireKey`) once `ms` have passed, unless `delete(key)` came first. */
  add(key: K, ms: number, expire?: () => void): void {
    if (!expire && !this.expireKey) throw new Error('DeadlineSweep.add: no expire callback');
    const at = this.now() + Math.max(0, ms);
    this.entries.set(key, at);
    if (expire) this.callbacks.set(key, expire);
    else if (this.callbacks.size !== 0) this.callbacks.delete(key);
    if (at < this.armedAt) this.arm(at);
  }

  /** Forgets `key`; true when it was still waiting. */
  delete(key: K): boolean {
    const had = this.entries.delete(key);
    if (this.callbacks.size !== 0) this.callbacks.delete(key);
    if (this.entries.size === 0) this.disarm();
    return had;
  }

  /** Forgets every entry without expiring any. */
  clear(): void {
    this.entries.clear();
    this.callbacks.clear();
    this.disarm();
  }

  private arm(at: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.armedAt = at;
    this.timer = setTimeout(() => this.sweep(), Math.max(0, Math.ceil(at - this.now())));
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = Infinity;
  }

  private sweep(): void {
    this.timer = undefined;
    this.armedAt = Infinity;
    // Timers may fire up to a millisecond early relative to performance.now().
    const now = this.now() + 1;
    let next = Infinity;
    const expired: K[] = [];
    for (const [key, at] of this.entries) {
      if (at <= now) {
        this.entries.delete(key);
        expired.push(key);
      } else if (at < next) next = at;
    }
    if (next !== Infinity) this.arm(next);
    for (const key of expired) {
      const expire = this.callbacks.get(key);
      if (expire) {
        this.callbacks.delete(key);
        expire();
      } else this.expireKey!(key);
    }
  }
}
