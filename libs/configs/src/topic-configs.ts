// Every topic-level config key of Kafka 4.x, declared once. Defaults, ranges and broker fallbacks
// follow Kafka's TopicConfig/LogConfig (with KIP-1030's 4.0 changes); the docs are our own words.
import { LONG_MAX, type KeyDef } from './types';
import { bool, double, int, intOr, listOf, long, oneOf, throttledReplicas } from './validators';

/** A broker key a topic key falls back to; `scale` converts its unit to the topic key's (hours to ms). */
export interface BrokerSynonym {
  name: string;
  scale?: number;
}

export interface TopicKeyDef extends KeyDef {
  /** Broker keys consulted, in order, when the topic does not set the key. */
  brokerSynonyms: readonly BrokerSynonym[];
  /** DMS honours the key. Others are described with their default; a non-default value is refused. */
  implemented: boolean;
}

const HOUR = 3_600_000;
/** DMS's topic key turning the per-segment key index (message query by key) on or off. */
export const KEY_INDEX_ENABLE = 'dms.message.key.index.enable';
const MINUTE = 60_000;
const CODECS = ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'];

const t = (
  name: string,
  type: TopicKeyDef['type'],
  dflt: string | null,
  valid: string,
  validate: TopicKeyDef['validate'],
  synonyms: Array<string | BrokerSynonym>,
  implemented: boolean,
  doc: string,
): TopicKeyDef => ({
  name, type, default: dflt, valid, validate, implemented, doc,
  brokerSynonyms: synonyms.map((s) => (typeof s === 'string' ? { name: s } : s)),
});

export const TOPIC_CONFIG_DEFS: readonly TopicKeyDef[] = [
  t('cleanup.policy', 'LIST', 'delete', '[delete, compact]', listOf('delete', 'compact'), ['log.cleanup.policy'], true,
    'What happens to old segments: delete them after retention, compact them to the latest record per key, or both.'),
  t('compression.type', 'STRING', 'producer', `[${CODECS.join(', ')}]`, oneOf(...CODECS), ['compression.type'], true,
    'Codec batches are stored with; producer keeps what the producer sent.'),
  t('compression.gzip.level', 'INT', '-1', '[1,...,9] or -1', intOr([-1], 1, 9), ['compression.gzip.level'], true,
    'gzip level used when the broker compresses with gzip (-1: the codec default).'),
  t('compression.lz4.level', 'INT', '9', '[1,...,17]', int(1, 17), ['compression.lz4.level'], true,
    'lz4 level used when the broker compresses with lz4.'),
  t('compression.zstd.level', 'INT', '3', '[-131072,...,22]', int(-131072, 22), ['compression.zstd.level'], true,
    'zstd level used when the broker compresses with zstd.'),
  t('delete.retention.ms', 'LONG', '86400000', '[0,...]', long(0n), ['log.cleaner.delete.retention.ms'], true,
    'How long a tombstone stays readable in a compacted topic before the cleaner may drop it.'),
  t('file.delete.delay.ms', 'LONG', '60000', '[0,...]', long(0n), ['log.segment.delete.delay.ms'], true,
    'Delay between renaming a deleted segment to .deleted and removing its files.'),
  t('flush.messages', 'LONG', LONG_MAX, '[1,...]', long(1n), ['log.flush.interval.messages'], true,
    'fsync the log after this many appended messages.'),
  t('flush.ms', 'LONG', LONG_MAX, '[0,...]', long(0n), ['log.flush.interval.ms'], true,
    'fsync the log when its oldest unflushed append is this old.'),
  t('follower.replication.throttled.replicas', 'LIST', '', '[partitionId]:[brokerId],[partitionId]:[brokerId],...', throttledReplicas, [], true,
    'Replicas (partition:follower broker, or *) whose fetching while out of the ISR counts against follower.replication.throttled.rate.'),
  t('index.interval.bytes', 'INT', '4096', '[0,...]', int(0), ['log.index.interval.bytes'], true,
    'Bytes of log between two entries of the sparse offset index.'),
  t('leader.replication.throttled.replicas', 'LIST', '', '[partitionId]:[brokerId],[partitionId]:[brokerId],...', throttledReplicas, [], true,
    'Replicas (partition:leader broker, or *) whose serving to out-of-sync followers counts against leader.replication.throttled.rate.'),
  t('local.retention.bytes', 'LONG', '-2', '[-2,...]', long(-2n), ['log.local.retention.bytes'], false,
    'Bytes kept on local disk when tiered storage is on (-2: retention.bytes).'),
  t('local.retention.ms', 'LONG', '-2', '[-2,...]', long(-2n), ['log.local.retention.ms'], false,
    'Time kept on local disk when tiered storage is on (-2: retention.ms).'),
  t('max.compaction.lag.ms', 'LONG', LONG_MAX, '[1,...]', long(1n), ['log.cleaner.max.compaction.lag.ms'], true,
    'Longest a record may stay uncompacted once written.'),
  t('max.message.bytes', 'INT', '1048588', '[0,...]', int(0), ['message.max.bytes'], true,
    'Largest record batch the topic accepts, after compression.'),
  t('message.downconversion.enable', 'BOOLEAN', 'true', '', bool, ['log.message.downconversion.enable'], false,
    'Down-conversion of batches for old fetchers (a no-op since Kafka 4.0).'),
  t('message.timestamp.after.max.ms', 'LONG', '3600000', '[0,...]', long(0n), ['log.message.timestamp.after.max.ms'], true,
    'How far in the future a CreateTime record timestamp may be before the batch is refused.'),
  t('message.timestamp.before.max.ms', 'LONG', LONG_MAX, '[0,...]', long(0n), ['log.message.timestamp.before.max.ms'], true,
    'How far in the past a CreateTime record timestamp may be before the batch is refused.'),
  t('message.timestamp.type', 'STRING', 'CreateTime', '[CreateTime, LogAppendTime]', oneOf('CreateTime', 'LogAppendTime'), ['log.message.timestamp.type'], true,
    'Keep the producer\'s timestamps (CreateTime) or stamp batches with the broker\'s clock (LogAppendTime).'),
  t('min.cleanable.dirty.ratio', 'DOUBLE', '0.5', '[0,...,1]', double(0, 1), ['log.cleaner.min.cleanable.ratio'], true,
    'Share of uncompacted bytes in a log that makes it eligible for compaction.'),
  t('min.compaction.lag.ms', 'LONG', '0', '[0,...]', long(0n), ['log.cleaner.min.compaction.lag.ms'], true,
    'Shortest time a record stays uncompacted once written.'),
  t('min.insync.replicas', 'INT', '1', '[1,...]', int(1), ['min.insync.replicas'], true,
    'In-sync replicas an acks=all produce needs, else NOT_ENOUGH_REPLICAS.'),
  t('preallocate', 'BOOLEAN', 'false', '', bool, ['log.preallocate'], false,
    'Preallocate segment files on disk when they are created.'),
  t('remote.log.copy.disable', 'BOOLEAN', 'false', '', bool, [], false,
    'Stop copying segments to tiered storage while keeping what is there.'),
  t('remote.log.delete.on.disable', 'BOOLEAN', 'false', '', bool, [], false,
    'Delete tiered-storage data when tiered storage is turned off for the topic.'),
  t('remote.storage.enable', 'BOOLEAN', 'false', '', bool, [], false,
    'Tier closed segments to remote storage.'),
  t('retention.bytes', 'LONG', '-1', '[-1,...]', long(-1n), ['log.retention.bytes'], true,
    'Bytes a partition may hold before its oldest segments are deleted (-1: no limit).'),
  t('retention.ms', 'LONG', '604800000', '[-1,...]', long(-1n),
    ['log.retention.ms', { name: 'log.retention.minutes', scale: MINUTE }, { name: 'log.retention.hours', scale: HOUR }], true,
    'Age after which closed segments are deleted (-1: forever).'),
  t('segment.bytes', 'INT', '1073741824', '[1048576,...]', int(1_048_576), ['log.segment.bytes'], true,
    'Size at which the active segment is closed and a new one started.'),
  t('segment.index.bytes', 'INT', '10485760', '[4,...]', int(4), ['log.index.size.max.bytes'], false,
    'Size of the offset and time index files preallocated per segment.'),
  t('segment.jitter.ms', 'LONG', '0', '[0,...]', long(0n), ['log.roll.jitter.ms', { name: 'log.roll.jitter.hours', scale: HOUR }], true,
    'Random reduction of segment.ms per segment so partitions do not all roll at once.'),
  t('segment.ms', 'LONG', '604800000', '[1,...]', long(1n), ['log.roll.ms', { name: 'log.roll.hours', scale: HOUR }], true,
    'Age at which the active segment is closed even if not full.'),
  t('unclean.leader.election.enable', 'BOOLEAN', 'false', '', bool, ['unclean.leader.election.enable'], true,
    'Let a replica outside the ISR become leader when no ISR member is alive (may lose acknowledged records).'),
  // DMS's own keys (no Kafka equivalent), named in a namespace Kafka will not use.
  t(KEY_INDEX_ENABLE, 'BOOLEAN', 'true', '', bool, [], true,
    'DMS: keep an index of record keys beside each segment so a message query by key reads only the batches holding the key.'),
];

export const TOPIC_CONFIGS: ReadonlyMap<string, TopicKeyDef> = new Map(TOPIC_CONFIG_DEFS.map((d) => [d.name, d]));

/** Keys DMS honours: the keys of every effective topic config map. */
export const IMPLEMENTED_TOPIC_CONFIGS: readonly string[] = TOPIC_CONFIG_DEFS.filter((d) => d.implemented).map((d) => d.name);
