// Kafka's GROUP config resources (KIP-848 dynamic group configs, KIP-932): per-group overrides of
// the broker-level group.consumer.* and group.share.* settings. Each value must lie within the
// bounds the broker sets (group.consumer.min/max.*, group.share.min/max.*); a group sets only
// what it overrides and keeps its configs after the group itself is deleted, as Kafka.
import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import type { KeyDef } from './types';
import { int, oneOf } from './validators';

export const GROUP_CONFIG_DEFS: readonly KeyDef[] = [
  { name: 'consumer.session.timeout.ms', type: 'INT', default: '45000', valid: '[1,...]', validate: int(1), doc: 'A consumer-group (KIP-848) member that does not heartbeat this long is removed.' },
  { name: 'consumer.heartbeat.interval.ms', type: 'INT', default: '5000', valid: '[1,...]', validate: int(1), doc: 'How often consumer-group (KIP-848) members heartbeat.' },
  { name: 'share.session.timeout.ms', type: 'INT', default: '45000', valid: '[1,...]', validate: int(1), doc: 'A share-group member that does not heartbeat this long is removed.' },
  { name: 'share.heartbeat.interval.ms', type: 'INT', default: '5000', valid: '[1,...]', validate: int(1), doc: 'How often share-group members heartbeat.' },
  { name: 'share.record.lock.duration.ms', type: 'INT', default: '30000', valid: '[1000,...]', validate: int(1000), doc: 'How long a record acquired by a share consumer stays locked to it.' },
  { name: 'share.delivery.count.limit', type: 'INT', default: '5', valid: '[2,...]', validate: int(2), doc: 'Deliveries of a record before the share group archives it.' },
  { name: 'share.auto.offset.reset', type: 'STRING', default: 'latest', valid: '[earliest, latest]', validate: oneOf('earliest', 'latest'), doc: 'Where a share partition without state starts: earliest or latest.' },
  { name: 'share.isolation.level', type: 'STRING', default: 'read_uncommitted', valid: '[read_committed, read_uncommitted]', validate: oneOf('read_committed', 'read_uncommitted'), doc: 'Which records share consumers of the group see (DMS delivers up to the high watermark either way).' },
];

export const GROUP_CONFIGS: ReadonlyMap<string, KeyDef> = new Map(GROUP_CONFIG_DEFS.map((d) => [d.name, d]));

/** The broker-level settings a group config is checked against: Kafka's names, without the `group.` prefix of the key it bounds. */
export interface GroupConfigBounds {
  'group.consumer.session.timeout.ms': number;
  'group.consumer.min.session.timeout.ms': number;
  'group.consumer.max.session.timeout.ms': number;
  'group.consumer.heartbeat.interval.ms': number;
  'group.consumer.min.heartbeat.interval.ms': number;
  'group.consumer.max.heartbeat.interval.ms': number;
  'group.share.session.timeout.ms': number;
  'group.share.min.session.timeout.ms': number;
  'group.share.max.session.timeout.ms': number;
  'group.share.heartbeat.interval.ms': number;
  'group.share.min.heartbeat.interval.ms': number;
  'group.share.max.heartbeat.interval.ms': number;
  'group.share.record.lock.duration.ms': number;
  'group.share.min.record.lock.duration.ms': number;
  'group.share.max.record.lock.duration.ms': number;
  'group.share.delivery.count.limit': number;
  'group.share.min.delivery.count.limit': number;
  'group.share.max.delivery.count.limit': number;
}

/** Kafka's defaults of the bounds. */
export const DEFAULT_GROUP_CONFIG_BOUNDS: Readonly<GroupConfigBounds> = {
  'group.consumer.session.timeout.ms': 45000,
  'group.consumer.min.session.timeout.ms': 45000,
  'group.consumer.max.session.timeout.ms': 60000,
  'group.consumer.heartbeat.interval.ms': 5000,
  'group.consumer.min.heartbeat.interval.ms': 5000,
  'group.consumer.max.heartbeat.interval.ms': 15000,
  'group.share.session.timeout.ms': 45000,
  'group.share.min.session.timeout.ms': 45000,
  'group.share.max.session.timeout.ms': 60000,
  'group.share.heartbeat.interval.ms': 5000,
  'group.share.min.heartbeat.interval.ms': 5000,
  'group.share.max.heartbeat.interval.ms': 15000,
  'group.share.record.lock.duration.ms': 30000,
  'group.share.min.record.lock.duration.ms': 15000,
  'group.share.max.record.lock.duration.ms': 60000,
  'group.share.delivery.count.limit': 5,
  'group.share.min.delivery.count.limit': 2,
  'group.share.max.delivery.count.limit': 10,
};

/** The keys bounded by a broker min and max: `consumer.session.timeout.ms` by group.consumer.{min,max}.session.timeout.ms. */
const BOUNDED: ReadonlyArray<{ key: string; min: keyof GroupConfigBounds; max: keyof GroupConfigBounds }> = [
  { key: 'consumer.session.timeout.ms', min: 'group.consumer.min.session.timeout.ms', max: 'group.consumer.max.session.timeout.ms' },
  { key: 'consumer.heartbeat.interval.ms', min: 'group.consumer.min.heartbeat.interval.ms', max: 'group.consumer.max.heartbeat.interval.ms' },
  { key: 'share.session.timeout.ms', min: 'group.share.min.session.timeout.ms', max: 'group.share.max.session.timeout.ms' },
  { key: 'share.heartbeat.interval.ms', min: 'group.share.min.heartbeat.interval.ms', max: 'group.share.max.heartbeat.interval.ms' },
  { key: 'share.record.lock.duration.ms', min: 'group.share.min.record.lock.duration.ms', max: 'group.share.max.record.lock.duration.ms' },
  { key: 'share.delivery.count.limit', min: 'group.share.min.delivery.count.limit', max: 'group.share.max.delivery.count.limit' },
];

const invalid = (m: string) => new KafkaError(ErrorCode.INVALID_CONFIG, m);

/**
 * Kafka's checks of a group's config set (INVALID_CONFIG): known keys, well-formed values, each
 * bounded value within the broker's min and max, and the heartbeat interval below the session
 * timeout (each taken from the group when it sets it, else the broker's default).
 */
export function validateGroupConfigs(configs: Readonly<Record<string, string | null>>, bounds: Readonly<GroupConfigBounds> = DEFAULT_GROUP_CONFIG_BOUNDS): void {
  for (const [name, value] of Object.entries(configs)) {
    const def = GROUP_CONFIGS.get(name);
    if (!def) throw invalid(`Unknown group config name: ${name}`);
    if (typeof value !== 'string') throw invalid(`Null value not supported for group config: ${name}`);
    const why = def.validate(value.trim());
    if (why) throw invalid(`Invalid value ${value} for configuration ${name}: ${why}`);
  }
  for (const b of BOUNDED) {
    const raw = configs[b.key];
    if (typeof raw !== 'string') continue;
    const v = Number(raw.trim());
    if (v < bounds[b.min]) throw invalid(`${b.key} must be greater than or equal to ${b.min}`);
    if (v > bounds[b.max]) throw invalid(`${b.key} must be less than or equal to ${b.max}`);
  }
  for (const kind of ['consumer', 'share'] as const) {
    const hbKey = `${kind}.heartbeat.interval.ms`;
    const stKey = `${kind}.session.timeout.ms`;
    if (configs[hbKey] == null && configs[stKey] == null) continue;
    const hb = configs[hbKey] != null ? Number(configs[hbKey]!.trim()) : bounds[`group.${hbKey}` as keyof GroupConfigBounds];
    const st = configs[stKey] != null ? Number(configs[stKey]!.trim()) : bounds[`group.${stKey}` as keyof GroupConfigBounds];
    if (hb >= st) throw invalid(`${hbKey} must be less than ${stKey}`);
  }
}

/** A group's overrides as the coordinators use them (only what the group sets). */
export interface GroupConfigOverrides {
  consumerSessionTimeoutMs?: number;
  consumerHeartbeatIntervalMs?: number;
  shareSessionTimeoutMs?: number;
  shareHeartbeatIntervalMs?: number;
  shareRecordLockDurationMs?: number;
  shareDeliveryCountLimit?: number;
  shareAutoOffsetReset?: 'earliest' | 'latest';
  shareIsolationLevel?: 'read_committed' | 'read_uncommitted';
}

/** The overrides a stored config set describes; a key whose value no longer parses is left out. */
export function groupConfigOverrides(configs: Readonly<Record<string, string>> | undefined): GroupConfigOverrides {
  const out: GroupConfigOverrides = {};
  if (!configs) return out;
  const num = (k: string): number | undefined => {
    const def = GROUP_CONFIGS.get(k)!;
    const v = configs[k];
    return v !== undefined && def.validate(v.trim()) === undefined ? Number(v.trim()) : undefined;
  };
  const str = <T extends string>(k: string): T | undefined => {
    const v = configs[k]?.trim();
    return v !== undefined && GROUP_CONFIGS.get(k)!.validate(v) === undefined ? (v as T) : undefined;
  };
  const set = <K extends keyof GroupConfigOverrides>(k: K, v: GroupConfigOverrides[K] | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set('consumerSessionTimeoutMs', num('consumer.session.timeout.ms'));
  set('consumerHeartbeatIntervalMs', num('consumer.heartbeat.interval.ms'));
  set('shareSessionTimeoutMs', num('share.session.timeout.ms'));
  set('shareHeartbeatIntervalMs', num('share.heartbeat.interval.ms'));
  set('shareRecordLockDurationMs', num('share.record.lock.duration.ms'));
  set('shareDeliveryCountLimit', num('share.delivery.count.limit'));
  set('shareAutoOffsetReset', str<'earliest' | 'latest'>('share.auto.offset.reset'));
  set('shareIsolationLevel', str<'read_committed' | 'read_uncommitted'>('share.isolation.level'));
  return out;
}
