import type { Logger } from '@dms/platform';
import type { ReplicaManager } from './replica-manager';

/** Kafka's producer.id.expiration.ms default: one day. */
export const DEFAULT_PRODUCER_ID_EXPIRATION_MS = 86_400_000;
/** Kafka's producer.id.expiration.check.interval.ms default: ten minutes. */
export const DEFAULT_PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS = 600_000;

export interface ProducerExpiryOptions {
  replicas: Pick<ReplicaManager, 'all' | 'brokerConfig'>;
  checkIntervalMs: number;
  logger: Logger;
}

/**
 * Kafka's producer id expiration: every check interval, each replica (leader or follower) drops
 * the producers without an open transaction whose last write is older than
 * producer.id.expiration.ms (a dynamic broker config, read at each check). A producer that comes
 * back later with a sequence other than 0 is then UNKNOWN_PRODUCER_ID.
 */
export class ProducerExpiry {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: ProducerExpiryOptions) {}

  start(): void {
    this.timer = setInterval(() => this.check(), this.opts.checkIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One pass over the replicas; returns how many producer ids were removed. */
  check(nowMs: number = Date.now()): number {
    const expirationMs = expirationOf(this.opts.replicas.brokerConfig('producer.id.expiration.ms'));
    let removed = 0;
    for (const r of this.opts.replicas.all()) removed += r.log.producers.removeExpired(BigInt(nowMs), expirationMs);
    if (removed > 0) this.opts.logger.info({ removed, expirationMs }, 'expired producer ids');
    return removed;
  }
}

function expirationOf(value: string | null): number {
  const n = value === null ? NaN : Number(value);
  return Number.isFinite(n) && n >= 1 ? n : DEFAULT_PRODUCER_ID_EXPIRATION_MS;
}
