import { EventEmitter } from 'node:events';
import { ParkedFetches } from './parked-fetches';
import type { PartitionReplica } from './partition-replica';

const replica = () => new EventEmitter() as unknown as PartitionReplica;

describe('ParkedFetches', () => {
  it('wakes the fetches parked on a partition when it moves, after the microtasks of that turn, and forgets them', async () => {
    const parked = new ParkedFetches();
    const a = replica();
    const b = replica();
    const woken: string[] = [];
    void parked.park([a, b], 30_000).then(() => woken.push('on a and b'));
    void parked.park([b], 30_000).then(() => woken.push('on b'));
    expect(parked.size).toBe(2);
    a.emit('append');
    a.emit('append'); // a second move of the same turn changes nothing
    await Promise.resolve();
    expect(woken).toEqual([]); // not before the turn's microtasks have run
    await new Promise((r) => setImmediate(r));
    expect(woken).toEqual(['on a and b']);
    expect(parked.size).toBe(1);
    b.emit('append');
    await new Promise((r) => setImmediate(r));
    expect(woken).toEqual(['on a and b', 'on b']);
    expect(parked.size).toBe(0);
  });

  it('answers each fetch at its own maxWait with one timer, earliest first', async () => {
    const parked = new ParkedFetches();
    const a = replica();
    const started = Date.now();
    const at: Record<string, number> = {};
    const late = parked.park([a], 120).then(() => (at.late = Date.now() - started));
    const early = parked.park([a, undefined], 40).then(() => (at.early = Date.now() - started));
    await Promise.all([late, early]);
    expect(at.early).toBeGreaterThanOrEqual(39);
    expect(at.late).toBeGreaterThanOrEqual(119);
    expect(at.early).toBeLessThan(at.late!);
    expect(parked.size).toBe(0);
    expect(a.listenerCount('append')).toBe(1); // one listener per partition, however many fetches
  });
});
