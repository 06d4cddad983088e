// The broker-level keys DMS honours, declared once. Each service's config definition takes the
// keys it reads from here (see brokerKeySpecs), so flags, --help, dynamic updates and
// DescribeConfigs all agree on names, types and defaults.
import { LONG_MAX, type KeyDef } from './types';
import { anyString, bool, double, int, intOr, listOf, long, oneOf } from './validators';

export type ServiceName = 'controller' | 'broker' | 'gateway';

/**
 * Kafka's update modes: read-only keys need a restart; cluster-wide keys may be set per broker or
 * as the default. DMS adds cluster-default: keys of the leading controller (the self-balancer's),
 * set only on the default resource "" (a per-broker value would mean nothing).
 */
export type UpdateMode = 'read-only' | 'cluster-wide' | 'cluster-default';

export interface BrokerKeyDef extends KeyDef {
  mode: UpdateMode;
  /** Password-like: its value is never returned by DescribeConfigs. */
  sensitive: boolean;
  /** The services that read the key from their own configuration (its static value). */
  services: readonly ServiceName[];
}

const CODECS = ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'];

const b = (
  name: string,
  type: BrokerKeyDef['type'],
  dflt: string | null,
  valid: string,
  validate: BrokerKeyDef['validate'],
  mode: UpdateMode,
  services: ServiceName[],
  doc: string,
  sensitive = false,
): BrokerKeyDef => ({ name, type, default: dflt, valid, validate, mode, services, doc, sensitive });

const CW: UpdateMode = 'cluster-wide';
const RO: UpdateMode = 'read-only';
const CD: UpdateMode = 'cluster-default';

export const BROKER_CONFIG_DEFS: readonly BrokerKeyDef[] = [
  b('auto.create.topics.enable', 'BOOLEAN', 'true', '', bool, RO, ['gateway'], 'Create a topic a Metadata request names when it does not exist.'),
  b('auto.balance.broker.availability.timeout.ms', 'LONG', '900000', '[0,...]', long(0n), CD, ['controller'], 'A broker unregistered this long has its replicas recreated on the other brokers, as if decommissioned (Redpanda\'s partition_autobalancing_node_availability_timeout_sec).'),
  b('auto.balance.disk.threshold.percent', 'INT', '10', '[0,...,1000]', int(0, 1000), CD, ['controller'], 'A broker\'s log bytes may differ from the mean by this percent (and by at least 64 MiB) before bytes move (Cruise Control\'s disk.balance.threshold).'),
  b('auto.balance.enable', 'BOOLEAN', 'true', '', bool, CD, ['controller'], 'Self-balancing on the leading controller (replica, disk, inbound-rate and leader spread; repair of brokers absent past the availability timeout). Decommissions run either way.'),
  b('auto.balance.interval.ms', 'INT', '30000', '[100,...]', int(100), CD, ['controller'], 'How often the self-balancer plans a round (Redpanda\'s partition_autobalancing_tick_interval_ms).'),
  b('auto.balance.leader.count.threshold.percent', 'INT', '10', '[0,...,1000]', int(0, 1000), CD, ['controller'], 'A broker\'s preferred-leader count may differ from the mean by this percent, never less than the rounding of the mean (Cruise Control\'s leader.replica.count.balance.threshold).'),
  b('auto.balance.max.concurrent.moves', 'INT', '10', '[0,...]', int(0), CD, ['controller'], 'Partition moves (reassignments, the operator\'s included) running at once before the self-balancer starts another (Redpanda\'s partition_autobalancing_concurrent_moves).'),
  b('auto.balance.network.inbound.threshold.percent', 'INT', '10', '[0,...,1000]', int(0, 1000), CD, ['controller'], 'A broker\'s inbound bytes per second (bytes-in of every partition it holds a replica of) may differ from the mean by this percent (and by at least 1 MiB/s) before replicas move (Cruise Control\'s network.inbound.balance.threshold).'),
  b('auto.balance.replica.count.threshold.percent', 'INT', '10', '[0,...,1000]', int(0, 1000), CD, ['controller'], 'A broker\'s replica count (per topic and overall) may differ from the mean by this percent, never less than the rounding of the mean (Cruise Control\'s replica.count.balance.threshold).'),
  b('auto.balance.throttle.bytes.per.second', 'LONG', '10485760', '[0,...]', long(0n), CD, ['controller'], 'Replication rate of the self-balancer\'s copies, set as leader/follower.replication.throttled.rate on the brokers involved; 0 leaves them unthrottled (Confluent\'s confluent.balancer.throttle.bytes.per.second).'),
  b('compression.gzip.level', 'INT', '-1', '[1,...,9] or -1', intOr([-1], 1, 9), CW, ['broker'], 'Default gzip level of topics.'),
  b('compression.lz4.level', 'INT', '9', '[1,...,17]', int(1, 17), CW, ['broker'], 'Default lz4 level of topics.'),
  b('compression.type', 'STRING', 'producer', `[${CODECS.join(', ')}]`, oneOf(...CODECS), CW, ['broker'], 'Default codec of topics.'),
  b('compression.zstd.level', 'INT', '3', '[-131072,...,22]', int(-131072, 22), CW, ['broker'], 'Default zstd level of topics.'),
  b('default.replication.factor', 'INT', '1', '[1,...]', int(1), RO, ['controller'], 'Replication factor of topics created with -1.'),
  b('follower.replication.throttled.rate', 'LONG', LONG_MAX, '[0,...]', long(0n), CW, ['broker'], 'Bytes per second this broker fetches as follower for the replicas in follower.replication.throttled.replicas (replication quota).'),
  b('leader.replication.throttled.rate', 'LONG', LONG_MAX, '[0,...]', long(0n), CW, ['broker'], 'Bytes per second this broker serves as leader to out-of-sync followers of the replicas in leader.replication.throttled.replicas.'),
  b('log.cleaner.backoff.ms', 'LONG', '15000', '[0,...]', long(0n), RO, ['broker'], 'How long the log cleaner sleeps when no log needs cleaning.'),
  b('log.cleaner.dedupe.buffer.size', 'LONG', '134217728', '[1024,...]', long(1024n), RO, ['broker'], 'Memory for the log cleaner\'s key -> offset maps, over all cleaner threads.'),
  b('log.cleaner.delete.retention.ms', 'LONG', '86400000', '[0,...]', long(0n), CW, ['broker'], 'Default delete.retention.ms of topics.'),
  b('log.cleaner.enable', 'BOOLEAN', 'true', '', bool, RO, ['broker'], 'Run the log cleaner (compaction) on this broker.'),
  b('log.cleaner.io.max.bytes.per.second', 'DOUBLE', '1.7976931348623157E308', '', double(0, Number.MAX_VALUE), RO, ['broker'], 'Bytes per second the log cleaner may read and write, all its threads together.'),
  b('log.cleaner.max.compaction.lag.ms', 'LONG', LONG_MAX, '[1,...]', long(1n), CW, ['broker'], 'Default max.compaction.lag.ms of topics.'),
  b('log.cleaner.min.cleanable.ratio', 'DOUBLE', '0.5', '[0,...,1]', double(0, 1), CW, ['broker'], 'Default min.cleanable.dirty.ratio of topics.'),
  b('log.cleaner.min.compaction.lag.ms', 'LONG', '0', '[0,...]', long(0n), CW, ['broker'], 'Default min.compaction.lag.ms of topics.'),
  b('log.cleaner.threads', 'INT', '1', '[1,...]', int(1), RO, ['broker'], 'Log cleaning rounds that may run at once.'),
  b('log.cleanup.policy', 'LIST', 'delete', '[delete, compact]', listOf('delete', 'compact'), CW, ['broker'], 'Default cleanup.policy of topics.'),
  b('log.flush.interval.messages', 'LONG', LONG_MAX, '[1,...]', long(1n), CW, ['broker'], 'Default flush.messages of topics.'),
  b('log.flush.interval.ms', 'LONG', null, '', long(0n), CW, ['broker'], 'Default flush.ms of topics (unset: never by time).'),
  b('log.index.interval.bytes', 'INT', '4096', '[0,...]', int(0), CW, ['broker'], 'Default index.interval.bytes of topics.'),
  b('log.message.timestamp.after.max.ms', 'LONG', '3600000', '[0,...]', long(0n), CW, ['broker'], 'Default message.timestamp.after.max.ms of topics.'),
  b('log.message.timestamp.before.max.ms', 'LONG', LONG_MAX, '[0,...]', long(0n), CW, ['broker'], 'Default message.timestamp.before.max.ms of topics.'),
  b('log.message.timestamp.type', 'STRING', 'CreateTime', '[CreateTime, LogAppendTime]', oneOf('CreateTime', 'LogAppendTime'), CW, ['broker'], 'Default message.timestamp.type of topics.'),
  b('log.retention.bytes', 'LONG', '-1', '[-1,...]', long(-1n), CW, ['broker'], 'Default retention.bytes of topics.'),
  b('log.retention.check.interval.ms', 'LONG', '300000', '[1,...]', long(1n), RO, ['broker'], 'How often the broker looks for segments to delete under retention.'),
  b('log.retention.hours', 'INT', '168', '', int(-1), RO, ['broker'], 'Default retention of topics in hours (below log.retention.minutes and .ms).'),
  b('log.retention.minutes', 'INT', null, '', int(-1), RO, ['broker'], 'Default retention of topics in minutes (below log.retention.ms).'),
  b('log.retention.ms', 'LONG', null, '', long(-1n), CW, ['broker'], 'Default retention.ms of topics; wins over .minutes and .hours.'),
  b('log.roll.hours', 'INT', '168', '[1,...]', int(1), RO, ['broker'], 'Default segment.ms of topics in hours (below log.roll.ms).'),
  b('log.roll.jitter.hours', 'INT', '0', '[0,...]', int(0), RO, ['broker'], 'Default segment.jitter.ms of topics in hours (below log.roll.jitter.ms).'),
  b('log.roll.jitter.ms', 'LONG', null, '', long(0n), CW, ['broker'], 'Default segment.jitter.ms of topics.'),
  b('log.roll.ms', 'LONG', null, '', long(1n), CW, ['broker'], 'Default segment.ms of topics.'),
  b('log.segment.bytes', 'INT', '1073741824', '[1048576,...]', int(1_048_576), CW, ['broker'], 'Default segment.bytes of topics.'),
  b('log.segment.delete.delay.ms', 'LONG', '60000', '[0,...]', long(0n), CW, ['broker'], 'Default file.delete.delay.ms of topics.'),
  b('message.max.bytes', 'INT', '1048588', '[0,...]', int(0), CW, ['broker', 'gateway'], 'Default max.message.bytes of topics.'),
  b('min.insync.replicas', 'INT', '1', '[1,...]', int(1), CW, ['broker'], 'Default min.insync.replicas of topics.'),
  b('num.partitions', 'INT', '1', '[1,...]', int(1), RO, ['controller'], 'Partitions of topics created with -1 (and auto-created ones).'),
  b('producer.id.expiration.ms', 'INT', '86400000', '[1,...]', int(1), CW, ['broker'], 'How long a partition keeps the state of a producer id that wrote nothing (and has no open transaction).'),
  b('replication.quota.window.num', 'INT', '11', '[1,...]', int(1), RO, ['broker'], 'Samples kept to measure the replication quotas\' rates.'),
  b('replication.quota.window.size.seconds', 'INT', '1', '[1,...]', int(1), RO, ['broker'], 'Length of each sample of the replication quotas\' rates.'),
  b('ssl.key.password', 'PASSWORD', null, '', anyString, RO, ['gateway'], 'Passphrase of the TLS listeners\' key.', true),
  b('ssl.keystore.password', 'PASSWORD', null, '', anyString, RO, ['gateway'], 'Password of the TLS listeners\' keystore.', true),
  b('transaction.abort.timed.out.transaction.cleanup.interval.ms', 'INT', '10000', '[1,...]', int(1), RO, ['broker'], 'How often the transaction coordinator aborts transactions past their timeout.'),
  b('transaction.max.timeout.ms', 'INT', '900000', '[1,...]', int(1), RO, ['broker'], 'Largest transaction.timeout.ms a producer may ask for.'),
  b('transaction.remove.expired.transaction.cleanup.interval.ms', 'INT', '3600000', '[1,...]', int(1), RO, ['broker'], 'How often the transaction coordinator forgets expired transactional ids.'),
  b('transaction.state.log.min.isr', 'INT', '2', '[1,...]', int(1), RO, ['controller'], 'min.insync.replicas of __transaction_state when it is created (capped at its replication factor).'),
  b('transaction.state.log.num.partitions', 'INT', '50', '[1,...]', int(1), RO, ['controller'], 'Partitions of __transaction_state when it is created.'),
  b('transaction.state.log.replication.factor', 'SHORT', '3', '[1,...]', int(1), RO, ['controller'], 'Replicas of __transaction_state when it is created (capped at the live brokers).'),
  b('transactional.id.expiration.ms', 'INT', '604800000', '[1,...]', int(1), RO, ['broker'], 'How long a transactional id without transactions is remembered.'),
  b('unclean.leader.election.enable', 'BOOLEAN', 'false', '', bool, CW, ['controller'], 'Default unclean.leader.election.enable of topics.'),
];

export const BROKER_CONFIGS: ReadonlyMap<string, BrokerKeyDef> = new Map(BROKER_CONFIG_DEFS.map((d) => [d.name, d]));

/** Keys a service reads from its own configuration. */
export function brokerKeysOf(service: ServiceName): string[] {
  return BROKER_CONFIG_DEFS.filter((d) => d.services.includes(service)).map((d) => d.name);
}
