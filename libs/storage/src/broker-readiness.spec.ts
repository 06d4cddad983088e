import { brokerReadiness, type BrokerReadinessInput } from './broker-readiness';

const state = (replicas: number[], leader: number, isr: number[]) => ({ replicas, leader, leaderEpoch: 0, isr, partitionEpoch: 0 });
const base: BrokerReadinessInput = {
  brokerId: 3,
  started: true,
  registered: true,
  partitions: [
    { topic: 't', partition: 0, state: state([1, 2, 3], 1, [1, 2, 3]) },
    { topic: 't', partition: 1, state: state([3, 1, 2], 3, [3, 1]) },
    { topic: 'u', partition: 0, state: state([1, 2], 1, [1]) },
  ],
  brokerAlive: () => true,
  offlineLogDirs: [],
};

describe('brokerReadiness', () => {
  it('is ready when registered, online and in the ISR of every partition it follows', () => {
    expect(brokerReadiness(base)).toEqual({ ready: true, reasons: [] });
  });

  it('is not ready while a followed partition has it outside the ISR', () => {
    const r = brokerReadiness({ ...base, partitions: [...base.partitions, { topic: 't', partition: 2, state: state([2, 3], 2, [2]) }] });
    expect(r.ready).toBe(false);
    expect(r.reasons).toEqual(['not in the ISR of 1 partition(s) it follows (catching up): t-2']);
  });

  it('does not wait for partitions whose leader is gone (nothing to catch up with)', () => {
    const partitions = [{ topic: 't', partition: 2, state: state([2, 3], -1, [2]) }, { topic: 't', partition: 3, state: state([1, 3], 1, [1]) }];
    expect(brokerReadiness({ ...base, partitions, brokerAlive: (id) => id !== 1 })).toEqual({ ready: true, reasons: [] });
  });

  it('names at most ten lagging partitions', () => {
    const partitions = Array.from({ length: 12 }, (_, p) => ({ topic: 'big', partition: p, state: state([1, 3], 1, [1]) }));
    const [reason] = brokerReadiness({ ...base, partitions }).reasons;
    expect(reason).toContain('not in the ISR of 12 partition(s)');
    expect(reason).toContain('big-9 and 2 more');
  });

  it('is not ready while starting, unregistered or with an offline log dir', () => {
    expect(brokerReadiness({ ...base, started: false }).reasons).toEqual(['starting: recovering logs and joining the cluster']);
    expect(brokerReadiness({ ...base, registered: false }).reasons).toEqual(['broker 3 is not registered in etcd (session lost or not yet granted)']);
    expect(brokerReadiness({ ...base, offlineLogDirs: ['/data/b'] }).reasons).toEqual(['log dir /data/b is offline']);
  });
});
