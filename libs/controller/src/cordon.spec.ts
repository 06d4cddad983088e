import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { assignAdditionalPartitions, assignReplicas } from './assignment';
import { placeableBrokers } from './cordon';

const brokers = [
  { id: 1, rack: null },
  { id: 2, rack: null },
  { id: 3, rack: null, cordoned: true },
  { id: 4, rack: null },
];

describe('placement around cordoned brokers', () => {
  it('creates topics without a replica on a cordoned broker', () => {
    for (let seed = 0; seed < 20; seed++) {
      let x = seed;
      const random = () => ((x = (x * 9301 + 49297) % 233280) / 233280);
      const a = assignReplicas({ brokers, numPartitions: 12, replicationFactor: 3, random });
      expect(a).toHaveLength(12);
      for (const replicas of a) {
        expect(replicas).not.toContain(3);
        expect(new Set(replicas).size).toBe(3);
      }
    }
  });

  it('adds partitions without a replica on a cordoned broker', () => {
    const added = assignAdditionalPartitions({ brokers, existing: [[3, 1, 2], [1, 2, 3]], newCount: 8 });
    expect(added).toHaveLength(6);
    for (const replicas of added) expect(replicas).not.toContain(3);
  });

  it('still spreads leaders over every uncordoned broker', () => {
    const a = assignReplicas({ brokers, numPartitions: 6, replicationFactor: 1, random: () => 0 });
    expect(new Set(a.map((r) => r[0]))).toEqual(new Set([1, 2, 4]));
  });

  it('answers a clear INVALID_REPLICATION_FACTOR when too few uncordoned brokers are left', () => {
    const err = (() => {
      try {
        assignReplicas({ brokers, numPartitions: 1, replicationFactor: 4 });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(KafkaError);
    expect((err as KafkaError).code).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
    expect((err as KafkaError).message).toMatch(/cordoned brokers take no new replicas: 3/);
    expect(() => placeableBrokers([{ id: 1, cordoned: true }], 1)).toThrow(/cordoned/);
  });

  it('changes nothing when no broker is cordoned', () => {
    const plain = brokers.map(({ id, rack }) => ({ id, rack }));
    expect(placeableBrokers(plain, 3)).toEqual(plain);
  });
});
