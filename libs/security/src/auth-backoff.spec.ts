import { AuthBackoff } from './auth-backoff';

describe('AuthBackoff', () => {
  let now = 0;
  const clock = () => now;

  beforeEach(() => {
    now = 1_000_000;
  });

  it('doubles the delay per failure from one address up to the cap; other addresses never wait', () => {
    const b = new AuthBackoff({ baseMs: 100, maxMs: 1000, now: clock });
    expect(b.reserveAttempt('10.0.0.1')).toBe(0);
    expect([1, 2, 3, 4, 5, 6].map(() => b.failed('10.0.0.1'))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(b.delayMs('10.0.0.2')).toBe(0);
    expect(b.reserveAttempt('10.0.0.2')).toBe(0);
  });

  it('spaces attempts from a failing address one delay apart however many connections it opens', () => {
    const b = new AuthBackoff({ baseMs: 100, maxMs: 1000, now: clock });
    b.failed('10.0.0.1');
    b.failed('10.0.0.1'); // delay now 200, next attempt no sooner than now + 200
    const waits = Array.from({ length: 5 }, () => b.reserveAttempt('10.0.0.1'));
    expect(waits).toEqual([200, 400, 600, 800, 1000]);
    now += 5000;
    expect(b.reserveAttempt('10.0.0.1')).toBe(0);
  });

  it('halves an address\'s failures on a successful login from it', () => {
    const b = new AuthBackoff({ baseMs: 100, maxMs: 10_000, now: clock });
    for (let i = 0; i < 6; i++) b.failed('10.0.0.1');
    expect(b.delayMs('10.0.0.1')).toBe(3200);
    b.succeeded('10.0.0.1');
    expect(b.delayMs('10.0.0.1')).toBe(400);
    b.succeeded('10.0.0.1');
    b.succeeded('10.0.0.1');
    expect(b.delayMs('10.0.0.1')).toBe(0);
    expect(b.trackedHosts).toBe(0);
  });

  it('forgets a quiet address and bounds the addresses it tracks', () => {
    const b = new AuthBackoff({ baseMs: 100, maxMs: 1000, forgetMs: 10_000, maxHosts: 3, now: clock });
    for (let i = 0; i < 5; i++) b.failed('10.0.0.1');
    now += 10_001;
    expect(b.delayMs('10.0.0.1')).toBe(0);
    expect(b.failed('10.0.0.1')).toBe(100);
    for (const h of ['a', 'b', 'c', 'd']) b.failed(h);
    expect(b.trackedHosts).toBe(3);
    expect(b.delayMs('10.0.0.1')).toBe(0); // the oldest was dropped
    expect(b.delayMs('d')).toBe(100);
  });
});
