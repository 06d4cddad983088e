/** The topic holding committed offsets and group metadata (Kafka's name). */
export const OFFSETS_TOPIC_NAME = '__consumer_offsets';
/** The topic holding transaction coordinator state (Kafka's name). */
export const TRANSACTION_STATE_TOPIC_NAME = '__transaction_state';

export interface OffsetsTopicSettings {
  /** offsets.topic.num.partitions (Kafka's default 50). */
  offsetsTopicNumPartitions: number;
  /** offsets.topic.replication.factor (Kafka's default 3), capped at the live brokers. */
  offsetsTopicReplicationFactor: number;
}

export interface TransactionStateTopicSettings {
  /** transaction.state.log.num.partitions (Kafka's default 50). */
  numPartitions: number;
  /** transaction.state.log.replication.factor (Kafka's default 3), capped at the live brokers. */
  replicationFactor: number;
  /** transaction.state.log.min.isr (Kafka's default 2), capped at the replication factor. */
  minIsr: number;
}

/** The topic holding share-partition state (KIP-932, Kafka's name). */
export const SHARE_STATE_TOPIC_NAME = '__share_group_state';

/** Internal topics whose partition count places coordinator keys: it never changes. */
export const FIXED_PARTITION_TOPICS: ReadonlySet<string> = new Set([OFFSETS_TOPIC_NAME, TRANSACTION_STATE_TOPIC_NAME, SHARE_STATE_TOPIC_NAME]);

/**
 * Kafka's share.coordinator.state.topic.* defaults: 50 partitions, 3 replicas (capped at the live
 * brokers), min.insync.replicas 2 (capped at the replicas), compacted, 100 MiB segments.
 */
const SHARE_STATE_TOPIC = { numPartitions: 50, replicationFactor: 3, minIsr: 2 };

/**
 * Sizing of an internal topic created with -1 partitions/replicas (the gateway asks for
 * __consumer_offsets or __transaction_state on the first FindCoordinator): the topic's own
 * settings instead of the ordinary defaults, compacted, and never more replicas than live
 * brokers so a small cluster still gets a coordinator.
 */
export function internalTopicDefaults(
  name: string,
  settings: OffsetsTopicSettings | undefined,
  liveBrokers: number,
  transactionState?: TransactionStateTopicSettings,
): { numPartitions: number; replicationFactor: number; configs: Record<string, string> } | undefined {
  if (name === TRANSACTION_STATE_TOPIC_NAME && transactionState) {
    const replicationFactor = Math.max(1, Math.min(transactionState.replicationFactor, liveBrokers));
    return {
      numPartitions: transactionState.numPartitions,
      replicationFactor,
      // Kafka's transaction.state.log.segment.bytes (100 MiB).
      configs: {
        'cleanup.policy': 'compact',
        'segment.bytes': '104857600',
        'min.insync.replicas': String(Math.max(1, Math.min(transactionState.minIsr, replicationFactor))),
      },
    };
  }
  if (name === SHARE_STATE_TOPIC_NAME) {
    const replicationFactor = Math.max(1, Math.min(SHARE_STATE_TOPIC.replicationFactor, liveBrokers));
    return {
      numPartitions: SHARE_STATE_TOPIC.numPartitions,
      replicationFactor,
      configs: {
        'cleanup.policy': 'compact',
        'segment.bytes': '104857600',
        'min.insync.replicas': String(Math.max(1, Math.min(SHARE_STATE_TOPIC.minIsr, replicationFactor))),
      },
    };
  }
  if (name !== OFFSETS_TOPIC_NAME || !settings) return undefined;
  return {
    numPartitions: settings.offsetsTopicNumPartitions,
    replicationFactor: Math.max(1, Math.min(settings.offsetsTopicReplicationFactor, liveBrokers)),
    // Kafka's offsets.topic.segment.bytes (100 MiB): small segments get cleaned sooner.
    configs: { 'cleanup.policy': 'compact', 'segment.bytes': '104857600' },
  };
}
