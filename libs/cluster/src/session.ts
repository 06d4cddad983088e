import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Etcd3, Lease } from 'etcd3';
import { errMessage, silentLog, type Log } from './logger';

export interface SessionOptions {
  ttlMs: number;
  /**
   * Declare the session lost when no keepalive was acknowledged for this long. Defaults to 2/3 of
   * the TTL: the etcd3 client may report a lost lease up to 2xTTL late, and by then another process
   * may already hold what our lease guarded, so we must stop acting on it before etcd expires it.
   */
  lostAfterMs?: number;
  log?: Log;
}

export type SessionState = 'idle' | 'alive' | 'lost' | 'closed';

/**
 * One lease plus its keepalive per process. Keys registered through the session are written under
 * the lease and re-written by `recreate()`.
 *
 * Events: 'lost' (reason: string) once per lease; 'recreated' (leaseId) after `recreate()`.
 */
export class EtcdSession extends EventEmitter {
  private lease?: Lease;
  private id = '';
  private lastAckAt = 0;
  /** Send times of keepalives not yet acknowledged; an ack proves the lease alive as of its send time. */
  private inFlight: number[] = [];
  private timer?: NodeJS.Timeout;
  private readonly registrations = new Map<string, string>();
  private readonly log: Log;
  private readonly lostAfterMs: number;
  private stateValue: SessionState = 'idle';

  constructor(
    private readonly client: Etcd3,
    private readonly opts: SessionOptions,
  ) {
    super();
    this.log = opts.log ?? silentLog;
    this.lostAfterMs = opts.lostAfterMs ?? Math.floor((opts.ttlMs * 2) / 3);
  }

  get state(): SessionState {
    return this.stateValue;
  }

  get alive(): boolean {
    return this.stateValue === 'alive' && !this.expired();
  }

  /** The current lease id (decimal string), '' before start. */
  get leaseId(): string {
    return this.id;
  }

  /** Milliseconds since the send time of the last acknowledged keepalive (or of the grant). */
  sinceLastAckMs(): number {
    return performance.now() - this.lastAckAt;
  }

  async start(): Promise<void> {
    if (this.stateValue === 'closed') throw new Error('session closed');
    const ttlSeconds = Math.max(1, Math.ceil(this.opts.ttlMs / 1000));
    const sentAt = performance.now();
    const lease = this.client.lease(ttlSeconds);
    this.lease = lease;
    lease.on('lost', (err) => {
      if (this.lease === lease) this.declareLost(`etcd reported the lease lost: ${errMessage(err)}`);
    });
    lease.on('keepaliveEstablished', () => (this.inFlight = []));
    lease.on('keepaliveFired', () => this.inFlight.push(performance.now()));
    lease.on('keepaliveSucceeded', () => {
      const sent = this.inFlight.shift();
      if (sent !== undefined && sent > this.lastAckAt) this.lastAckAt = sent;
    });
    try {
      this.id = await lease.grant();
    } catch (e) {
      lease.release();
      throw e;
    }
    this.lastAckAt = sentAt;
    this.stateValue = 'alive';
    this.startDeadlineTimer();
    this.log.info({ leaseId: this.id, ttlSeconds, lostAfterMs: this.lostAfterMs }, 'etcd session started');
  }

  /** Writes `key` under the lease and remembers it so `recreate()` writes it again. */
  async register(key: string, value: string): Promise<void> {
    this.registrations.set(key, value);
    if (!this.lease || this.stateValue !== 'alive') throw new Error('etcd session is not alive');
    await this.lease.put(key).value(value).exec();
  }

  async unregister(key: string): Promise<void> {
    this.registrations.delete(key);
    if (this.stateValue === 'alive') await this.client.delete().key(key).exec();
  }

  /** A fresh lease after loss; re-registers every key. Throws if etcd is unreachable (caller retries). */
  async recreate(): Promise<void> {
    if (this.stateValue === 'closed') throw new Error('session closed');
    this.dropLease();
    this.stateValue = 'idle';
    await this.start();
    for (const [key, value] of this.registrations) await this.lease!.put(key).value(value).exec();
    this.emit('recreated', this.id);
  }

  /** Revokes the lease so every key under it disappears now rather than after the TTL. */
  async close(): Promise<void> {
    if (this.stateValue === 'closed') return;
    const lease = this.lease;
    this.stateValue = 'closed';
    this.stopDeadlineTimer();
    this.lease = undefined;
    if (lease) await lease.revoke({ deadline: Date.now() + 2000 }).catch(() => lease.release());
  }

  private expired(): boolean {
    return performance.now() - this.lastAckAt > this.lostAfterMs;
  }

  private startDeadlineTimer(): void {
    this.stopDeadlineTimer();
    const every = Math.max(20, Math.min(250, Math.floor(this.lostAfterMs / 10)));
    this.timer = setInterval(() => {
      if (this.stateValue === 'alive' && this.expired()) {
        this.declareLost(`no keepalive acknowledged for ${Math.round(this.sinceLastAckMs())} ms`);
      }
    }, every);
    this.timer.unref();
  }

  private stopDeadlineTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private declareLost(reason: string): void {
    if (this.stateValue !== 'alive') return;
    this.stateValue = 'lost';
    this.stopDeadlineTimer();
    this.log.warn({ leaseId: this.id, reason }, 'etcd session lost');
    this.dropLease();
    this.emit('lost', reason);
  }

  /**
   * Stops keepalives and revokes in the background: once we consider the lease lost we must not
   * keep it alive, or keys guarded by it (a leader key) would outlive our claim to them.
   */
  private dropLease(): void {
    const lease = this.lease;
    this.lease = undefined;
    if (!lease) return;
    lease.revoke({ deadline: Date.now() + 2000 }).catch(() => lease.release());
  }
}

/**
 * Replaces a lost session with a new lease (re-registering its keys), retrying with a capped
 * backoff until it succeeds or `stopped()` says to give up: an etcd outage must end with every
 * process registered again. Returns a function that stops renewing.
 */
export function renewOnLoss(session: EtcdSession, log: Log, stopped: () => boolean = () => false): () => void {
  let renewing = false;
  const onLost = async (reason: string) => {
    if (renewing) return;
    renewing = true;
    log.warn({ reason }, 'etcd session lost; re-registering');
    try {
      for (let attempt = 0; !stopped() && session.state !== 'closed'; attempt++) {
        try {
          await session.recreate();
          log.info({ leaseId: session.leaseId }, 'etcd session re-created');
          return;
        } catch (e) {
          log.warn({ err: errMessage(e), attempt }, 'could not re-create etcd session; retrying');
          await new Promise((r) => setTimeout(r, Math.min(2000, 200 * (attempt + 1))));
        }
      }
    } finally {
      renewing = false;
    }
  };
  session.on('lost', onLost);
  return () => session.off('lost', onLost);
}
