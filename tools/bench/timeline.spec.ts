import { LatencyTimeline } from './timeline';

describe('LatencyTimeline', () => {
  it('groups latencies by due time and reports each window', () => {
    const t = new LatencyTimeline(100, 10);
    for (let i = 0; i < 100; i++) t.add(i, 1 + (i % 2));
    t.add(150, 40);
    t.add(160, 2);
    t.add(420, 5);
    const w = t.summary();
    expect(w.map((x) => x.fromMs)).toEqual([0, 100, 400]);
    expect(w[0]).toMatchObject({ count: 100, p50: 2, max: 2, slow: 0 });
    expect(w[1]).toMatchObject({ count: 2, max: 40, slow: 1 });
    expect(w[2]).toMatchObject({ count: 1, p50: 5, p99: 5, max: 5, slow: 0 });
  });

  it('refuses an empty window', () => {
    expect(() => new LatencyTimeline(0, 10)).toThrow(/longer than 0/);
  });
});
