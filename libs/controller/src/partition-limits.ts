import { ErrorCode, KafkaError } from '@dms/kafka-errors';

/**
 * Bounds on partition counts, checked before anything is assigned or allocated, so one
 * CreateTopics or CreatePartitions with an absurd count is answered at once with an error
 * instead of stalling the controller leader (and, after it fails over, each successor).
 */
export interface PartitionLimits {
  /** max.partitions.per.topic: partitions one topic may have. */
  maxPerTopic: number;
  /** max.partitions: partitions of all topics together (the name KIP-578 proposed). */
  maxPerCluster: number;
}

export const DEFAULT_PARTITION_LIMITS: PartitionLimits = { maxPerTopic: 10_000, maxPerCluster: 200_000 };

/**
 * Throws INVALID_PARTITIONS when a topic would have more than maxPerTopic partitions, and
 * POLICY_VIOLATION when the cluster would exceed maxPerCluster (`clusterCount` is read only then).
 */
export function checkPartitionCount(topic: string, newTotal: number, added: number, clusterCount: () => number, limits: PartitionLimits): void {
  if (!Number.isSafeInteger(newTotal) || newTotal > limits.maxPerTopic) {
    throw new KafkaError(
      ErrorCode.INVALID_PARTITIONS,
      `Topic ${topic} would have ${newTotal} partitions, more than max.partitions.per.topic (${limits.maxPerTopic}).`,
    );
  }
  if (added <= 0) return;
  const existing = clusterCount();
  if (existing + added > limits.maxPerCluster) {
    throw new KafkaError(
      ErrorCode.POLICY_VIOLATION,
      `Adding ${added} partitions to the ${existing} of the cluster would exceed max.partitions (${limits.maxPerCluster}).`,
    );
  }
}
