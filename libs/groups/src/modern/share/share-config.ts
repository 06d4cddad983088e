import { defineConfig } from '@dms/platform';

/**
 * Share-group settings (KIP-932), Kafka's names and defaults; spread into the broker's config.
 * The broker-level values are the defaults of every share group.
 */
export const shareConfigDef = defineConfig({
  'group.share.session.timeout.ms': { type: 'int', default: 45000, min: 1, doc: 'A share-group member that does not heartbeat this long is removed.' },
  'group.share.heartbeat.interval.ms': { type: 'int', default: 5000, min: 1, doc: 'How often share-group members heartbeat.' },
  'group.share.max.size': { type: 'int', default: 200, min: 1, doc: 'Most members one share group may have.' },
  'group.share.record.lock.duration.ms': { type: 'int', default: 30000, min: 1000, doc: 'How long an acquired record stays locked to its consumer.' },
  'group.share.delivery.count.limit': { type: 'int', default: 5, min: 2, doc: 'Deliveries of a record before it is archived.' },
  'group.share.partition.max.record.locks': { type: 'int', default: 2000, min: 100, doc: 'Most records in flight in one share partition.' },
  'group.share.auto.offset.reset': { type: 'enum', values: ['earliest', 'latest'], default: 'latest', doc: 'Where a share partition with no state starts: earliest or latest.' },
  'share.coordinator.snapshot.update.records.per.snapshot': { type: 'int', default: 500, min: 0, doc: 'ShareUpdate records written before a full ShareSnapshot is written again.' },
});

export interface ShareGroupConfig {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxSize: number;
  recordLockDurationMs: number;
  deliveryCountLimit: number;
  maxRecordLocks: number;
  autoOffsetReset: 'earliest' | 'latest';
  updatesPerSnapshot: number;
}

export const defaultShareConfig: ShareGroupConfig = {
  sessionTimeoutMs: 45000,
  heartbeatIntervalMs: 5000,
  maxSize: 200,
  recordLockDurationMs: 30000,
  deliveryCountLimit: 5,
  maxRecordLocks: 2000,
  autoOffsetReset: 'latest',
  updatesPerSnapshot: 500,
};

type ShareConfigValues = { readonly [K in keyof typeof shareConfigDef]: unknown };

/** The share settings out of a loaded config that includes `shareConfigDef`. */
export function shareConfigFrom(c: ShareConfigValues): ShareGroupConfig {
  const reset = String(c['group.share.auto.offset.reset']).toLowerCase();
  if (reset !== 'earliest' && reset !== 'latest') throw new Error(`group.share.auto.offset.reset must be earliest or latest, not ${reset}`);
  return {
    sessionTimeoutMs: Number(c['group.share.session.timeout.ms']),
    heartbeatIntervalMs: Number(c['group.share.heartbeat.interval.ms']),
    maxSize: Number(c['group.share.max.size']),
    recordLockDurationMs: Number(c['group.share.record.lock.duration.ms']),
    deliveryCountLimit: Number(c['group.share.delivery.count.limit']),
    maxRecordLocks: Number(c['group.share.partition.max.record.locks']),
    autoOffsetReset: reset,
    updatesPerSnapshot: Number(c['share.coordinator.snapshot.update.records.per.snapshot']),
  };
}

/** A group's own settings (its GROUP config resource), structurally `GroupConfigOverrides` of @dms/configs. */
export interface GroupOverrides {
  /** KIP-848 consumer groups: read through `GroupShardDeps.groupConfig` by the consumer-group code. */
  consumerSessionTimeoutMs?: number;
  consumerHeartbeatIntervalMs?: number;
  shareSessionTimeoutMs?: number;
  shareHeartbeatIntervalMs?: number;
  shareRecordLockDurationMs?: number;
  shareDeliveryCountLimit?: number;
  shareAutoOffsetReset?: 'earliest' | 'latest';
}

/** The lookup of a group's overrides (Kafka's GroupConfigManager); read at each use so a change applies to the next operation. */
export type GroupConfigLookup = (groupId: string) => GroupOverrides;

/** The settings of one share group: its own values where it sets them, else the broker's. */
export function shareConfigForGroup(base: ShareGroupConfig, own: GroupOverrides): ShareGroupConfig {
  return {
    ...base,
    sessionTimeoutMs: own.shareSessionTimeoutMs ?? base.sessionTimeoutMs,
    heartbeatIntervalMs: own.shareHeartbeatIntervalMs ?? base.heartbeatIntervalMs,
    recordLockDurationMs: own.shareRecordLockDurationMs ?? base.recordLockDurationMs,
    deliveryCountLimit: own.shareDeliveryCountLimit ?? base.deliveryCountLimit,
    autoOffsetReset: own.shareAutoOffsetReset ?? base.autoOffsetReset,
  };
}

/**
 * A config object for one group's share partitions whose per-group values are looked up on every
 * read, so an altered share.record.lock.duration.ms or share.delivery.count.limit applies to the
 * next acquisition without reloading the window (as Kafka's SharePartition reads them per acquire).
 */
export function liveShareConfig(base: ShareGroupConfig, groupId: string, lookup: GroupConfigLookup | undefined): ShareGroupConfig {
  if (!lookup) return base;
  const now = () => shareConfigForGroup(base, lookup(groupId));
  return {
    ...base,
    get sessionTimeoutMs() { return now().sessionTimeoutMs; },
    get heartbeatIntervalMs() { return now().heartbeatIntervalMs; },
    get recordLockDurationMs() { return now().recordLockDurationMs; },
    get deliveryCountLimit() { return now().deliveryCountLimit; },
    get autoOffsetReset() { return now().autoOffsetReset; },
  };
}
