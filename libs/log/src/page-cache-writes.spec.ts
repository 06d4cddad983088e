import { PageCacheWrites } from './page-cache-writes';

describe('PageCacheWrites', () => {
  let now = 0;
  const policy = () => new PageCacheWrites({ slowMs: 10, minBackoffMs: 1_000, maxBackoffMs: 4_000, clock: () => now });
  beforeEach(() => { now = 5_000; });

  it('allows synchronous writes while they are fast', () => {
    const p = policy();
    for (let i = 0; i < 100; i++) {
      expect(p.syncAllowed()).toBe(true);
      expect(p.tookSync(9.9)).toBe(0);
    }
    expect(p.slowCycles).toBe(0);
  });

  it('one slow write sends writes to the thread pool for the back-off, then lets one try again', () => {
    const p = policy();
    expect(p.tookSync(120)).toBe(1_000);
    expect(p.slowCycles).toBe(1);
    expect(p.syncAllowed()).toBe(false);
    now += 999;
    expect(p.syncAllowed()).toBe(false);
    now += 1;
    expect(p.syncAllowed()).toBe(true);
  });

  it('doubles the back-off while writes after it are slow again, up to the maximum, and starts over once none was slow for the maximum', () => {
    const p = policy();
    const backoffs: number[] = [];
    for (let i = 0; i < 4; i++) {
      const b = p.tookSync(50);
      backoffs.push(b);
      now += b;
      expect(p.syncAllowed()).toBe(true);
      expect(p.tookSync(0.1)).toBe(0);
    }
    expect(backoffs).toEqual([1_000, 2_000, 4_000, 4_000]);
    now += 3_999;
    expect(p.tookSync(50)).toBe(4_000);
    now += 4_000;
    expect(p.tookSync(0.1)).toBe(0);
    expect(p.syncAllowed()).toBe(true);
    now += 4_000;
    expect(p.tookSync(50)).toBe(1_000);
  });
});
