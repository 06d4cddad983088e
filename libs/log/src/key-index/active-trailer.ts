import { setImmediate as yieldToLoop } from 'node:timers/promises';

/** What one step did: bytes of the segment covered, and the time spent indexing them (reads left out). */
export interface TrailStep {
  bytes: number;
  busyMs: number;
}

/** A log whose active segment's key index can be caught up a bounded step at a time. */
export interface TrailedIndexer {
  /** Bytes of the active segment written but not yet indexed (0 when caught up, off or closed). */
  activeBacklog(): number;
  /** Indexes at most about `maxBytes` more of the active segment (whole batches). */
  trailActive(maxBytes: number): Promise<TrailStep>;
}

export interface TrailerSettings {
  /** How often a tick runs. */
  intervalMs: number;
  /**
   * Time one tick may spend indexing, across all logs: the CPU-bound part of its steps, summed
   * and checked between steps (reads and the yields between steps, when other work runs, are not
   * charged).
   */
  budgetMs: number;
  /** Bytes indexed per step; the loop yields to the event loop between steps. */
  stepBytes: number;
}

/** 25 ms every 250 ms: at most about a tenth of one core, ~40-80 MB/s of batches on this class of machine. */
export const DEFAULT_TRAILER_SETTINGS: TrailerSettings = { intervalMs: 250, budgetMs: 25, stepBytes: 256 << 10 };

/**
 * Keeps the key indexes of active segments close to the log end in the background, so a lookup
 * finds little to catch up (after a restart: nothing once the trailer has gone through the active
 * segments). Each tick spends at most about `budgetMs` of indexing work in steps of `stepBytes`,
 * with the event loop yielded between steps (reads, and other work that runs meanwhile, are not
 * charged), going round the logs that are behind so none starves; logs
 * with nothing new cost nothing. One trailer per process, shared by every log.
 */
export class ActiveIndexTrailer {
  private readonly logs = new Set<TrailedIndexer>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  /** Where the next tick starts going round (fairness across ticks). */
  private cursor = 0;
  /** Totals since start (tests, metrics): bytes indexed and ticks that ran out of budget. */
  readonly totals = { bytes: 0, steps: 0, budgetExhausted: 0 };

  constructor(public settings: TrailerSettings = { ...DEFAULT_TRAILER_SETTINGS }) {}

  add(log: TrailedIndexer): void {
    this.logs.add(log);
    if (!this.timer && this.settings.budgetMs > 0) {
      this.timer = setInterval(() => void this.tick(), this.settings.intervalMs);
      this.timer.unref();
    }
  }

  remove(log: TrailedIndexer): void {
    this.logs.delete(log);
    if (this.logs.size === 0) this.stop();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One tick now (a tick in progress is joined, not doubled). */
  tick(): Promise<void> {
    this.ticking ??= this.run().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  private async run(): Promise<void> {
    const { budgetMs, stepBytes } = this.settings;
    let spent = 0;
    const all = [...this.logs];
    if (all.length === 0 || budgetMs <= 0) return;
    let idle = 0;
    // Round the logs from the cursor; a log keeps its turn for one step, then the next one's.
    for (let i = 0; idle < all.length; i++) {
      if (spent >= budgetMs) {
        this.totals.budgetExhausted++;
        this.cursor = (this.cursor + i) % all.length;
        return;
      }
      const log = all[(this.cursor + i) % all.length]!;
      if (!this.logs.has(log) || log.activeBacklog() === 0) {
        idle++;
        continue;
      }
      let done = 0;
      try {
        const step = await log.trailActive(stepBytes);
        done = step.bytes;
        spent += step.busyMs;
      } catch {
        done = 0; // the segment went away or was cut (truncation, deletion): a later tick sees the new one
      }
      if (done === 0) idle++;
      else {
        idle = 0;
        this.totals.bytes += done;
        this.totals.steps++;
      }
      await yieldToLoop();
    }
  }
}

/** The process's trailer. */
export const sharedActiveIndexTrailer = new ActiveIndexTrailer();
