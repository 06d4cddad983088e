import { size, toWire, type Assignment } from '../../assignment';
import type { AssignmentMember, AssignmentTopic } from './assignor';
import { RangeAssignor } from './range';
import { UniformAssignor } from './uniform';

const T1 = '00000000-0000-0000-0000-000000000001';
const T2 = '00000000-0000-0000-0000-000000000002';
const topics = (...ts: [string, number][]) => new Map<string, AssignmentTopic>(ts.map(([topicId, n]) => [topicId, { topicId, name: topicId, numPartitions: n }]));
const member = (memberId: string, subs: string[], currentTarget: Assignment = new Map()): AssignmentMember =>
  ({ memberId, instanceId: null, rackId: null, subscribedTopicIds: new Set(subs), currentTarget });
const wire = (out: Map<string, Assignment>) => Object.fromEntries([...out].map(([m, a]) => [m, toWire(a)]));

describe('server-side assignors', () => {
  it('range: contiguous ranges per topic in member id order, co-partitioned topics alike', () => {
    const out = new RangeAssignor().assign({ members: [member('b', [T1, T2]), member('a', [T1, T2])], topics: topics([T1, 5], [T2, 5]) });
    expect(wire(out)).toEqual({
      a: [{ topicId: T1, partitions: [0, 1, 2] }, { topicId: T2, partitions: [0, 1, 2] }],
      b: [{ topicId: T1, partitions: [3, 4] }, { topicId: T2, partitions: [3, 4] }],
    });
  });

  it('uniform: every partition once, counts within one, and sticky when a member joins', () => {
    const u = new UniformAssignor();
    const first = u.assign({ members: [member('a', [T1]), member('b', [T1])], topics: topics([T1, 6]) });
    expect([...first.values()].map(size)).toEqual([3, 3]);
    const next = u.assign({
      members: [member('a', [T1], first.get('a')), member('b', [T1], first.get('b')), member('c', [T1])],
      topics: topics([T1, 6]),
    });
    expect([...next.values()].map(size)).toEqual([2, 2, 2]);
    // a and b only give partitions up: what they keep was theirs.
    for (const m of ['a', 'b']) for (const p of next.get(m)!.get(T1)!) expect(first.get(m)!.get(T1)!.has(p)).toBe(true);
    const all = [...next.values()].flatMap((a) => [...(a.get(T1) ?? [])]).sort();
    expect(all).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('uniform: members with different subscriptions get only their topics, balanced where they can', () => {
    const out = new UniformAssignor().assign({ members: [member('a', [T1]), member('b', [T1, T2]), member('c', [T2])], topics: topics([T1, 4], [T2, 2]) });
    expect(out.get('a')!.has(T2)).toBe(false);
    expect(out.get('c')!.has(T1)).toBe(false);
    expect([...out.values()].reduce((n, a) => n + size(a), 0)).toBe(6);
    const sizes = [...out.values()].map(size);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });
});
