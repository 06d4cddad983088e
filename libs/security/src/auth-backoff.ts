/**
 * Failed-login back-off per client address (Kafka's connection.failed.authentication.delay.ms as
 * the base). Each failure from an address doubles that address's delay, up to a cap; while an
 * address has failures, its login attempts are spaced at least one delay apart, however many
 * connections it opens, so a burst of guesses runs at one guess per delay. A successful login
 * from the address halves its failure count (a user who mistyped recovers after a login or two,
 * while guessing stays slow); an address quiet for `forgetMs` starts afresh. A login from
 * another address never waits.
 */
export interface AuthBackoffOptions {
  baseMs: number;
  maxMs: number;
  /** Quiet time after which an address's failures are forgotten; default max(60 s, 4 * maxMs). */
  forgetMs?: number;
  /** Addresses tracked at most (the oldest is dropped); default 100,000. */
  maxHosts?: number;
  now?: () => number;
}

interface Entry {
  failures: number;
  /** Earliest start of the next attempt from this address. */
  nextAt: number;
  lastAt: number;
}

export class AuthBackoff {
  private readonly hosts = new Map<string, Entry>();
  private readonly now: () => number;
  private readonly forgetMs: number;
  private readonly maxHosts: number;

  constructor(private readonly opts: AuthBackoffOptions) {
    this.now = opts.now ?? Date.now;
    this.forgetMs = opts.forgetMs ?? Math.max(60_000, 4 * opts.maxMs);
    this.maxHosts = opts.maxHosts ?? 100_000;
  }

  /** The current delay of `host` (0 without failures). */
  delayMs(host: string): number {
    const e = this.entry(host);
    if (!e || e.failures === 0) return 0;
    return Math.min(this.opts.maxMs, this.opts.baseMs * 2 ** Math.min(e.failures - 1, 30));
  }

  /** How long an attempt starting now from `host` must wait; reserves its slot. */
  reserveAttempt(host: string): number {
    const e = this.entry(host);
    if (!e || e.failures === 0) return 0;
    const now = this.now();
    const start = Math.max(now, e.nextAt);
    e.nextAt = start + this.delayMs(host);
    return start - now;
  }

  /** Records a failed login; returns how long to hold its answer (the grown delay). */
  failed(host: string): number {
    const now = this.now();
    let e = this.entry(host);
    if (!e) {
      if (this.hosts.size >= this.maxHosts) this.hosts.delete(this.hosts.keys().next().value as string);
      e = { failures: 0, nextAt: now, lastAt: now };
    }
    this.hosts.delete(host);
    this.hosts.set(host, e); // most recent last: eviction drops the quietest
    e.failures++;
    e.lastAt = now;
    const delay = this.delayMs(host);
    e.nextAt = Math.max(e.nextAt, now + delay);
    return delay;
  }

  /** Records a successful login: the address's failures are halved. */
  succeeded(host: string): void {
    const e = this.entry(host);
    if (!e) return;
    e.failures = Math.floor(e.failures / 2);
    if (e.failures === 0) this.hosts.delete(host);
  }

  get trackedHosts(): number {
    return this.hosts.size;
  }

  private entry(host: string): Entry | undefined {
    const e = this.hosts.get(host);
    if (e && this.now() - e.lastAt > this.forgetMs) {
      this.hosts.delete(host);
      return undefined;
    }
    return e;
  }
}
