import { CleanerThrottle } from './cleaner-throttle';

describe('CleanerThrottle', () => {
  it('sleeps so that bytes over a window keep to the rate', async () => {
    const t = new CleanerThrottle(1_000_000, 0);
    const started = Date.now();
    await t.maybeThrottle(200_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it('never sleeps when unlimited', async () => {
    for (const rate of [0, Number.MAX_SAFE_INTEGER, 9223372036854775807]) {
      const t = new CleanerThrottle(rate, 0);
      expect(t.unlimited).toBe(true);
      const started = Date.now();
      await t.maybeThrottle(1 << 30);
      expect(Date.now() - started).toBeLessThan(50);
    }
  });
});
