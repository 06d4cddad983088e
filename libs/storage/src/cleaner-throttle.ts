/**
 * Kafka's cleaner Throttler: caps the bytes per second the cleaners read and write together
 * (log.cleaner.io.max.bytes.per.second), measured over short windows, by sleeping whenever the
 * window's rate runs ahead. The cleaner shares the broker's event loop and cores with appends,
 * fetches and replication: this is how an operator keeps it from taking more than its share.
 */
export class CleanerThrottle {
  private windowStart = Date.now();
  private windowBytes = 0;

  constructor(
    private readonly bytesPerSecond: number,
    private readonly checkIntervalMs = 300,
  ) {}

  get unlimited(): boolean {
    return !(this.bytesPerSecond > 0) || this.bytesPerSecond >= Number.MAX_SAFE_INTEGER;
  }

  /** Counts `bytes` and resolves when the rate allows going on. */
  async maybeThrottle(bytes: number): Promise<void> {
    if (this.unlimited) return;
    this.windowBytes += bytes;
    const elapsed = Date.now() - this.windowStart;
    if (elapsed < this.checkIntervalMs) return;
    const rate = (this.windowBytes * 1000) / elapsed;
    if (rate > this.bytesPerSecond) {
      const sleepMs = (this.windowBytes * 1000) / this.bytesPerSecond - elapsed;
      if (sleepMs > 0) await new Promise((r) => setTimeout(r, sleepMs));
    }
    this.windowStart = Date.now();
    this.windowBytes = 0;
  }
}
