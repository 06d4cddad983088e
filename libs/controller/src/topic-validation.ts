import { ErrorCode, KafkaError } from '@dms/kafka-errors';

export const MAX_TOPIC_NAME_LENGTH = 249;
const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** Kafka's topic name rules; throws INVALID_TOPIC_EXCEPTION (17). */
export function validateTopicName(name: string): void {
  const bad = (m: string): never => {
    throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, m);
  };
  if (typeof name !== 'string' || name.length === 0) bad('Topic name is illegal, it can\'t be empty');
  if (name === '.' || name === '..') bad('Topic name cannot be "." or ".."');
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    bad(`Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters, topic name: ${name}`);
  }
  if (!LEGAL.test(name)) {
    bad(`Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`);
  }
}

type Check = (v: string) => string | undefined;

const long = (min: number): Check => (v) =>
  /^-?\d+$/.test(v.trim()) && BigInt(v.trim()) >= BigInt(min) && BigInt(v.trim()) < 2n ** 63n
    ? undefined
    : `must be an integer >= ${min}`;
const int = (min: number): Check => (v) =>
  /^-?\d+$/.test(v.trim()) && Number(v.trim()) >= min && Number(v.trim()) <= 0x7fffffff
    ? undefined
    : `must be an int >= ${min}`;
const oneOf = (...values: string[]): Check => (v) => (values.includes(v.trim()) ? undefined : `must be one of ${values.join(', ')}`);
const listOf = (...values: string[]): Check => (v) => {
  const parts = v.split(',').map((s) => s.trim().toLowerCase());
  return parts.length > 0 && parts.every((p) => values.includes(p)) ? undefined : `must be a list of ${values.join(', ')}`;
};
const bool: Check = (v) => (['true', 'false'].includes(v.trim().toLowerCase()) ? undefined : 'must be true or false');
const ratio: Check = (v) => (Number.isFinite(Number(v)) && Number(v) >= 0 && Number(v) <= 1 ? undefined : 'must be in [0, 1]');
const any: Check = () => undefined;

/** Topic-level configs Kafka defines; the common ones are checked, the rest accepted as given. */
const TOPIC_CONFIGS: Record<string, Check> = {
  'cleanup.policy': listOf('delete', 'compact'),
  'retention.ms': long(-1),
  'retention.bytes': long(-1),
  'segment.bytes': int(14),
  'min.insync.replicas': int(1),
  'message.timestamp.type': oneOf('CreateTime', 'LogAppendTime'),
  'max.message.bytes': int(0),
  'compression.type': oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'),
  'segment.ms': long(1),
  'segment.index.bytes': int(4),
  'segment.jitter.ms': long(0),
  'index.interval.bytes': int(0),
  'delete.retention.ms': long(0),
  'file.delete.delay.ms': long(0),
  'flush.messages': long(1),
  'flush.ms': long(0),
  'min.compaction.lag.ms': long(0),
  'max.compaction.lag.ms': long(1),
  'min.cleanable.dirty.ratio': ratio,
  'message.timestamp.difference.max.ms': long(0),
  'message.timestamp.before.max.ms': long(0),
  'message.timestamp.after.max.ms': long(0),
  'message.downconversion.enable': bool,
  'unclean.leader.election.enable': bool,
  preallocate: bool,
  'local.retention.ms': long(-2),
  'local.retention.bytes': long(-2),
  'remote.storage.enable': bool,
  'leader.replication.throttled.replicas': any,
  'follower.replication.throttled.replicas': any,
  'message.format.version': any,
  'compression.gzip.level': int(1),
  'compression.lz4.level': int(1),
  'compression.zstd.level': int(-131072),
};

export function isKnownTopicConfig(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(TOPIC_CONFIGS, name);
}

/** Throws INVALID_CONFIG (40) for an unknown name or a malformed value. */
export function validateTopicConfigs(configs: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(configs)) {
    if (!isKnownTopicConfig(name)) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${name}`);
    if (typeof value !== 'string') throw new KafkaError(ErrorCode.INVALID_CONFIG, `Null value not supported for topic config: ${name}`);
    const why = TOPIC_CONFIGS[name](value);
    if (why) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Invalid value ${value} for configuration ${name}: ${why}`);
  }
}
