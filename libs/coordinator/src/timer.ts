/**
 * Time as coordinators see it: the clock and one-shot timers, injectable so a coordinator's
 * tests run on fake time.
 */
export interface CoordinatorTimer {
  now(): number;
  /** Runs `fn` after `delayMs`; returns a cancel function. */
  schedule(delayMs: number, fn: () => void): () => void;
}

export const systemTimer: CoordinatorTimer = {
  now: () => Date.now(),
  schedule(delayMs, fn) {
    const t = setTimeout(fn, Math.max(0, delayMs));
    t.unref?.();
    return () => clearTimeout(t);
  },
};

/** Fake time for tests: nothing fires until `advance` moves the clock past it. */
export class FakeTimer implements CoordinatorTimer {
  private time: number;
  private seq = 0;
  private readonly tasks = new Map<number, { at: number; fn: () => void }>();

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  schedule(delayMs: number, fn: () => void): () => void {
    const id = this.seq++;
    this.tasks.set(id, { at: this.time + Math.max(0, delayMs), fn });
    return () => void this.tasks.delete(id);
  }

  /** Tasks still waiting. */
  get pending(): number {
    return this.tasks.size;
  }

  /**
   * Moves the clock by `ms`, firing due tasks in time order (a task scheduled by a firing task
   * fires too if it falls within the window); lets promise callbacks run between tasks.
   */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.tasks) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.tasks.delete(next[0]);
      this.time = Math.max(this.time, next[1].at);
      next[1].fn();
      await settle();
    }
    this.time = end;
    await settle();
  }
}

/** Lets queued promise callbacks (and their follow-ups) run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}
