import { spreadLeaders, type SpreadPartition } from './leader-spread';

const gw = (id: number, rack: string | null = null) => ({ id, host: '127.0.0.1', port: 9000 + id, rack, listeners: {}, startTimeMs: 0 });
const parts = (n: number, rack: string | null = null): SpreadPartition[] => Array.from({ length: n }, (_, partition) => ({ partition, leaderRack: rack }));
const counts = (m: Map<number, number>) => {
  const c = new Map<number, number>();
  for (const g of m.values()) c.set(g, (c.get(g) ?? 0) + 1);
  return c;
};
const moved = (a: Map<number, number>, b: Map<number, number>) => [...a].filter(([p, g]) => b.get(p) !== g).length;

describe('spreadLeaders', () => {
  it('gives each gateway floor(n/g) or ceil(n/g) of every topic\'s partitions', () => {
    for (const g of [1, 2, 3, 4, 5, 7]) {
      const gateways = Array.from({ length: g }, (_, i) => gw(i + 1));
      for (const n of [1, 2, 3, 5, 12, 50, 64, 101]) {
        for (const topic of ['orders', 'payments', '__consumer_offsets']) {
          const m = spreadLeaders(topic, parts(n), gateways);
          expect(m.size).toBe(n);
          const c = counts(m);
          const loads = gateways.map((x) => c.get(x.id) ?? 0);
          expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(1);
        }
      }
    }
  });

  it('gives every gateway the same answer, whatever the order it lists the gateways in', () => {
    const gateways = [gw(1, 'a'), gw(2, 'b'), gw(3, 'a'), gw(4, null)];
    const one = spreadLeaders('orders', parts(40, 'a'), gateways);
    const other = spreadLeaders('orders', parts(40, 'a'), [...gateways].reverse());
    expect([...other].sort((x, y) => x[0] - y[0])).toEqual([...one].sort((x, y) => x[0] - y[0]));
  });

  it('places partitions in their storage leader\'s rack while the balance allows', () => {
    const gateways = [gw(1, 'a'), gw(2, 'b'), gw(3, 'c')];
    // Six partitions led in each rack: every one can stay in its rack, two per gateway.
    const ps = Array.from({ length: 18 }, (_, partition) => ({ partition, leaderRack: ['a', 'b', 'c'][partition % 3]! }));
    const m = spreadLeaders('orders', ps, gateways);
    for (const p of ps) expect(gateways.find((g) => g.id === m.get(p.partition))!.rack).toBe(p.leaderRack);
    // All led in rack a: balance first (6 each), rack a's gateway gets its full share.
    const skewed = spreadLeaders('orders', parts(18, 'a'), gateways);
    expect([...counts(skewed).values()]).toEqual([6, 6, 6]);
  });

  it('moves little more than the minimum when a gateway joins or leaves', () => {
    // The minimum: what the joining gateway takes, what the leaving one had. Evening out the
    // shares moves a few more: never as much as one more gateway's share.
    const bound = (min: number, n: number, g: number) => min + Math.ceil(n / g);
    for (const topic of ['orders', 'payments', 'clicks', '__consumer_offsets']) {
      for (const [n, g] of [[12, 3], [50, 3], [50, 5], [100, 4], [64, 8], [1000, 6]] as const) {
        const before = Array.from({ length: g }, (_, i) => gw(i + 1));
        const a = spreadLeaders(topic, parts(n), before);
        const joined = spreadLeaders(topic, parts(n), [...before, gw(g + 1)]);
        const taken = counts(joined).get(g + 1) ?? 0;
        expect(taken).toBeGreaterThanOrEqual(Math.floor(n / (g + 1)));
        expect(moved(a, joined)).toBeLessThanOrEqual(bound(taken, n, g + 1));
        const leaver = 1 + (n % g);
        const left = spreadLeaders(topic, parts(n), before.filter((x) => x.id !== leaver));
        const had = counts(a).get(leaver) ?? 0;
        expect(moved(a, left)).toBeGreaterThanOrEqual(had);
        expect(moved(a, left)).toBeLessThanOrEqual(bound(had, n, g));
      }
    }
  });

  it('has no answer without gateways or partitions', () => {
    expect(spreadLeaders('t', parts(3), []).size).toBe(0);
    expect(spreadLeaders('t', [], [gw(1)]).size).toBe(0);
  });
});
