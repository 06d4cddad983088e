/** The topic holding committed offsets and group metadata (Kafka's name). */
export const OFFSETS_TOPIC_NAME = '__consumer_offsets';

export interface OffsetsTopicSettings {
  /** offsets.topic.num.partitions (Kafka's default 50). */
  offsetsTopicNumPartitions: number;
  /** offsets.topic.replication.factor (Kafka's default 3), capped at the live brokers. */
  offsetsTopicReplicationFactor: number;
}

/**
 * Sizing of an internal topic created with -1 partitions/replicas (the gateway asks for
 * __consumer_offsets on the first FindCoordinator): the offsets settings instead of the
 * ordinary defaults, compacted, and never more replicas than live brokers so a small cluster
 * still gets a coordinator.
 */
export function internalTopicDefaults(
  name: string,
  settings: OffsetsTopicSettings | undefined,
  liveBrokers: number,
): { numPartitions: number; replicationFactor: number; configs: Record<string, string> } | undefined {
  if (name !== OFFSETS_TOPIC_NAME || !settings) return undefined;
  return {
    numPartitions: settings.offsetsTopicNumPartitions,
    replicationFactor: Math.max(1, Math.min(settings.offsetsTopicReplicationFactor, liveBrokers)),
    // Kafka's offsets.topic.segment.bytes (100 MiB): small segments get cleaned sooner.
    configs: { 'cleanup.policy': 'compact', 'segment.bytes': '104857600' },
  };
}
