/**
 * A replication quota (Kafka's ReplicationQuotaManager): the bytes per second one broker may move
 * in one direction for throttled replicas — as leader, what it serves to throttled followers; as
 * follower, what it fetches for throttled partitions. One instance per broker per direction.
 *
 * The rate is measured as Kafka's Rate metric measures it: bytes over `windowNum` samples of
 * `windowSizeMs` each, divided by the elapsed time of the samples kept, never less than
 * `windowNum - 1` full windows (so a quota just set does not see a spike as a huge rate). The
 * quota is exceeded when that rate is above the bound; callers skip throttled work while it is,
 * and record the bytes they moved. Like Kafka, one read may overshoot the bound by at most the
 * bytes of that read: the check is made before reading.
 */
export interface ReplicationQuotaOptions {
  /** replication.quota.window.num (Kafka's default 11). */
  windowNum?: number;
  /** replication.quota.window.size.seconds, in ms (Kafka's default 1 s). */
  windowSizeMs?: number;
  /** Clock in ms (tests pass a fake one). */
  now?: () => number;
}

/** Kafka's unbounded quota: Long.MAX_VALUE bytes per second. */
export const UNBOUNDED_RATE = Number.MAX_SAFE_INTEGER;

interface Sample {
  start: number;
  bytes: number;
}

export class ReplicationQuota {
  private readonly windowNum: number;
  private readonly windowSizeMs: number;
  private readonly now: () => number;
  private readonly samples: Sample[] = [];
  private bound = UNBOUNDED_RATE;
  /** Every byte recorded since creation (the byte-rate metric reads it). */
  totalBytes = 0;

  constructor(opts: ReplicationQuotaOptions = {}) {
    this.windowNum = Math.max(2, Math.floor(opts.windowNum ?? 11));
    this.windowSizeMs = Math.max(1, opts.windowSizeMs ?? 1_000);
    this.now = opts.now ?? Date.now;
  }

  /** The bound in bytes per second; unbounded when not a positive finite number below Long.MAX_VALUE. */
  get upperBound(): number {
    return this.bound;
  }

  /** Sets the bound (leader/follower.replication.throttled.rate); keeps the samples, as Kafka does. */
  updateQuota(bytesPerSecond: number): void {
    this.bound = Number.isFinite(bytesPerSecond) && bytesPerSecond >= 0 && bytesPerSecond < UNBOUNDED_RATE ? bytesPerSecond : UNBOUNDED_RATE;
  }

  get bounded(): boolean {
    return this.bound < UNBOUNDED_RATE;
  }

  /** Counts bytes moved for throttled replicas. */
  record(bytes: number): void {
    if (!(bytes > 0)) return;
    this.totalBytes += bytes;
    const now = this.now();
    this.expire(now);
    let last = this.samples[this.samples.length - 1];
    if (!last || now - last.start >= this.windowSizeMs) {
      last = { start: now, bytes: 0 };
      this.samples.push(last);
      if (this.samples.length > this.windowNum) this.samples.shift();
    }
    last.bytes += bytes;
  }

  /** The measured rate in bytes per second. */
  rate(): number {
    const now = this.now();
    this.expire(now);
    let bytes = 0;
    for (const s of this.samples) bytes += s.bytes;
    if (bytes === 0) return 0;
    const oldest = this.samples[0]!.start;
    let elapsed = now - oldest;
    const minElapsed = (this.windowNum - 1) * this.windowSizeMs;
    if (elapsed < minElapsed) elapsed = minElapsed;
    return (bytes * 1000) / elapsed;
  }

  /** Whether throttled replicas must wait: the bound is set and the measured rate is above it. */
  isQuotaExceeded(): boolean {
    return this.bounded && this.rate() > this.bound;
  }

  /** Samples older than the whole window count no more. */
  private expire(now: number): void {
    const horizon = now - this.windowNum * this.windowSizeMs;
    while (this.samples.length > 0 && this.samples[0]!.start + this.windowSizeMs <= horizon) this.samples.shift();
  }
}
