import { EventEmitter } from 'node:events';
import type { Etcd3, IKeyValue, Watcher } from 'etcd3';
import { fencedTxn } from './fenced';
import { errMessage, silentLog, type Log } from './logger';
import type { EtcdSession } from './session';

export interface ElectionOptions {
  /** The election key (controller/leader). */
  key: string;
  /** The value to write; `epoch` is the fencing token once known, 0 in the creating txn. */
  value: (epoch: number) => string;
  /** Upper bound between campaign attempts even when no watch event arrives. */
  retryIntervalMs?: number;
  log?: Log;
}

/**
 * Leader election on one key: txn If(createRevision(key)==0) Then put(key, value, lease). The
 * winner's fencing token is the key's createRevision; every leader write must go through
 * `fencedTxn(client, key, revision)`. Losers watch the key and retry when it goes.
 *
 * Events: 'elected' (revision: string), 'lost-leadership' (reason: string).
 */
export class LeaderElection extends EventEmitter {
  private myRevision: string | undefined;
  private stopped = false;
  private running?: Promise<void>;
  /** Wakes the loop early (session lost/recreated, stop). */
  private wake: () => void = () => {};
  private readonly log: Log;
  private readonly onSessionLost = (reason: string) => this.stepDown(`session lost: ${reason}`);
  private readonly onSessionRecreated = () => this.wake();

  constructor(
    private readonly client: Etcd3,
    private readonly session: EtcdSession,
    private readonly opts: ElectionOptions,
  ) {
    super();
    this.log = opts.log ?? silentLog;
  }

  get isLeader(): boolean {
    return this.myRevision !== undefined && this.session.alive;
  }

  /** The fencing token (createRevision of the election key) while leader. */
  get revision(): string | undefined {
    return this.isLeader ? this.myRevision : undefined;
  }

  start(): void {
    if (this.running) return;
    this.session.on('lost', this.onSessionLost);
    this.session.on('recreated', this.onSessionRecreated);
    this.running = this.loop();
  }

  /** Stops campaigning and, if leader, deletes the key (fenced) so a standby takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.session.off('lost', this.onSessionLost);
    this.session.off('recreated', this.onSessionRecreated);
    const rev = this.myRevision;
    this.myRevision = undefined;
    this.wake();
    await this.running;
    if (rev !== undefined) {
      await fencedTxn(this.client, this.opts.key, rev)
        .then(this.client.delete().key(this.opts.key))
        .commit()
        .catch(() => undefined);
    }
  }

  private stepDown(reason: string): void {
    if (this.myRevision === undefined) return;
    this.myRevision = undefined;
    this.log.warn({ key: this.opts.key, reason }, 'lost leadership');
    this.emit('lost-leadership', reason);
    this.wake();
  }

  private async loop(): Promise<void> {
    const retryMs = this.opts.retryIntervalMs ?? 1000;
    while (!this.stopped) {
      try {
        if (!this.session.alive) {
          await this.sleep(retryMs);
          continue;
        }
        const observed = await this.campaignOnce();
        if (this.stopped) break;
        if (this.myRevision !== undefined) {
          // The timeout re-verifies the key by txn in case the watch silently stopped delivering.
          await this.watchKey(this.myRevision, undefined, retryMs * 3);
        } else {
          await this.watchKey(observed.createRevision, observed.revision, retryMs);
        }
      } catch (e) {
        this.log.warn({ key: this.opts.key, err: errMessage(e) }, 'election attempt failed; retrying');
        await this.sleep(retryMs);
      }
    }
  }

  /** One txn; on success this process is leader. Returns the key's current createRevision. */
  private async campaignOnce(): Promise<{ createRevision: string | undefined; revision: string }> {
    const { key, value } = this.opts;
    const leaseId = this.session.leaseId;
    const res = await this.client
      .if(key, 'Create', '==', 0)
      .then(this.client.put(key).value(value(0)).lease(leaseId))
      .else(this.client.get(key))
      .commit();
    const revision = String(res.header.revision);
    if (res.succeeded) {
      if (this.myRevision !== undefined) this.stepDown('leader key vanished');
      // A txn's writes carry the txn's revision, so this is the key's createRevision.
      if (!this.session.alive || this.session.leaseId !== leaseId) {
        throw new Error('session lost while campaigning');
      }
      this.myRevision = revision;
      await fencedTxn(this.client, key, revision)
        .then(this.client.put(key).value(value(Number(revision))).lease(leaseId))
        .commit();
      if (this.myRevision !== revision) return { createRevision: revision, revision };
      this.log.info({ key, revision }, 'elected leader');
      this.emit('elected', revision);
      return { createRevision: revision, revision };
    }
    const kv: IKeyValue | undefined = res.responses[0]?.response_range?.kvs?.[0];
    if (this.myRevision !== undefined && String(kv?.create_revision) !== this.myRevision) {
      this.stepDown(`leader key now has createRevision ${kv?.create_revision}`);
    }
    return { createRevision: kv?.create_revision, revision };
  }

  /**
   * Resolves when the key is deleted or re-created, the loop is woken, or `timeoutMs` passes.
   * As leader (`leaderRevision` set) a change of the key means we were deposed.
   */
  private watchKey(createRevision: string | undefined, fromRevision: string | undefined, timeoutMs?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let watcher: Watcher | undefined;
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        this.wake = () => {};
        const w = watcher;
        watcher = undefined;
        if (w) {
          w.removeAllListeners();
          w.on('error', () => undefined);
          void w.cancel().catch(() => undefined);
        }
        resolve();
      };
      this.wake = done;
      if (this.stopped) return done();
      if (timeoutMs !== undefined) timer = setTimeout(done, timeoutMs);
      const asLeader = this.myRevision !== undefined && this.myRevision === createRevision;
      const start = fromRevision !== undefined ? BigInt(fromRevision) + 1n : BigInt(createRevision ?? '0') + 1n;
      watcher = this.client.watch().key(this.opts.key).startRevision(start.toString()).watcher();
      watcher.on('delete', () => {
        if (asLeader) this.stepDown('leader key deleted');
        done();
      });
      watcher.on('put', (kv: IKeyValue) => {
        if (String(kv.create_revision) === createRevision) return; // our own epoch rewrite, or a value update
        if (asLeader) this.stepDown(`leader key re-created at revision ${kv.create_revision}`);
        done();
      });
      watcher.on('error', (e) => {
        this.log.warn({ err: errMessage(e) }, 'election watch failed');
        done();
      });
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => done(), ms);
      const done = () => {
        clearTimeout(t);
        this.wake = () => {};
        resolve();
      };
      this.wake = done;
      if (this.stopped) done();
    });
  }
}
