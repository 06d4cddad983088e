import { ReadCheck } from './read-check';

const recs = (from: number, to: number, tag = '') => Array.from({ length: to - from + 1 }, (_, i) => ({ offset: BigInt(from + i), value: `0:${from + i}${tag}` }));

describe('chaos read check', () => {
  it('a consumer moving forward sees nothing stale, and what it read is in the final log', () => {
    const c = new ReadCheck();
    let pos = c.observe(0, 0n, 3n, recs(0, 2));
    expect(pos).toBe(3n);
    pos = c.observe(0, pos, 3n, []);
    // A batch that starts before the position (batch granularity) is not stale.
    pos = c.observe(0, pos, 6n, recs(2, 5));
    expect(pos).toBe(6n);
    expect(c.verdict(new Map([[0, recs(0, 9)]]))).toEqual({ staleReads: 0, staleSamples: [], vanishedReads: 0, vanishedSamples: [], consumed: 6 });
  });

  it('counts a record below the highest offset already read, and a high watermark that went back', () => {
    const c = new ReadCheck();
    const pos = c.observe(0, 0n, 5n, recs(0, 4));
    c.observe(0, pos, 5n, recs(1, 2));
    c.observe(0, pos, 3n, []);
    c.observe(1, 0n, 2n, recs(0, 1));
    c.outOfRange(1, 2n);
    c.outOfRange(2, 0n);
    const v = c.verdict(new Map([[0, recs(0, 4)], [1, recs(0, 1)]]));
    expect(v.staleReads).toBe(3);
    expect(v.staleSamples).toEqual([
      'partition 0: offset 1 served after offset 4 was read',
      'partition 0: high watermark 3 after offset 4 was read',
      'partition 1: offset 2 out of range after offset 1 was read',
    ]);
    expect(v.vanishedReads).toBe(0);
  });

  it('counts reads the final log no longer holds (truncated, or replaced by other records)', () => {
    const c = new ReadCheck();
    c.observe(0, 0n, 4n, recs(0, 3));
    const final = new Map([[0, [...recs(0, 1), { offset: 2n, value: '0:9' }]]]);
    const v = c.verdict(final);
    expect(v.vanishedReads).toBe(2);
    expect(v.vanishedSamples).toEqual(["partition 0 offset 2: read '0:2', log now holds '0:9'", "partition 0 offset 3: read '0:3', log now holds nothing"]);
  });
});
