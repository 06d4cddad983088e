import { ShuttingDownBrokers, shutdownStep } from './controlled-shutdown';

const base = { replicas: [1, 2, 3], leader: 1, leaderEpoch: 4, isr: [1, 2, 3], partitionEpoch: 9 };
const all = () => true;

describe('shutdownStep', () => {
  it('moves leadership to the first eligible in-sync replica and drops the broker from the ISR', () => {
    const step = shutdownStep(base, 1, all);
    expect(step).toEqual({ kind: 'moved', state: { replicas: [1, 2, 3], leader: 2, leaderEpoch: 5, isr: [2, 3], partitionEpoch: 10 } });
  });

  it('skips replicas that are out of the ISR or not eligible', () => {
    expect(shutdownStep({ ...base, isr: [1, 3] }, 1, all)).toMatchObject({ kind: 'moved', state: { leader: 3, isr: [3] } });
    expect(shutdownStep(base, 1, (id) => id !== 2)).toMatchObject({ kind: 'moved', state: { leader: 3 } });
  });

  it('keeps the leader when no other in-sync replica can lead', () => {
    expect(shutdownStep({ ...base, isr: [1] }, 1, all)).toEqual({ kind: 'stuck' });
    expect(shutdownStep(base, 1, () => false)).toEqual({ kind: 'stuck' });
  });

  it('takes a follower out of the ISR without moving the leader', () => {
    expect(shutdownStep(base, 3, all)).toEqual({ kind: 'left-isr', state: { ...base, isr: [1, 2], partitionEpoch: 10 } });
  });

  it('leaves partitions it is not in the ISR of, and offline partitions, alone', () => {
    expect(shutdownStep({ ...base, isr: [1, 2] }, 3, all)).toEqual({ kind: 'unchanged' });
    expect(shutdownStep({ ...base, leader: -1, isr: [3] }, 3, all)).toEqual({ kind: 'unchanged' });
  });
});

describe('ShuttingDownBrokers', () => {
  it('forgets a broker once it registers under a new epoch', () => {
    const epochs = new Map<number, bigint>([[1, 10n]]);
    const set = new ShuttingDownBrokers({ brokerEpoch: (id) => epochs.get(id) });
    set.mark(1, 10n);
    expect(set.has(1)).toBe(true);
    expect(set.has(2)).toBe(false);
    epochs.set(1, 20n);
    expect(set.has(1)).toBe(false);
    epochs.set(1, 10n);
    expect(set.has(1)).toBe(false);
  });
});
