import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { assignReplicas, rackAlternated, validateExplicitAssignment, type LiveBroker } from './assignment';

function codeOf(fn: () => unknown): number {
  try {
    fn();
    return ErrorCode.NONE;
  } catch (e) {
    return e instanceof KafkaError ? e.code : -999;
  }
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

const plain = (n: number): LiveBroker[] => Array.from({ length: n }, (_, i) => ({ id: i + 1, rack: null }));

describe('assignReplicas', () => {
  it('gives each partition RF distinct brokers and spreads leaders and replicas evenly', () => {
    for (let seed = 1; seed < 20; seed++) {
      const a = assignReplicas({ brokers: plain(4), numPartitions: 8, replicationFactor: 3, random: seeded(seed) });
      expect(a).toHaveLength(8);
      const leaders = new Map<number, number>();
      const replicas = new Map<number, number>();
      for (const r of a) {
        expect(r).toHaveLength(3);
        expect(new Set(r).size).toBe(3);
        leaders.set(r[0], (leaders.get(r[0]) ?? 0) + 1);
        for (const b of r) replicas.set(b, (replicas.get(b) ?? 0) + 1);
      }
      expect([...leaders.values()]).toEqual([2, 2, 2, 2]);
      expect([...replicas.values()]).toEqual([6, 6, 6, 6]);
    }
  });

  it('places replicas on distinct racks while racks remain', () => {
    const brokers: LiveBroker[] = [
      { id: 1, rack: 'a' }, { id: 2, rack: 'a' },
      { id: 3, rack: 'b' }, { id: 4, rack: 'b' },
      { id: 5, rack: 'c' }, { id: 6, rack: 'c' },
    ];
    const rack = new Map(brokers.map((b) => [b.id, b.rack]));
    for (let seed = 1; seed < 20; seed++) {
      const a = assignReplicas({ brokers, numPartitions: 12, replicationFactor: 3, random: seeded(seed) });
      for (const r of a) expect(new Set(r.map((id) => rack.get(id))).size).toBe(3);
      const a4 = assignReplicas({ brokers, numPartitions: 6, replicationFactor: 4, random: seeded(seed) });
      for (const r of a4) {
        expect(new Set(r).size).toBe(4);
        expect(new Set(r.map((id) => rack.get(id))).size).toBe(3);
      }
    }
  });

  it('alternates racks in broker order', () => {
    const order = rackAlternated([
      { id: 1, rack: 'a' }, { id: 2, rack: 'a' }, { id: 3, rack: 'a' }, { id: 4, rack: 'b' }, { id: 5, rack: 'c' },
    ]).map((b) => b.id);
    expect(order).toEqual([1, 4, 5, 2, 3]);
  });

  it('starts leaders at the broker with fewest existing leaders', () => {
    const counts = new Map([[1, 5], [2, 5], [3, 0]]);
    for (let seed = 1; seed < 10; seed++) {
      const a = assignReplicas({ brokers: plain(3), numPartitions: 1, replicationFactor: 1, leaderCounts: counts, random: seeded(seed) });
      expect(a[0][0]).toBe(3);
    }
  });

  it('maps bad counts to Kafka errors', () => {
    expect(codeOf(() => assignReplicas({ brokers: plain(2), numPartitions: 1, replicationFactor: 3 }))).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
    expect(codeOf(() => assignReplicas({ brokers: [], numPartitions: 1, replicationFactor: 1 }))).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
    expect(codeOf(() => assignReplicas({ brokers: plain(2), numPartitions: 1, replicationFactor: 0 }))).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
    expect(codeOf(() => assignReplicas({ brokers: plain(2), numPartitions: 0, replicationFactor: 1 }))).toBe(ErrorCode.INVALID_PARTITIONS);
    expect(codeOf(() => assignReplicas({ brokers: plain(2), numPartitions: -3, replicationFactor: 1 }))).toBe(ErrorCode.INVALID_PARTITIONS);
  });
});

describe('validateExplicitAssignment', () => {
  const known = new Set([1, 2, 3]);
  it('accepts a complete assignment in any order', () => {
    expect(
      validateExplicitAssignment([{ partition: 1, brokerIds: [2, 3] }, { partition: 0, brokerIds: [1, 2] }], known),
    ).toEqual([[1, 2], [2, 3]]);
  });
  it.each([
    [[{ partition: 0, brokerIds: [1] }, { partition: 2, brokerIds: [2] }]],
    [[{ partition: 0, brokerIds: [1] }, { partition: 0, brokerIds: [2] }]],
    [[{ partition: 0, brokerIds: [1, 1] }]],
    [[{ partition: 0, brokerIds: [9] }]],
    [[{ partition: 0, brokerIds: [] }]],
    [[{ partition: 0, brokerIds: [1, 2] }, { partition: 1, brokerIds: [3] }]],
    [[]],
  ])('rejects %j with 39', (entries) => {
    expect(codeOf(() => validateExplicitAssignment(entries, known))).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  });
});
