import { dueAtMs, dueBy, itemsInRun, LingerGrouper, roundRobin } from './schedule';

describe('open-loop schedule', () => {
  it('puts item i at i / rate seconds, whatever came before', () => {
    expect([0, 1, 2, 999].map((i) => dueAtMs(i, 1000))).toEqual([0, 1, 2, 999]);
    expect(dueAtMs(3, 30_000)).toBeCloseTo(0.1, 12);
    expect(dueAtMs(1, 3)).toBeCloseTo(333.333, 3);
  });

  it('counts the items due by a time, including one due exactly then', () => {
    expect(dueBy(-0.5, 1000)).toBe(0);
    expect(dueBy(0, 1000)).toBe(1);
    expect(dueBy(0.999, 1000)).toBe(1);
    expect(dueBy(1, 1000)).toBe(2);
    expect(dueBy(10, 10_000)).toBe(101);
    // Floating point must not lose the item due exactly at 0.3 ms (3 * 0.1).
    expect(dueBy(dueAtMs(3, 10_000), 10_000)).toBe(4);
    expect(dueBy(5000, 1000, 100)).toBe(100);
  });

  it('holds rate x duration items in a run, the last due before its end', () => {
    expect(itemsInRun(1000, 1000)).toBe(1000);
    expect(itemsInRun(1000, 3)).toBe(3);
    expect(itemsInRun(10_000, 15_000)).toBe(150_000);
    expect(dueAtMs(itemsInRun(1000, 7) - 1, 7)).toBeLessThan(1000);
    expect(dueAtMs(itemsInRun(1000, 7), 7)).toBeGreaterThanOrEqual(1000);
  });

  it('spreads items round-robin', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((i) => roundRobin(i, 3))).toEqual([0, 1, 2, 0, 1, 2, 0]);
  });
});

describe('LingerGrouper', () => {
  it('sends every record alone at its due time without a linger', () => {
    const g = new LingerGrouper(0, 100);
    expect(g.add(0, 1.5)).toEqual([{ partition: 0, dueMs: [1.5], sendAtMs: 1.5 }]);
    expect(g.add(0, 2)).toEqual([{ partition: 0, dueMs: [2], sendAtMs: 2 }]);
    expect(g.nextSendAtMs()).toBe(Number.POSITIVE_INFINITY);
  });

  it('groups a partition\'s records due within the linger into one batch sent when it runs out', () => {
    const g = new LingerGrouper(5, 100);
    expect(g.add(0, 0)).toEqual([]);
    expect(g.add(1, 0.5)).toEqual([]);
    expect(g.add(0, 3)).toEqual([]);
    expect(g.nextSendAtMs()).toBe(5);
    expect(g.due(4.9)).toEqual([]);
    expect(g.due(5)).toEqual([{ partition: 0, dueMs: [0, 3], sendAtMs: 5 }]);
    // A record after the batch left opens the next one, with its own window.
    expect(g.add(0, 6)).toEqual([]);
    expect(g.due(5.5)).toEqual([{ partition: 1, dueMs: [0.5], sendAtMs: 5.5 }]);
    expect(g.nextSendAtMs()).toBe(11);
    expect(g.drain()).toEqual([{ partition: 0, dueMs: [6], sendAtMs: 11 }]);
    expect(g.nextSendAtMs()).toBe(Number.POSITIVE_INFINITY);
  });

  it('sends a batch as soon as it is full, at its last record\'s due time', () => {
    const g = new LingerGrouper(5, 3);
    expect(g.add(2, 0)).toEqual([]);
    expect(g.add(2, 1)).toEqual([]);
    expect(g.add(2, 2)).toEqual([{ partition: 2, dueMs: [0, 1, 2], sendAtMs: 2 }]);
    expect(g.due(100)).toEqual([]);
  });

  it('closes a batch whose linger ran out before the next record was due, even when asked late', () => {
    const g = new LingerGrouper(5, 100);
    g.add(0, 0);
    g.add(0, 4);
    // This process only gets round to the record due at 5 (and 6) after the window closed.
    expect(g.add(0, 5)).toEqual([{ partition: 0, dueMs: [0, 4], sendAtMs: 5 }]);
    expect(g.add(0, 6)).toEqual([]);
    expect(g.drain()).toEqual([{ partition: 0, dueMs: [5, 6], sendAtMs: 10 }]);
  });

  it('refuses a negative linger and empty batches', () => {
    expect(() => new LingerGrouper(-1, 1)).toThrow();
    expect(() => new LingerGrouper(1, 0)).toThrow();
  });
});
