import type { PartitionState } from '@dms/cluster';
import { decommissionRefusal, type DecommissionCandidate } from './decommission';

const state = (replicas: number[]): PartitionState => ({ replicas, leader: replicas[0]!, leaderEpoch: 0, isr: [...replicas], partitionEpoch: 0 });
const b = (id: number, rack: string | null = null, placeable = true): DecommissionCandidate => ({ id, rack, placeable });
const parts = (...sets: number[][]) => sets.map((replicas, partition) => ({ topic: 't', partition, state: state(replicas) }));

describe('decommissionRefusal', () => {
  it('accepts when another broker can take each replica', () => {
    expect(decommissionRefusal(3, [b(1), b(2), b(3), b(4)], parts([1, 2, 3], [2, 3, 4]))).toBeUndefined();
  });

  it('refuses when the brokers left number fewer than the replication factor, naming the partition', () => {
    expect(decommissionRefusal(3, [b(1), b(2), b(3)], parts([1, 2], [1, 2, 3]))).toBe(
      'Cannot decommission broker 3: t-1 has replication factor 3 and only 2 other brokers take replicas (cordoned and decommissioning brokers take none).',
    );
  });

  it('does not count cordoned or decommissioning brokers', () => {
    expect(decommissionRefusal(3, [b(1), b(2), b(3), b(4, null, false)], parts([1, 2, 3]))).toContain('only 2 other brokers');
  });

  it('ignores partitions the broker does not hold and counts a move\'s target only', () => {
    expect(decommissionRefusal(3, [b(1), b(2), b(3)], parts([1, 2]))).toBeUndefined();
    const moving = { topic: 't', partition: 0, state: { ...state([1, 2, 3]), addingReplicas: [], removingReplicas: [3] } };
    expect(decommissionRefusal(3, [b(1), b(2), b(3)], [moving])).toBeUndefined();
  });

  it('is rack-aware: a partition keeps the racks it spans', () => {
    const brokers = [b(1, 'a'), b(2, 'b'), b(3, 'c'), b(4, 'a')];
    expect(decommissionRefusal(3, brokers, parts([1, 2, 3]))).toContain('spans 3 racks');
    expect(decommissionRefusal(3, [...brokers, b(5, 'c')], parts([1, 2, 3]))).toBeUndefined();
    // A partition on two racks keeps two: broker 4 (rack a) replaces 3 next to 2 (rack b).
    expect(decommissionRefusal(3, brokers, parts([2, 3]))).toBeUndefined();
  });
});
