import { readCookie, sessionCookie, SessionStore, type Credentials } from './sessions';

/** Resources whose "connection" accepts one password and records its closing. */
class Conn {
  closed = false;
  constructor(readonly user: Credentials | null) {}
  close(): void {
    this.closed = true;
  }
}

function store(opts: { loginRequired?: boolean; idleTimeoutMs?: number; clock?: { t: number } } = {}) {
  const clock = opts.clock ?? { t: 1000 };
  const opened: Conn[] = [];
  const s = new SessionStore<Conn>({
    open: async (user) => {
      if (user && user.password !== 'right') throw new Error('SASL_AUTHENTICATION_FAILED');
      const c = new Conn(user);
      opened.push(c);
      return c;
    },
    loginRequired: opts.loginRequired ?? true,
    idleTimeoutMs: opts.idleTimeoutMs ?? 10_000,
    now: () => clock.t,
  });
  return { s, opened, clock };
}

describe('SessionStore', () => {
  it('logs in with the credentials the cluster accepts and finds the session by its id', async () => {
    const { s } = store();
    await expect(s.login({ username: 'alice', password: 'wrong' })).rejects.toThrow('SASL_AUTHENTICATION_FAILED');
    const session = await s.login({ username: 'alice', password: 'right' });
    expect(session.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await s.get(session.id))?.username).toBe('alice');
    expect(await s.get(`${session.id.slice(0, -1)}x`)).toBeUndefined();
    expect(await s.get(undefined)).toBeUndefined();
    s.close();
  });

  it('gives each login its own connections and closes them on logout', async () => {
    const { s, opened } = store();
    const a = await s.login({ username: 'alice', password: 'right' });
    const b = await s.login({ username: 'bob', password: 'right' });
    expect(a.resources).not.toBe(b.resources);
    expect(s.logout(a.id)).toBe(true);
    expect(opened[0].closed).toBe(true);
    expect(opened[1].closed).toBe(false);
    expect(await s.get(a.id)).toBeUndefined();
    expect(s.logout(a.id)).toBe(false);
    s.close();
    expect(opened[1].closed).toBe(true);
  });

  it('expires a session idle for longer than the timeout, closing its connections; use keeps it alive', async () => {
    const { s, opened, clock } = store({ idleTimeoutMs: 10_000 });
    const a = await s.login({ username: 'alice', password: 'right' });
    clock.t += 9_000;
    expect(await s.get(a.id)).toBeDefined();
    clock.t += 9_000;
    expect(await s.get(a.id)).toBeDefined();
    clock.t += 10_001;
    expect(await s.get(a.id)).toBeUndefined();
    expect(opened[0].closed).toBe(true);
    const b = await s.login({ username: 'bob', password: 'right' });
    clock.t += 20_000;
    s.sweep();
    expect(s.size).toBe(0);
    expect(opened[1].closed).toBe(true);
    expect(b.id).not.toBe(a.id);
    s.close();
  });

  it('without SASL has one shared anonymous session and no login', async () => {
    const { s, opened } = store({ loginRequired: false });
    const one = await s.get(undefined);
    const two = await s.get('anything');
    expect(one).toBe(two);
    expect(one?.username).toBeNull();
    expect(opened).toHaveLength(1);
    await expect(s.login({ username: 'a', password: 'right' })).rejects.toThrow(/no login/);
    s.close();
  });
});

describe('cookies', () => {
  it('session cookies are httpOnly and SameSite=Strict, Secure over HTTPS', () => {
    expect(sessionCookie('abc', false)).toBe('dms_console_session=abc; Path=/; HttpOnly; SameSite=Strict');
    expect(sessionCookie('abc', true, 0)).toBe('dms_console_session=abc; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=0');
    expect(readCookie('a=1; dms_console_session=xyz; b=2', 'dms_console_session')).toBe('xyz');
    expect(readCookie('a=1', 'dms_console_session')).toBeUndefined();
    expect(readCookie(undefined, 'x')).toBeUndefined();
  });
});
