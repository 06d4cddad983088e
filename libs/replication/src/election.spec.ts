import { electRequested, rebalanceCandidates, type BrokerFacts, type PartitionAssignmentState } from './election';

const facts = (live: number[], restarted: number[] = []): BrokerFacts => ({
  isLive: (id) => live.includes(id),
  restartedSince: (id) => restarted.includes(id),
});
const st = (leader: number, isr: number[], replicas = [1, 2, 3]): PartitionAssignmentState => ({ replicas, leader, leaderEpoch: 5, isr, partitionEpoch: 9 });

describe('preferred election', () => {
  it('moves leadership to the first replica when it is alive and in the ISR, keeping the ISR and bumping both epochs', () => {
    expect(electRequested(st(2, [2, 3, 1]), facts([1, 2, 3]), 'preferred')).toEqual({
      ok: true,
      state: { replicas: [1, 2, 3], leader: 1, leaderEpoch: 6, isr: [2, 3, 1], partitionEpoch: 10 },
    });
  });
  it('is not needed when the preferred replica already leads', () => {
    expect(electRequested(st(1, [1, 2, 3]), facts([1, 2, 3]), 'preferred')).toEqual({ ok: false, reason: 'not-needed' });
  });
  it('refuses a preferred replica that is dead, outside the ISR or restarted since the state was written', () => {
    expect(electRequested(st(2, [2, 3]), facts([1, 2, 3]), 'preferred')).toEqual({ ok: false, reason: 'preferred-unavailable' });
    expect(electRequested(st(2, [1, 2, 3]), facts([2, 3]), 'preferred')).toEqual({ ok: false, reason: 'preferred-unavailable' });
    expect(electRequested(st(2, [1, 2, 3]), facts([1, 2, 3], [1]), 'preferred')).toEqual({ ok: false, reason: 'preferred-unavailable' });
  });
});

describe('unclean election on demand', () => {
  it('is not needed while the leader is alive', () => {
    expect(electRequested(st(2, [2]), facts([1, 2, 3]), 'unclean')).toEqual({ ok: false, reason: 'not-needed' });
  });
  it('prefers a live ISR member, else any live replica with an ISR of itself', () => {
    expect(electRequested(st(-1, [3]), facts([1, 3]), 'unclean')).toMatchObject({ ok: true, state: { leader: 3, isr: [3], leaderEpoch: 6 } });
    expect(electRequested(st(-1, [2]), facts([1, 3]), 'unclean')).toMatchObject({ ok: true, state: { leader: 1, isr: [1] } });
  });
  it('finds nobody when no replica is alive', () => {
    expect(electRequested(st(-1, [2]), facts([4]), 'unclean')).toEqual({ ok: false, reason: 'no-eligible-leader' });
  });
});

describe('auto leader rebalance', () => {
  const parts = [
    { name: 'a', state: st(1, [1, 2, 3], [1, 2, 3]) },
    { name: 'b', state: st(3, [1, 2, 3], [2, 3, 1]) },
    { name: 'c', state: st(2, [1, 2, 3], [3, 1, 2]) },
    { name: 'd', state: st(3, [2, 3], [2, 3, 1]) },
  ];
  it('picks partitions of brokers whose imbalance exceeds the threshold, where the preferred replica can lead', () => {
    // Broker 2 prefers b and d (both led elsewhere, 100 %); broker 3 prefers c (100 %).
    expect(rebalanceCandidates(parts, () => facts([1, 2, 3]), 10).map((p) => p.name)).toEqual(['b', 'd', 'c']);
    // A dead preferred replica is left alone.
    expect(rebalanceCandidates(parts, () => facts([1, 2]), 10).map((p) => p.name)).toEqual(['b', 'd']);
  });
  it('tolerates an imbalance up to the percentage', () => {
    const many = Array.from({ length: 10 }, (_, i) => ({ name: `p${i}`, state: st(i === 0 ? 2 : 1, [1, 2], [1, 2]) }));
    expect(rebalanceCandidates(many, () => facts([1, 2]), 10)).toEqual([]);
    expect(rebalanceCandidates(many, () => facts([1, 2]), 5).map((p) => p.name)).toEqual(['p0']);
  });
});
