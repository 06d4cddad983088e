import { Ring, SeriesStore } from './ring';
import { rate } from './sampler';

describe('Ring', () => {
  it('keeps the newest points, oldest first', () => {
    const r = new Ring(3);
    for (let t = 1; t <= 5; t++) r.push({ t, v: t * 10 });
    expect(r.size).toBe(3);
    expect(r.points()).toEqual([{ t: 3, v: 30 }, { t: 4, v: 40 }, { t: 5, v: 50 }]);
    expect(r.points(4).map((p) => p.t)).toEqual([4, 5]);
    expect(r.last()).toEqual({ t: 5, v: 50 });
  });

  it('refuses a capacity below one', () => {
    expect(() => new Ring(0)).toThrow(RangeError);
  });

  it('SeriesStore makes a ring per name and lists them by prefix', () => {
    const s = new SeriesStore(2);
    s.push('group.lag:a', { t: 1, v: 1 });
    s.push('group.lag:a', { t: 2, v: 2 });
    s.push('group.lag:a', { t: 3, v: 3 });
    s.push('topic.x', { t: 1, v: 1 });
    expect(s.get('group.lag:a')).toEqual([{ t: 2, v: 2 }, { t: 3, v: 3 }]);
    expect(s.names('group.')).toEqual(['group.lag:a']);
    expect(s.get('missing')).toEqual([]);
  });
});

describe('rate', () => {
  it('is per second between two samples, and undefined without a first sample or after a reset', () => {
    expect(rate(undefined, { t: 1000, v: 5 })).toBeNull();
    expect(rate({ t: 1000, v: 100 }, { t: 3000, v: 300 })).toBe(100);
    expect(rate({ t: 1000, v: 100 }, { t: 2000, v: 50 })).toBeNull();
    expect(rate({ t: 1000, v: 100 }, { t: 1000, v: 150 })).toBeNull();
  });
});
