/** Per-partition error codes the purgatory completes with (Kafka's numbers). */
export const ACK_OK = 0;
export const ACK_NOT_ENOUGH_REPLICAS_AFTER_APPEND = 20;
export const ACK_REQUEST_TIMED_OUT = 7;
export const ACK_NOT_LEADER = 6;

interface Waiter {
  requiredOffset: bigint;
  /** Whether the ISR size must reach min.insync.replicas (acks=all) or only the HW (see ReplicaLeader). */
  checkMinIsr: boolean;
  /** Date.now() at which the waiter times out. */
  deadline: number;
  done: (errorCode: number) => void;
  settled: boolean;
}

/**
 * Appends waiting for replication, ordered by the offset the high watermark must reach
 * (appends take offsets in order, so the list stays sorted and completion pops from the head).
 * Completion rules (Kafka's acks=all): once the high watermark reaches the batch, the ISR must
 * still hold at least min.insync.replicas, else NOT_ENOUGH_REPLICAS_AFTER_APPEND; the request
 * timeout gives REQUEST_TIMED_OUT; losing leadership gives NOT_LEADER_OR_FOLLOWER.
 *
 * Timeouts cost one timer per purgatory, not one per waiter: a min-heap orders the waiters by
 * deadline and a single timer, armed for the earliest, expires them in deadline order. Waiters
 * completed otherwise leave the heap lazily (it is compacted when mostly stale).
 */
export class AckPurgatory {
  private waiters: Waiter[] = [];
  private readonly byDeadline = new DeadlineHeap();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  get size(): number {
    return this.waiters.length;
  }

  /** Resolves with an error code once `requiredOffset` (last offset + 1) is replicated or not. */
  wait(requiredOffset: bigint, timeoutMs: number, checkMinIsr = true): Promise<number> {
    return new Promise((resolve) => {
      const w: Waiter = { requiredOffset, checkMinIsr, deadline: Date.now() + Math.max(0, timeoutMs), done: resolve, settled: false };
      // Concurrent appends can resolve their writes out of order: keep the list sorted.
      let i = this.waiters.length;
      while (i > 0 && this.waiters[i - 1]!.requiredOffset > requiredOffset) i--;
      if (i === this.waiters.length) this.waiters.push(w);
      else this.waiters.splice(i, 0, w);
      this.byDeadline.push(w);
      if (w.deadline < this.timerAt) this.arm();
    });
  }

  /** Completes every waiter the high watermark has passed, judging the ISR size now. */
  onProgress(highWatermark: bigint, isrSize: number, minInsyncReplicas: number): void {
    let n = 0;
    while (n < this.waiters.length && this.waiters[n]!.requiredOffset <= highWatermark) n++;
    if (n === 0) return;
    const passed = n === this.waiters.length ? this.waiters : this.waiters.slice(0, n);
    this.waiters = n === this.waiters.length ? [] : this.waiters.slice(n);
    const code = isrSize < minInsyncReplicas ? ACK_NOT_ENOUGH_REPLICAS_AFTER_APPEND : ACK_OK;
    for (const w of passed) this.settle(w, w.checkMinIsr ? code : ACK_OK);
    this.tidy();
  }

  /** The ISR fell below min.insync.replicas: acks=all waiters cannot succeed as Kafka defines it. */
  onIsrBelowMin(): void {
    const failing = this.waiters.filter((w) => w.checkMinIsr);
    if (failing.length === 0) return;
    this.waiters = this.waiters.filter((w) => !w.checkMinIsr);
    for (const w of failing) this.settle(w, ACK_NOT_ENOUGH_REPLICAS_AFTER_APPEND);
    this.tidy();
  }

  /** Leadership moved: nobody here will ever replicate these. */
  failAll(errorCode: number = ACK_NOT_LEADER): void {
    const all = this.waiters;
    this.waiters = [];
    for (const w of all) this.settle(w, errorCode);
    this.tidy();
  }

  private settle(w: Waiter, code: number): void {
    w.settled = true;
    w.done(code);
  }

  /** Expires every waiter whose deadline has passed, earliest first, then re-arms. */
  private readonly sweep = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = Date.now();
    const expired: Waiter[] = [];
    for (let w = this.byDeadline.peek(); w && (w.settled || w.deadline <= now); w = this.byDeadline.peek()) {
      this.byDeadline.pop();
      if (!w.settled) expired.push(w);
    }
    if (expired.length > 0) {
      const gone = new Set(expired);
      this.waiters = this.waiters.filter((w) => !gone.has(w));
      for (const w of expired) this.settle(w, ACK_REQUEST_TIMED_OUT);
    }
    this.arm();
  };

  /**
   * Drops stale heap entries. The timer stays armed when nobody waits any more: the next waiter's
   * deadline is later, so it reuses that timer instead of arming one per request (a sweep that
   * finds nothing just ends).
   */
  private tidy(): void {
    if (this.waiters.length === 0) {
      this.byDeadline.clear();
    } else if (this.byDeadline.size > 2 * this.waiters.length + 64) {
      this.byDeadline.rebuild(this.waiters);
    }
  }

  /** Points the one timer at the earliest live deadline. */
  private arm(): void {
    let first = this.byDeadline.peek();
    while (first?.settled) {
      this.byDeadline.pop();
      first = this.byDeadline.peek();
    }
    if (!first) return;
    if (this.timer && this.timerAt <= first.deadline) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = first.deadline;
    this.timer = setTimeout(this.sweep, Math.max(0, first.deadline - Date.now()));
    // Waiting produce requests keep the process busy anyway; an idle sweep must not.
    this.timer.unref();
  }
}

/** A binary min-heap of waiters by deadline (ties in insertion order do not matter). */
class DeadlineHeap {
  private items: Waiter[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Waiter | undefined {
    return this.items[0];
  }

  clear(): void {
    this.items = [];
  }

  rebuild(live: readonly Waiter[]): void {
    this.items = [];
    for (const w of live) this.push(w);
  }

  push(w: Waiter): void {
    const a = this.items;
    a.push(w);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent]!.deadline <= w.deadline) break;
      a[i] = a[parent]!;
      i = parent;
    }
    a[i] = w;
  }

  pop(): Waiter | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || !last) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const c = r < a.length && a[r]!.deadline < a[l]!.deadline ? r : l;
      if (a[c]!.deadline >= last.deadline) break;
      a[i] = a[c]!;
      i = c;
    }
    a[i] = last;
    return top;
  }
}
