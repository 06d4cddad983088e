import { commonConfig, defineConfig } from '@dms/platform';
import { groupBoundsConfigDef } from './group-config-bounds';

/** Every key the controller process reads (flags `--key value`, env `DMS_KEY_NAME`). */
export const controllerConfigDef = defineConfig({
  ...commonConfig,
  ...groupBoundsConfigDef,
  'controller.id': { type: 'int', required: true, min: 0, doc: 'This controller\'s id (unique among controllers).' },
  'grpc.host': { type: 'string', default: '127.0.0.1', doc: 'Address the ControllerService binds and advertises.' },
  'grpc.port': { type: 'int', default: 0, min: 0, max: 65535, doc: 'ControllerService port; 0 picks a free one.' },
  'num.partitions': { type: 'int', default: 1, min: 1, doc: 'Partitions of a topic created with -1 partitions.' },
  'default.replication.factor': {
    type: 'int',
    default: 1,
    min: 1,
    doc: 'Replication factor of a topic created with -1.',
  },
  'max.partitions.per.topic': {
    type: 'int', default: 10000, min: 1,
    doc: 'Partitions one topic may have; a CreateTopics or CreatePartitions over it fails with INVALID_PARTITIONS before anything is allocated.',
  },
  'max.partitions': {
    type: 'int', default: 200000, min: 1,
    doc: 'Partitions of all topics together; a CreateTopics or CreatePartitions over it fails with POLICY_VIOLATION.',
  },
  'offsets.topic.num.partitions': { type: 'int', default: 50, min: 1, doc: 'Partitions of __consumer_offsets when it is created.' },
  'offsets.topic.replication.factor': { type: 'int', default: 3, min: 1, doc: 'Replicas of __consumer_offsets (capped at the live brokers).' },
  'transaction.state.log.num.partitions': { type: 'int', default: 50, min: 1, doc: 'Partitions of __transaction_state when it is created.' },
  'transaction.state.log.replication.factor': { type: 'int', default: 3, min: 1, doc: 'Replicas of __transaction_state (capped at the live brokers).' },
  'transaction.state.log.min.isr': { type: 'int', default: 2, min: 1, doc: 'min.insync.replicas of __transaction_state (capped at its replication factor).' },
  'unclean.leader.election.enable': {
    type: 'bool',
    default: false,
    doc: 'Elect a replica outside the ISR when no ISR member is alive (may lose acknowledged records).',
  },
  'auto.leader.rebalance.enable': {
    type: 'bool',
    default: true,
    doc: 'Move leadership back to the preferred replica (the first assigned) once it is alive and in the ISR.',
  },
  'leader.imbalance.check.interval.seconds': { type: 'int', default: 300, min: 1, doc: 'How often the leading controller checks leader imbalance.' },
  'leader.imbalance.per.broker.percentage': {
    type: 'int',
    default: 10,
    min: 0,
    max: 100,
    doc: 'Share of a broker\'s preferred partitions led elsewhere that triggers a rebalance.',
  },
  // The auto.balance.* keys are also cluster-wide dynamic configs (IncrementalAlterConfigs on the
  // BROKER resource ""); the leading controller reads the dynamic value each round, these are the fallback.
  'auto.balance.enable': {
    type: 'bool',
    default: true,
    doc: 'Self-balancing on the leading controller: keeps replica counts, preferred-leader counts, disk bytes and inbound bytes per second within the thresholds across live uncordoned brokers, and recreates the replicas of a broker absent past auto.balance.broker.availability.timeout.ms. Decommissions run either way.',
  },
  'auto.balance.interval.ms': { type: 'int', default: 30000, min: 100, doc: 'How often the self-balancer plans a round (Redpanda\'s partition_autobalancing_tick_interval_ms).' },
  'auto.balance.replica.count.threshold.percent': {
    type: 'int', default: 10, min: 0, max: 1000,
    doc: 'A broker\'s replica count (per topic and overall) may differ from the mean by this percent, never less than the rounding of the mean (Cruise Control\'s replica.count.balance.threshold 1.10).',
  },
  'auto.balance.leader.count.threshold.percent': {
    type: 'int', default: 10, min: 0, max: 1000,
    doc: 'Same for preferred-leader counts (Cruise Control\'s leader.replica.count.balance.threshold 1.10); leaders move by reordering replicas and a preferred election.',
  },
  'auto.balance.disk.threshold.percent': {
    type: 'int', default: 10, min: 0, max: 1000,
    doc: 'A broker\'s log bytes may differ from the mean by this percent (and by at least 64 MiB) before bytes are moved (Cruise Control\'s disk.balance.threshold 1.10).',
  },
  'auto.balance.network.inbound.threshold.percent': {
    type: 'int', default: 10, min: 0, max: 1000,
    doc: 'A broker\'s inbound bytes per second (the measured bytes-in of every partition it holds a replica of: producers on the leader, replication on the followers) may differ from the mean by this percent, and by at least 1 MiB/s, before replicas move (Cruise Control\'s network.inbound.balance.threshold 1.10).',
  },
  'auto.balance.max.concurrent.moves': {
    type: 'int', default: 10, min: 0,
    doc: 'Partition moves (reassignments, the operator\'s included) running at once before the self-balancer starts another (Redpanda\'s partition_autobalancing_concurrent_moves).',
  },
  'auto.balance.throttle.bytes.per.second': {
    type: 'int', default: 10485760, min: 0,
    doc: 'Replication rate for the self-balancer\'s copies (and decommissions), set as leader/follower.replication.throttled.rate on the brokers involved and their replicas listed in the topics\' throttled-replica configs, as kafka-reassign-partitions.sh --throttle does; 0 leaves them unthrottled (Confluent\'s confluent.balancer.throttle.bytes.per.second).',
  },
  'auto.balance.broker.availability.timeout.ms': {
    type: 'int', default: 900000, min: 0,
    doc: 'A broker unregistered this long has its replicas recreated on the other brokers, as if decommissioned (Redpanda\'s partition_autobalancing_node_availability_timeout_sec).',
  },
});
