import { commonConfig, defineConfig } from '@dms/platform';

/** Every key the controller process reads (flags `--key value`, env `DMS_KEY_NAME`). */
export const controllerConfigDef = defineConfig({
  ...commonConfig,
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
});
