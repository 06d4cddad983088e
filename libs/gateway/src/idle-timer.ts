/**
 * Kafka's `connections.max.idle.ms`, counted from the last whole request (or answer), not from
 * the last byte: a client trickling a frame one byte at a time does not keep its connection,
 * and a partial frame has at most this long to complete. A connection with requests still being
 * answered is busy, not idle.
 */
export class IdleTimer {
  private last = Date.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly idleMs: number, private readonly busy: () => boolean, private readonly onIdle: () => void) {
    this.arm(idleMs);
  }

  /** A whole request arrived or an answer went out. */
  touch(): void {
    this.last = Date.now();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.check(), Math.max(ms, 1));
    this.timer.unref();
  }

  private check(): void {
    this.timer = undefined;
    const idle = Date.now() - this.last;
    if (idle < this.idleMs) return this.arm(this.idleMs - idle);
    if (this.busy()) {
      this.touch();
      return this.arm(this.idleMs);
    }
    this.onIdle();
  }
}
