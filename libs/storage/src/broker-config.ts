import { brokerKeysOf, brokerKeySpecs } from '@dms/configs';
import { groupConfigDef, shareConfigDef } from '@dms/groups';
import { commonConfig, defineConfig } from '@dms/platform';
import type { TransactionCoordinatorConfig } from '@dms/transactions';
import { DEFAULT_INTERNAL_STREAM_TRANSPORT, type InternalStreamTransport } from '@dms/rpc';

/** Broker-level keys the storage broker reads that the typed declarations below do not cover. */
const TYPED = [
  'log.segment.bytes',
  'log.index.interval.bytes',
  'message.max.bytes',
  'min.insync.replicas',
  'log.retention.check.interval.ms',
  'log.cleaner.enable',
  'log.cleaner.threads',
  'log.cleaner.backoff.ms',
  'log.cleaner.dedupe.buffer.size',
  'log.cleaner.io.max.bytes.per.second',
  'transaction.max.timeout.ms',
  'transactional.id.expiration.ms',
  'transaction.abort.timed.out.transaction.cleanup.interval.ms',
  'transaction.remove.expired.transaction.cleanup.interval.ms',
];

/** Storage broker settings, named as Kafka names them where Kafka has the setting. */
export const brokerConfigDef = defineConfig({
  ...commonConfig,
  ...groupConfigDef,
  ...shareConfigDef,
  ...brokerKeySpecs(brokerKeysOf('broker').filter((k) => !TYPED.includes(k))),
  'broker.id': { type: 'int', required: true, min: 0, doc: 'Storage broker id (Kafka broker.id).' },
  'grpc.host': { type: 'string', default: '127.0.0.1', doc: 'Address the gRPC storage service binds and advertises.' },
  'grpc.port': { type: 'int', default: 0, min: 0, max: 65535, doc: 'gRPC port; 0 picks a free one.' },
  'log.dirs': {
    type: 'string',
    default: '',
    doc: 'Directories holding partition logs, comma-separated (Kafka\'s log.dirs): a new replica goes to the one with the fewest partitions; one that fails goes offline alone. Default: log.dir.',
  },
  'log.dir': { type: 'string', default: '', doc: 'The directory holding partition logs when log.dirs is not set (default ./data/broker-<id>).' },
  'broker.rack': { type: 'string', default: '', doc: 'Rack (availability zone) of this broker.' },
  'log.segment.bytes': { type: 'int', default: 1073741824, min: 1048576, doc: 'Segment size before a new segment is rolled.' },
  'log.index.interval.bytes': { type: 'int', default: 4096, min: 0, doc: 'Bytes of log between offset index entries.' },
  'message.max.bytes': { type: 'int', default: 1048588, min: 1, doc: 'Largest record batch accepted.' },
  'log.flush.policy': { type: 'enum', values: ['never', 'always'], default: 'never', doc: 'fsync after every append (always) or leave flushing to the OS (never, Kafka\'s default).' },
  'log.tail.cache.bytes': {
    type: 'int',
    default: 67108864,
    min: 0,
    doc: 'Memory for the newest appended bytes of all partitions together, read by followers and tailing consumers without a disk read (oldest evicted first; 0: off).',
  },
  'log.tail.cache.partition.bytes': {
    type: 'int',
    default: 1048576,
    min: 0,
    doc: 'The most of log.tail.cache.bytes one partition may hold (0: off).',
  },
  'min.insync.replicas': { type: 'int', default: 1, min: 1, doc: 'Replicas that must be in sync for an acks=all produce (a topic config overrides it).' },
  'controlled.shutdown.enable': {
    type: 'bool',
    default: true,
    doc: 'On SIGTERM, first ask the controller to move the leadership of every partition this broker leads to another in-sync replica (and drop it from the ISRs it is in), then stop.',
  },
  'controlled.shutdown.max.retries': { type: 'int', default: 3, min: 1, doc: 'Attempts at a controlled shutdown before the broker stops anyway.' },
  'controlled.shutdown.retry.backoff.ms': { type: 'int', default: 5000, min: 0, doc: 'Pause between controlled shutdown attempts (each attempt may take the larger of this and 5 s).' },
  'replica.lag.time.max.ms': { type: 'int', default: 30000, min: 10, doc: 'A follower not caught up for this long leaves the ISR.' },
  'replica.fetch.wait.max.ms': { type: 'int', default: 500, min: 0, doc: 'How long a leader holds a follower fetch that finds no new data.' },
  'replica.fetch.max.bytes': { type: 'int', default: 1048576, min: 1024, doc: 'Bytes a follower fetches per partition per request.' },
  'replica.fetch.response.max.bytes': { type: 'int', default: 10485760, min: 1024, doc: 'Bytes a follower fetches per request over all partitions.' },
  'internal.stream.transport': {
    type: 'enum',
    values: ['grpc', 'framed'],
    default: 'framed',
    doc: 'How the hot internal streams (ProduceBatch served to gateways, ReplicaFetch to and from other brokers) are carried: framed (the gRPC messages framed on Node http2 directly, decision 0033) or grpc (grpc-js); either end works with the other.',
  },
  'internal.fetch.transport': {
    type: 'enum',
    values: ['grpc', 'framed'],
    default: 'framed',
    doc: 'How consumer Fetch answers are served to gateways: framed (our gRPC framing on Node http2, each answer encoded once into a pooled frame reused once sent) or grpc (grpc-js, a fresh frame per answer). The wire is gRPC either way: gateways need no setting.',
  },
  'log.cleaner.enable': { type: 'bool', default: true, doc: 'Run the log cleaner, which compacts topics whose cleanup.policy holds compact.' },
  'log.cleaner.threads': { type: 'int', default: 1, min: 1, doc: 'Cleaning rounds that may run at once (each gets its share of the dedupe buffer).' },
  'log.cleaner.backoff.ms': { type: 'int', default: 15000, min: 0, doc: 'How long the cleaner sleeps when no log needs cleaning.' },
  'log.cleaner.dedupe.buffer.size': {
    type: 'int',
    default: 134217728,
    min: 1024,
    doc: 'Memory for the cleaner\'s key -> offset maps, over all cleaner threads (24 bytes a key; allocated as needed up to this).',
  },
  'log.cleaner.io.max.bytes.per.second': {
    type: 'string',
    default: '1.7976931348623157E308',
    doc: 'Bytes per second the log cleaner may read and write, all its threads together (Kafka\'s default: unlimited).',
  },
  'transaction.max.timeout.ms': { type: 'int', default: 900000, min: 1, doc: 'Largest transaction.timeout.ms a producer may ask for.' },
  'transactional.id.expiration.ms': { type: 'int', default: 604800000, min: 1, doc: 'How long a transactional id without transactions is remembered.' },
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': {
    type: 'int',
    default: 10000,
    min: 1,
    doc: 'How often the transaction coordinator aborts transactions past their timeout.',
  },
  'transaction.remove.expired.transaction.cleanup.interval.ms': {
    type: 'int',
    default: 3600000,
    min: 1,
    doc: 'How often the transaction coordinator forgets expired transactional ids.',
  },
  'log.retention.check.interval.ms': {
    type: 'int',
    default: 300000,
    min: 1,
    doc: 'How often the broker deletes log segments past retention.ms / retention.bytes and rolls segments past segment.ms.',
  },
  'broker.load.report.interval.ms': {
    type: 'int',
    default: 30000,
    min: 100,
    doc: 'How often the broker publishes its replica log sizes to etcd (broker-loads/<id>) for the controller\'s self-balancer.',
  },
  'metrics.consumer.lag.interval.ms': {
    type: 'int',
    default: 30000,
    min: 100,
    doc: 'How often the group coordinator recomputes the lag of the groups it coordinates (kafka_consumergroup_lag and friends); scrapes read the last result.',
  },
  'log.key.index.trail.budget.ms': {
    type: 'int',
    default: 25,
    min: 0,
    doc: "Time the broker may spend per tick indexing keys of the active segments it leads in the background (message query by key), across all its partitions; 0 turns it off (lookups then catch the active segment's index up themselves).",
  },
  'log.key.index.trail.interval.ms': {
    type: 'int',
    default: 250,
    min: 10,
    doc: 'How often the background key indexer of active segments runs (see log.key.index.trail.budget.ms).',
  },
  'replica.high.watermark.checkpoint.interval.ms': {
    type: 'int',
    default: 5000,
    min: 10,
    doc: 'How often high watermarks are written to replication-offset-checkpoint in the log dir (also on clean shutdown).',
  },
});

/** The transaction coordinator's settings of a loaded broker config. */
export function transactionOptionsFromConfig(config: {
  'transaction.max.timeout.ms': number;
  'transactional.id.expiration.ms': number;
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': number;
  'transaction.remove.expired.transaction.cleanup.interval.ms': number;
}): TransactionCoordinatorConfig {
  return {
    transactionMaxTimeoutMs: config['transaction.max.timeout.ms'],
    transactionalIdExpirationMs: config['transactional.id.expiration.ms'],
    abortTimedOutTransactionCleanupIntervalMs: config['transaction.abort.timed.out.transaction.cleanup.interval.ms'],
    removeExpiredTransactionalIdCleanupIntervalMs: config['transaction.remove.expired.transaction.cleanup.interval.ms'],
  };
}

/** The replication settings of a loaded broker config, as Broker takes them. */
export function replicationOptionsFromConfig(config: {
  'min.insync.replicas': number;
  'replica.lag.time.max.ms': number;
  'replica.fetch.wait.max.ms': number;
  'replica.fetch.max.bytes': number;
  'replica.fetch.response.max.bytes': number;
  'replica.high.watermark.checkpoint.interval.ms': number;
  'internal.stream.transport'?: InternalStreamTransport;
}): ReplicationOptions {
  return {
    minInsyncReplicas: config['min.insync.replicas'],
    replicaLagTimeMaxMs: config['replica.lag.time.max.ms'],
    replicaFetchWaitMaxMs: config['replica.fetch.wait.max.ms'],
    replicaFetchMaxBytes: config['replica.fetch.max.bytes'],
    replicaFetchResponseMaxBytes: config['replica.fetch.response.max.bytes'],
    highWatermarkCheckpointIntervalMs: config['replica.high.watermark.checkpoint.interval.ms'],
    internalStreamTransport: config['internal.stream.transport'] ?? DEFAULT_REPLICATION_OPTIONS.internalStreamTransport,
  };
}

export interface ReplicationOptions {
  minInsyncReplicas: number;
  replicaLagTimeMaxMs: number;
  replicaFetchWaitMaxMs: number;
  replicaFetchMaxBytes: number;
  replicaFetchResponseMaxBytes: number;
  highWatermarkCheckpointIntervalMs: number;
  /** internal.stream.transport: ReplicaFetch (both ends) and the ProduceBatch server. */
  internalStreamTransport: InternalStreamTransport;
}

export const DEFAULT_REPLICATION_OPTIONS: ReplicationOptions = {
  minInsyncReplicas: 1,
  replicaLagTimeMaxMs: 30_000,
  replicaFetchWaitMaxMs: 500,
  replicaFetchMaxBytes: 1_048_576,
  replicaFetchResponseMaxBytes: 10_485_760,
  highWatermarkCheckpointIntervalMs: 5_000,
  internalStreamTransport: DEFAULT_INTERNAL_STREAM_TRANSPORT,
};

/** The log cleaner's settings of a loaded broker config. */
export function cleanerOptionsFromConfig(config: {
  'log.cleaner.enable': boolean;
  'log.cleaner.threads': number;
  'log.cleaner.backoff.ms': number;
  'log.cleaner.dedupe.buffer.size': number;
  'log.cleaner.io.max.bytes.per.second': string;
}): CleanerOptions {
  return {
    enable: config['log.cleaner.enable'],
    threads: config['log.cleaner.threads'],
    backoffMs: config['log.cleaner.backoff.ms'],
    dedupeBufferSize: config['log.cleaner.dedupe.buffer.size'],
    ioMaxBytesPerSecond: Number(config['log.cleaner.io.max.bytes.per.second']) || Number.MAX_SAFE_INTEGER,
  };
}

export interface CleanerOptions {
  enable: boolean;
  threads: number;
  backoffMs: number;
  dedupeBufferSize: number;
  /** log.cleaner.io.max.bytes.per.second; 0 or anything past 2^53 is unlimited. */
  ioMaxBytesPerSecond: number;
}

export const DEFAULT_CLEANER_OPTIONS: CleanerOptions = {
  enable: true,
  threads: 1,
  backoffMs: 15_000,
  dedupeBufferSize: 134_217_728,
  ioMaxBytesPerSecond: Number.MAX_SAFE_INTEGER,
};

/** Kafka's controlled.shutdown.* settings. */
export interface ControlledShutdownSettings {
  enable: boolean;
  maxRetries: number;
  retryBackoffMs: number;
}

export function controlledShutdownFromConfig(config: {
  'controlled.shutdown.enable': boolean;
  'controlled.shutdown.max.retries': number;
  'controlled.shutdown.retry.backoff.ms': number;
}): ControlledShutdownSettings {
  return {
    enable: config['controlled.shutdown.enable'],
    maxRetries: config['controlled.shutdown.max.retries'],
    retryBackoffMs: config['controlled.shutdown.retry.backoff.ms'],
  };
}
