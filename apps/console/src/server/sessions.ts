import { randomBytes, timingSafeEqual } from 'node:crypto';

export interface Credentials {
  username: string;
  password: string;
}

/** What a session holds: the user's own Kafka connections and what runs on them. */
export interface SessionResources {
  close(): void;
}

export interface Session<R extends SessionResources> {
  id: string;
  /** Null for the shared session of a cluster without SASL. */
  username: string | null;
  resources: R;
  createdAt: number;
  lastUsedAt: number;
}

export interface SessionStoreOptions<R extends SessionResources> {
  /** Opens the user's resources, proving the credentials (the SASL handshake); throws when refused. */
  open: (user: Credentials | null) => Promise<R>;
  /** True: every request needs a login. False: one shared anonymous session, no login. */
  loginRequired: boolean;
  idleTimeoutMs: number;
  now?: () => number;
}

export const SESSION_COOKIE = 'dms_console_session';
const MAX_SESSIONS = 1000;

/**
 * Login sessions: one set of Kafka connections per logged-in user, so the cluster's ACLs decide
 * what each sees. A session ends on logout or after idleTimeoutMs without a request, and its
 * connections close with it. Ids are 256 random bits; only their holder's cookie knows them.
 */
export class SessionStore<R extends SessionResources> {
  private readonly sessions = new Map<string, Session<R>>();
  private shared: Promise<Session<R>> | undefined;
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly opts: SessionStoreOptions<R>) {
    this.now = opts.now ?? Date.now;
    this.sweeper = setInterval(() => this.sweep(), Math.min(60_000, Math.max(1000, opts.idleTimeoutMs / 4)));
    this.sweeper.unref();
  }

  get loginRequired(): boolean {
    return this.opts.loginRequired;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Logs a user in; the returned session's id goes into the cookie. */
  async login(user: Credentials): Promise<Session<R>> {
    if (!this.opts.loginRequired) throw new Error('this console has no login: the cluster listener has no SASL');
    if (!user.username || typeof user.password !== 'string') throw new RangeError('username and password are required');
    this.sweep();
    if (this.sessions.size >= MAX_SESSIONS) throw new Error('too many open sessions; try again later');
    const resources = await this.opts.open(user);
    const t = this.now();
    const s: Session<R> = { id: randomBytes(32).toString('base64url'), username: user.username, resources, createdAt: t, lastUsedAt: t };
    this.sessions.set(s.id, s);
    return s;
  }

  /** The live session for a cookie value (touching it), the shared one without SASL, else undefined. */
  async get(id: string | undefined): Promise<Session<R> | undefined> {
    if (!this.opts.loginRequired) {
      this.shared ??= this.opts.open(null).then((resources) => ({ id: '', username: null, resources, createdAt: this.now(), lastUsedAt: this.now() }));
      try {
        return await this.shared;
      } catch (e) {
        this.shared = undefined;
        throw e;
      }
    }
    if (!id) return undefined;
    const s = this.find(id);
    if (!s) return undefined;
    if (this.now() - s.lastUsedAt > this.opts.idleTimeoutMs) {
      this.end(s);
      return undefined;
    }
    s.lastUsedAt = this.now();
    return s;
  }

  logout(id: string | undefined): boolean {
    const s = id ? this.find(id) : undefined;
    if (!s) return false;
    this.end(s);
    return true;
  }

  /** Ends every idle-expired session. */
  sweep(): void {
    const t = this.now();
    for (const s of [...this.sessions.values()]) if (t - s.lastUsedAt > this.opts.idleTimeoutMs) this.end(s);
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const s of [...this.sessions.values()]) this.end(s);
    this.shared?.then((s) => s.resources.close(), () => undefined);
    this.shared = undefined;
  }

  private find(id: string): Session<R> | undefined {
    // Constant-time comparison: the id is the only secret a session has.
    const given = Buffer.from(id);
    for (const s of this.sessions.values()) {
      const mine = Buffer.from(s.id);
      if (mine.length === given.length && timingSafeEqual(mine, given)) return s;
    }
    return undefined;
  }

  private end(s: Session<R>): void {
    this.sessions.delete(s.id);
    try {
      s.resources.close();
    } catch {
      /* closing is best effort */
    }
  }
}

/** The value of one cookie from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** Set-Cookie for a session: httpOnly, SameSite=Strict, Secure over HTTPS. */
export function sessionCookie(id: string, secure: boolean, maxAgeSeconds?: number): string {
  const parts = [`${SESSION_COOKIE}=${encodeURIComponent(id)}`, 'Path=/', 'HttpOnly', 'SameSite=Strict'];
  if (secure) parts.push('Secure');
  if (maxAgeSeconds !== undefined) parts.push(`Max-Age=${maxAgeSeconds}`);
  return parts.join('; ');
}
