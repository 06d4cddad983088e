/** One window of an open-loop run: records (or requests) due in it and their latencies. */
export interface TimelineWindow {
  /** Start of the window, ms after the schedule's start (by due time). */
  fromMs: number;
  count: number;
  p50: number;
  p99: number;
  max: number;
  /** How many waited longer than the run's slow threshold. */
  slow: number;
}

/**
 * Latencies grouped by due time into fixed windows (--timeline-ms), so a run shows when its tail
 * happened: at the start of a fresh topic, in bursts, or all along.
 */
export class LatencyTimeline {
  private readonly windows: number[][] = [];

  constructor(
    readonly windowMs: number,
    readonly slowMs: number,
  ) {
    if (!(windowMs > 0)) throw new Error('a timeline window is longer than 0 ms');
  }

  add(dueMs: number, latencyMs: number): void {
    const i = Math.max(0, Math.floor(dueMs / this.windowMs));
    (this.windows[i] ??= []).push(latencyMs);
  }

  summary(): TimelineWindow[] {
    const out: TimelineWindow[] = [];
    const r = (x: number) => Math.round(x * 100) / 100;
    this.windows.forEach((v, i) => {
      if (!v || v.length === 0) return;
      v.sort((a, b) => a - b);
      const at = (q: number) => v[Math.min(v.length - 1, Math.floor(v.length * q))]!;
      out.push({ fromMs: i * this.windowMs, count: v.length, p50: r(at(0.5)), p99: r(at(0.99)), max: r(v[v.length - 1]!), slow: v.filter((x) => x > this.slowMs).length });
    });
    return out;
  }
}
