import { formatThrottledReplicas, isThrottled, reassignmentThrottles, ReplicationQuota, throttledPartitions } from './index';

describe('ReplicationQuota', () => {
  const clock = () => {
    let t = 1_000_000;
    return { now: () => t, advance: (ms: number) => void (t += ms) };
  };

  it('is never exceeded while unbounded', () => {
    const c = clock();
    const q = new ReplicationQuota({ now: c.now });
    q.record(1e12);
    expect(q.bounded).toBe(false);
    expect(q.isQuotaExceeded()).toBe(false);
  });

  it('measures over at least windowNum - 1 windows, as Kafka\'s Rate does', () => {
    const c = clock();
    const q = new ReplicationQuota({ now: c.now, windowNum: 11, windowSizeMs: 1_000 });
    q.updateQuota(1_000_000);
    q.record(5_000_000);
    // 5 MB in the first instant counts as 5 MB over 10 s: 0.5 MB/s, under the bound.
    expect(q.rate()).toBeCloseTo(500_000, -3);
    expect(q.isQuotaExceeded()).toBe(false);
    q.record(6_000_000);
    expect(q.isQuotaExceeded()).toBe(true);
  });

  it('holds a steady mover to the bound', () => {
    const c = clock();
    const q = new ReplicationQuota({ now: c.now, windowNum: 11, windowSizeMs: 1_000 });
    q.updateQuota(1_000_000);
    // A mover that reads 256 KiB whenever the quota allows, every 10 ms, for 60 s.
    let moved = 0;
    for (let ms = 0; ms < 60_000; ms += 10) {
      if (!q.isQuotaExceeded()) {
        q.record(262_144);
        moved += 262_144;
      }
      c.advance(10);
    }
    const rate = moved / 60;
    // The first windows allow a burst (10 s worth); over 60 s the average stays near the bound.
    expect(rate).toBeGreaterThan(900_000);
    expect(rate).toBeLessThan(1_300_000);
  });

  it('forgets samples older than the window', () => {
    const c = clock();
    const q = new ReplicationQuota({ now: c.now, windowNum: 3, windowSizeMs: 1_000 });
    q.updateQuota(100);
    q.record(10_000);
    expect(q.isQuotaExceeded()).toBe(true);
    c.advance(4_001);
    expect(q.rate()).toBe(0);
    expect(q.isQuotaExceeded()).toBe(false);
    expect(q.totalBytes).toBe(10_000);
  });

  it('treats Long.MAX_VALUE, negative and NaN bounds as unbounded', () => {
    const q = new ReplicationQuota();
    for (const v of [9223372036854775807, -1, NaN]) {
      q.updateQuota(v);
      expect(q.bounded).toBe(false);
    }
    q.updateQuota(0);
    expect(q.bounded).toBe(true);
  });
});

describe('throttled replica lists', () => {
  it('applies only the pairs naming this broker', () => {
    expect(isThrottled('0:1,0:2,1:3', 0, 2)).toBe(true);
    expect(isThrottled('0:1,0:2,1:3', 1, 2)).toBe(false);
    expect(isThrottled('0:1,0:2,1:3', 1, 3)).toBe(true);
    expect(throttledPartitions(' 4 : 7 , 5:7', 7)).toEqual(new Set([4, 5]));
  });

  it('understands * and the empty list', () => {
    expect(isThrottled('*', 9, 9)).toBe(true);
    expect(isThrottled('', 0, 1)).toBe(false);
    expect(isThrottled(undefined, 0, 1)).toBe(false);
  });

  it('formats pairs sorted and without duplicates', () => {
    expect(formatThrottledReplicas([{ partition: 1, broker: 3 }, { partition: 0, broker: 2 }, { partition: 0, broker: 1 }, { partition: 0, broker: 2 }])).toBe('0:1,0:2,1:3');
  });
});

describe('reassignmentThrottles', () => {
  it('throttles current replicas as leaders and added ones as followers, skipping reorders', () => {
    const t = reassignmentThrottles([
      { topic: 'a', partition: 0, current: [1, 2], target: [2, 3] },
      { topic: 'a', partition: 1, current: [2, 1], target: [1, 2] },
      { topic: 'b', partition: 4, current: [5], target: [6] },
    ]);
    expect(t.brokers).toEqual([1, 2, 3, 5, 6]);
    expect([...t.topics]).toEqual([['a', { leader: '0:1,0:2', follower: '0:3' }], ['b', { leader: '4:5', follower: '4:6' }]]);
  });
});
