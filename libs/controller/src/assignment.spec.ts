import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import {
  assignAdditionalPartitions,
  assignReplicas,
  rackAlternated,
  validateAdditionalAssignment,
  validateExplicitAssignment,
  type LiveBroker,
} from './assignment';

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

describe('assignAdditionalPartitions', () => {
  const racked: LiveBroker[] = [
    { id: 1, rack: 'a' }, { id: 2, rack: 'b' }, { id: 3, rack: 'c' },
    { id: 4, rack: 'a' }, { id: 5, rack: 'b' }, { id: 6, rack: 'c' },
  ];

  it('continues the spread: growing 2 -> N places partitions as creating N would have', () => {
    for (const brokers of [plain(3), plain(5), racked]) {
      for (const rf of [1, 2, 3]) {
        for (let seed = 1; seed < 15; seed++) {
          const whole = assignReplicas({ brokers, numPartitions: 9, replicationFactor: rf, random: seeded(seed) });
          const grown = assignAdditionalPartitions({ brokers, existing: whole.slice(0, 2), newCount: 9, random: seeded(seed + 100) });
          if (brokers === racked && rf > 1) {
            // Rack skipping hides the shift; the leaders still continue the round robin.
            expect(grown.map((r) => r[0])).toEqual(whole.slice(2).map((r) => r[0]));
          } else {
            expect(grown).toEqual(whole.slice(2));
          }
        }
      }
    }
  });

  it('keeps the topic replication factor, distinct brokers and distinct racks', () => {
    const existing = [[1, 2, 3], [2, 3, 4]];
    const grown = assignAdditionalPartitions({ brokers: racked, existing, newCount: 8, random: seeded(3) });
    expect(grown).toHaveLength(6);
    const rackOf = new Map(racked.map((b) => [b.id, b.rack]));
    for (const r of grown) {
      expect(r).toHaveLength(3);
      expect(new Set(r).size).toBe(3);
      expect(new Set(r.map((id) => rackOf.get(id))).size).toBe(3);
    }
  });

  it('still places when partition 0 leader has left, and refuses a factor above the live brokers', () => {
    const grown = assignAdditionalPartitions({ brokers: plain(3), existing: [[9, 1]], newCount: 4, random: seeded(1) });
    expect(grown).toHaveLength(3);
    for (const r of grown) expect(r.every((id) => id >= 1 && id <= 3)).toBe(true);
    expect(codeOf(() => assignAdditionalPartitions({ brokers: plain(2), existing: [[1, 2, 3]], newCount: 2 }))).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
  });
});

describe('validateAdditionalAssignment', () => {
  const known = new Set([1, 2, 3]);
  const messageOf = (fn: () => unknown): string => {
    try {
      fn();
      return '';
    } catch (e) {
      return (e as Error).message;
    }
  };

  it('accepts one list per added partition with the topic replication factor', () => {
    expect(validateAdditionalAssignment([[1, 2], [2, 3]], 2, 2, known)).toEqual([[1, 2], [2, 3]]);
  });

  it('refuses with INVALID_REPLICA_ASSIGNMENT and Kafka messages', () => {
    const cases: [number[][], number, string][] = [
      [[[1, 2]], 2, 'Attempted to add 2 additional partition(s), but only 1 assignment(s) were specified.'],
      [[[1, 2, 3]], 1, 'The manual partition assignment includes a partition with 3 replica(s), but this is not consistent with previous partitions, which have 2 replica(s).'],
      [[[1, 1]], 1, 'The manual partition assignment includes the broker 1 more than once.'],
      [[[1, 7]], 1, 'The manual partition assignment includes broker 7, but no such broker is registered.'],
      [[[]], 1, 'The manual partition assignment includes an empty replica list.'],
    ];
    for (const [lists, additional, message] of cases) {
      expect(codeOf(() => validateAdditionalAssignment(lists, additional, 2, known))).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
      expect(messageOf(() => validateAdditionalAssignment(lists, additional, 2, known))).toBe(message);
    }
  });
});
