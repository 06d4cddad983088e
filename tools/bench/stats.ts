import type { TimelineWindow } from './timeline';
import type { CpuReport } from './cpu';

/** Per-request latencies in milliseconds, kept in a growable typed array (bounded count). */
export class LatencyRecorder {
  private samples = new Float64Array(1024);
  private n = 0;
  dropped = 0;

  constructor(private readonly maxSamples = 4_000_000) {}

  add(ms: number): void {
    if (this.n === this.samples.length) {
      if (this.n >= this.maxSamples) {
        this.dropped++;
        return;
      }
      const grown = new Float64Array(Math.min(this.samples.length * 2, this.maxSamples));
      grown.set(this.samples);
      this.samples = grown;
    }
    this.samples[this.n++] = ms;
  }

  get count(): number {
    return this.n;
  }

  /** Nearest-rank percentiles (q in 0..1); null when nothing was recorded. */
  percentiles(qs: readonly number[]): (number | null)[] {
    if (this.n === 0) return qs.map(() => null);
    const sorted = this.samples.slice(0, this.n).sort();
    return qs.map((q) => sorted[Math.min(this.n - 1, Math.max(0, Math.ceil(q * this.n) - 1))]);
  }
}

/** What an open-loop produce phase adds: the schedule it kept (or did not). */
export interface OpenLoopStats {
  /** What the rate counts: records (--rate) or requests (--request-rate). */
  unit: 'records' | 'requests';
  targetPerSec: number;
  achievedPerSec: number;
  /** Items the schedule held for the run. */
  scheduled: number;
  producers: number;
  lingerMs: number;
  /** Requests sent. */
  sent: number;
  /** Requests sent more than lateThresholdMs after they were due (this process or --max-outstanding held them). */
  lateSends: number;
  lateThresholdMs: number;
  /** Requests without an answer when the run stopped waiting (the phase length after the schedule ended, at least 5 s). */
  unanswered: number;
  sendLagMs: { p50: number | null; p99: number | null; max: number | null };
  /** Latency percentiles count each record (--rate) or each request (--request-rate). */
  latencyPer: 'record' | 'request';
  /** With --timeline-ms: latency per window of due time; `slow` counts those over 10 ms. */
  timeline?: TimelineWindow[];
}

export interface PhaseResult {
  phase: 'produce' | 'consume' | 'concurrent-consume';
  seconds: number;
  requests: number;
  records: number;
  bytes: number;
  mbPerSec: number;
  recordsPerSec: number;
  latencyMs: { p50: number | null; p90?: number | null; p99: number | null; p999: number | null; max: number | null };
  errors: Record<string, number>;
  /** Open-loop produce: target vs achieved rate, late sends. */
  openLoop?: OpenLoopStats;
  /** Consumers reading while producing: record timestamp (its due time) to receipt, per record, in ms (1 ms resolution). */
  endToEndMs?: { p50: number | null; p99: number | null; p999: number | null; max: number | null };
  /** With --cluster-file: CPU seconds of each process during the phase. */
  cpu?: CpuReport;
  /** Transactional produce: transactions committed, their rate, and begin-to-commit latency. */
  transactions?: { committed: number; perSec: number; latencyMs: PhaseResult['latencyMs'] };
}

export function summarize(phase: PhaseResult['phase'], seconds: number, requests: number, records: number, bytes: number,
  latencies: LatencyRecorder, errors: Record<string, number>): PhaseResult {
  const [p50, p99, p999, max] = latencies.percentiles([0.5, 0.99, 0.999, 1]);
  const round = (x: number | null) => (x === null ? null : Math.round(x * 1000) / 1000);
  return {
    phase,
    seconds: round(seconds)!,
    requests,
    records,
    bytes,
    mbPerSec: round(seconds > 0 ? bytes / 1e6 / seconds : 0)!,
    recordsPerSec: Math.round(seconds > 0 ? records / seconds : 0),
    latencyMs: { p50: round(p50), p99: round(p99), p999: round(p999), max: round(max) },
    errors,
  };
}
