import { EventEmitter } from 'node:events';
import type { Etcd3, IKeyValue, Watcher } from 'etcd3';
import { errMessage, silentLog, type Log } from './logger';

export interface CacheEntry<T> {
  value: T;
  createRevision: bigint;
  modRevision: bigint;
}

export type CacheChange<T> =
  | { type: 'put'; key: string; entry: CacheEntry<T>; previous?: CacheEntry<T> }
  | { type: 'delete'; key: string; previous: CacheEntry<T> };

export interface PrefixWatchOptions<T> {
  prefix: string;
  /** undefined = ignore this key (unknown key, or a value that fails validation; logged). */
  decode: (key: string, value: Buffer) => T | undefined;
  log?: Log;
  /** Delay before re-listing after a failure. */
  retryMs?: number;
  /**
   * How often to read etcd's current revision (default 5000 ms; 0 = never). A revision below the
   * one this cache has seen means etcd's store was replaced (restored from an old snapshot, or
   * wiped and started empty): a watch from the old revision would then wait silently for a future
   * that never names the keys that vanished, so the cache re-lists instead.
   */
  probeMs?: number;
}

/**
 * A local copy of every key under a prefix: list at revision R, then watch from R+1. When the
 * watch is cancelled (compaction) or listing fails, it re-lists and emits the difference as
 * ordinary changes, so consumers never need a separate "resync" path.
 *
 * A periodic read of etcd's revision detects a store that went backwards (wiped, or restored from
 * an old snapshot) and re-lists too, so keys that vanished with it do not stay served from here.
 *
 * Events: 'change' (CacheChange<T>), 'synced' (revision: bigint) after each (re-)list.
 */
export class PrefixWatch<T> extends EventEmitter {
  private readonly entries = new Map<string, CacheEntry<T>>();
  private watcher?: Watcher;
  private closed = false;
  private revisionValue = 0n;
  private retryTimer?: NodeJS.Timeout;
  private probeTimer?: NodeJS.Timeout;
  private probing = false;
  private readonly log: Log;
  /** Resolves after the first successful list. */
  readonly ready: Promise<void>;
  private resolveReady!: () => void;

  constructor(
    private readonly client: Etcd3,
    private readonly opts: PrefixWatchOptions<T>,
  ) {
    super();
    this.log = opts.log ?? silentLog;
    this.ready = new Promise((r) => (this.resolveReady = r));
  }

  /** Starts listing and watching; await `ready` for the first snapshot. */
  start(): this {
    void this.sync();
    return this;
  }

  get revision(): bigint {
    return this.revisionValue;
  }

  get(key: string): CacheEntry<T> | undefined {
    return this.entries.get(key);
  }

  get map(): ReadonlyMap<string, CacheEntry<T>> {
    return this.entries;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.probeTimer) clearInterval(this.probeTimer);
    await this.dropWatcher();
  }

  private async dropWatcher(): Promise<void> {
    const w = this.watcher;
    this.watcher = undefined;
    if (!w) return;
    w.removeAllListeners();
    w.on('error', () => undefined);
    await w.cancel().catch(() => undefined);
  }

  private scheduleResync(why: string): void {
    if (this.closed || this.retryTimer) return;
    this.log.warn({ prefix: this.opts.prefix, why }, 'watch cache re-listing');
    void this.dropWatcher();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.sync();
    }, this.opts.retryMs ?? 500);
  }

  private async sync(): Promise<void> {
    if (this.closed) return;
    let res;
    try {
      res = await this.client.getAll().prefix(this.opts.prefix).exec();
    } catch (e) {
      return this.scheduleResync(`list failed: ${errMessage(e)}`);
    }
    if (this.closed) return;
    const revision = BigInt(res.header.revision);
    const seen = new Set<string>();
    for (const kv of res.kvs) {
      const key = kv.key.toString('utf8');
      seen.add(key);
      this.apply(key, kv);
    }
    for (const [key, previous] of [...this.entries]) {
      if (!seen.has(key)) {
        this.entries.delete(key);
        this.emit('change', { type: 'delete', key, previous } satisfies CacheChange<T>);
      }
    }
    this.revisionValue = revision;
    this.watch(revision + 1n);
    this.startProbe();
    this.emit('synced', revision);
    this.resolveReady();
  }

  private watch(from: bigint): void {
    const w = this.client.watch().prefix(this.opts.prefix).startRevision(from.toString()).watcher();
    this.watcher = w;
    w.on('put', (kv: IKeyValue) => {
      this.apply(kv.key.toString('utf8'), kv);
      this.bump(kv.mod_revision);
    });
    w.on('delete', (kv: IKeyValue) => {
      const key = kv.key.toString('utf8');
      const previous = this.entries.get(key);
      this.bump(kv.mod_revision);
      if (!previous) return;
      this.entries.delete(key);
      this.emit('change', { type: 'delete', key, previous } satisfies CacheChange<T>);
    });
    // etcd3 reconnects a disconnected watch by itself from its last revision; an 'error' means
    // the watch was cancelled (typically the revision was compacted away), so only a re-list helps.
    w.on('error', (e) => this.scheduleResync(`watch cancelled: ${errMessage(e)}`));
  }

  private startProbe(): void {
    const every = this.opts.probeMs ?? 5000;
    if (every <= 0 || this.probeTimer || this.closed) return;
    this.probeTimer = setInterval(() => void this.probe(), every);
    this.probeTimer.unref();
  }

  /** Reads etcd's current revision; one below what this cache has seen means a replaced store. */
  private async probe(): Promise<void> {
    if (this.probing || this.closed || this.retryTimer) return;
    this.probing = true;
    try {
      const res = await this.client.get(this.opts.prefix).exec();
      const current = BigInt(res.header.revision);
      if (!this.closed && current < this.revisionValue) {
        this.scheduleResync(`etcd revision went back from ${this.revisionValue} to ${current}: store replaced`);
      }
    } catch {
      // Unreachable etcd: the watch's own reconnects and the next probe deal with it.
    } finally {
      this.probing = false;
    }
  }

  private bump(rev: string): void {
    const r = BigInt(rev);
    if (r > this.revisionValue) this.revisionValue = r;
  }

  private apply(key: string, kv: IKeyValue): void {
    let value: T | undefined;
    try {
      value = this.opts.decode(key, kv.value);
    } catch {
      value = undefined;
    }
    const previous = this.entries.get(key);
    const modRevision = BigInt(kv.mod_revision);
    if (previous && previous.modRevision === modRevision) return;
    if (value === undefined) {
      // Unknown or invalid: forget any older valid value rather than serve a stale one.
      if (previous) {
        this.entries.delete(key);
        this.emit('change', { type: 'delete', key, previous } satisfies CacheChange<T>);
      }
      return;
    }
    const entry: CacheEntry<T> = { value, createRevision: BigInt(kv.create_revision), modRevision };
    this.entries.set(key, entry);
    this.emit('change', { type: 'put', key, entry, previous } satisfies CacheChange<T>);
  }
}
