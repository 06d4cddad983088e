import { DeadlineSweep } from './deadline-sweep';

const waitFor = async (cond: () => boolean, ms = 2_000) => {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('DeadlineSweep', () => {
  afterEach(() => jest.restoreAllMocks());

  it('arms one timer for many requests with the same timeout', async () => {
    const sweep = new DeadlineSweep<number>();
    const spy = jest.spyOn(global, 'setTimeout');
    const expired: number[] = [];
    for (let i = 0; i < 1000; i++) sweep.add(i, 30, () => expired.push(i));
    expect(spy).toHaveBeenCalledTimes(1);
    // Answered ones never expire.
    for (let i = 0; i < 1000; i += 2) expect(sweep.delete(i)).toBe(true);
    await waitFor(() => expired.length === 500);
    expect(expired).toEqual(Array.from({ length: 500 }, (_, i) => 2 * i + 1));
    expect(sweep.size).toBe(0);
    expect(sweep.delete(1)).toBe(false);
  });

  it('expires each entry at its own deadline, re-arming for an earlier one added later', async () => {
    const sweep = new DeadlineSweep<string>();
    const started = performance.now();
    const at: Record<string, number> = {};
    sweep.add('late', 400, () => (at.late = performance.now() - started));
    sweep.add('early', 40, () => (at.early = performance.now() - started));
    sweep.add('middle', 150, () => (at.middle = performance.now() - started));
    await waitFor(() => at.early !== undefined);
    expect(at.middle).toBeUndefined();
    await waitFor(() => at.late !== undefined);
    expect(at.early).toBeGreaterThanOrEqual(39);
    expect(at.early).toBeLessThan(300);
    expect(at.middle).toBeGreaterThanOrEqual(149);
    expect(at.late).toBeGreaterThanOrEqual(399);
    expect(at.middle).toBeLessThan(at.late);
  });

  it('clear drops everything without expiring and leaves no timer behind', async () => {
    const sweep = new DeadlineSweep<number>();
    const clear = jest.spyOn(global, 'clearTimeout');
    let fired = 0;
    sweep.add(1, 20, () => fired++);
    sweep.add(2, 20, () => fired++);
    sweep.clear();
    expect(clear).toHaveBeenCalled();
    await new Promise((r) => setTimeout(r, 60));
    expect(fired).toBe(0);
    // Usable again afterwards.
    sweep.add(3, 10, () => fired++);
    await waitFor(() => fired === 1);
  });

  it('uses the injected clock to decide what has expired', () => {
    jest.useFakeTimers();
    try {
      let now = 0;
      const sweep = new DeadlineSweep<number>(() => now);
      const expired: number[] = [];
      sweep.add(1, 100, () => expired.push(1));
      sweep.add(2, 300, () => expired.push(2));
      now = 100;
      jest.advanceTimersByTime(100);
      expect(expired).toEqual([1]);
      now = 300;
      jest.advanceTimersByTime(200);
      expect(expired).toEqual([1, 2]);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('DeadlineSweep with one expireKey for every entry', () => {
  it('calls expireKey with each expired key, and an entry’s own expire instead when it has one', async () => {
    const expiredKeys: number[] = [];
    const own: number[] = [];
    const sweep = new DeadlineSweep<number>(undefined, (k) => expiredKeys.push(k));
    for (let i = 0; i < 10; i++) sweep.add(i, 20);
    sweep.add(10, 20, () => own.push(10));
    expect(sweep.delete(3)).toBe(true);
    await waitFor(() => expiredKeys.length === 9 && own.length === 1);
    expect(expiredKeys).toEqual([0, 1, 2, 4, 5, 6, 7, 8, 9]);
    expect(own).toEqual([10]);
    expect(sweep.size).toBe(0);
  });

  it('refuses an entry with no expire callback at all', () => {
    expect(() => new DeadlineSweep<number>().add(1, 10)).toThrow(/no expire callback/);
  });
});
