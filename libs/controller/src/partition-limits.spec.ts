import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { checkPartitionCount } from './partition-limits';

const limits = { maxPerTopic: 100, maxPerCluster: 1000 };
const codeOf = (f: () => void): number | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    return (e as KafkaError).code;
  }
};

describe('partition limits', () => {
  it('refuses more partitions per topic than max.partitions.per.topic without counting the cluster', () => {
    let counted = 0;
    const cluster = () => ++counted;
    expect(codeOf(() => checkPartitionCount('t', 100_000_000, 100_000_000, cluster, limits))).toBe(ErrorCode.INVALID_PARTITIONS);
    expect(codeOf(() => checkPartitionCount('t', 2 ** 60, 1, cluster, limits))).toBe(ErrorCode.INVALID_PARTITIONS);
    expect(counted).toBe(0);
    expect(() => checkPartitionCount('t', 100_000_000, 1, cluster, limits)).toThrow(/max\.partitions\.per\.topic \(100\)/);
    expect(codeOf(() => checkPartitionCount('t', 100, 100, () => 0, limits))).toBeUndefined();
  });

  it('refuses growth beyond max.partitions over all topics with POLICY_VIOLATION', () => {
    expect(codeOf(() => checkPartitionCount('t', 50, 50, () => 950, limits))).toBeUndefined();
    expect(codeOf(() => checkPartitionCount('t', 51, 51, () => 950, limits))).toBe(ErrorCode.POLICY_VIOLATION);
    expect(codeOf(() => checkPartitionCount('t', 60, 10, () => 995, limits))).toBe(ErrorCode.POLICY_VIOLATION);
  });
});
