import { ConfigError, defineConfig, type ConfigOf } from '@dms/platform';

/** Group coordinator settings, Kafka's names and defaults; spread into the broker's config. */
export const groupConfigDef = defineConfig({
  'group.initial.rebalance.delay.ms': { type: 'int', default: 3000, min: 0, doc: 'Wait for more members before the first rebalance of an empty group.' },
  'group.min.session.timeout.ms': { type: 'int', default: 6000, min: 1, doc: 'Smallest session timeout a member may ask for.' },
  'group.max.session.timeout.ms': { type: 'int', default: 1800000, min: 1, doc: 'Largest session timeout a member may ask for.' },
  'group.max.size': { type: 'int', default: 2147483647, min: 1, doc: 'Most members one group may have.' },
  'offsets.retention.minutes': { type: 'int', default: 10080, min: 1, doc: 'Offsets of a group that has been empty this long are expired.' },
  'offsets.retention.check.interval.ms': { type: 'int', default: 600000, min: 1, doc: 'How often expired offsets are looked for.' },
  'offset.metadata.max.bytes': { type: 'int', default: 4096, min: 0, doc: 'Largest metadata string of one committed offset.' },
  'group.consumer.session.timeout.ms': { type: 'int', default: 45000, min: 1, doc: 'Session timeout of members of consumer groups (group.protocol=consumer).' },
  'group.consumer.heartbeat.interval.ms': { type: 'int', default: 5000, min: 1, doc: 'Heartbeat interval given to members of consumer groups.' },
  'group.consumer.max.size': { type: 'int', default: 2147483647, min: 1, doc: 'Most members one consumer group may have.' },
  'group.consumer.migration.policy': {
    type: 'string', default: 'bidirectional',
    doc: 'Online conversion of groups with members between the classic and the consumer protocol: disabled, upgrade, downgrade or bidirectional.',
  },
  'group.consumer.assignors': {
    type: 'list', default: 'uniform,range',
    doc: 'Server-side assignors of consumer groups (uniform, range, or their Kafka class names); the first is the default.',
  },
});

export interface GroupCoordinatorConfig {
  initialRebalanceDelayMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  maxGroupSize: number;
  offsetsRetentionMs: number;
  retentionCheckIntervalMs: number;
  offsetMetadataMaxBytes: number;
  /** KIP-848 consumer groups (group.consumer.*). */
  consumerSessionTimeoutMs: number;
  consumerHeartbeatIntervalMs: number;
  /** group.consumer.assignors: the first is the default. */
  consumerAssignors: readonly string[];
  consumerMaxSize: number;
  /** group.consumer.migration.policy: which online conversions of groups with members are allowed. */
  consumerMigrationPolicy: MigrationPolicy;
}

export const MIGRATION_POLICIES = ['disabled', 'upgrade', 'downgrade', 'bidirectional'] as const;
export type MigrationPolicy = (typeof MIGRATION_POLICIES)[number];

export const upgradeAllowed = (p: MigrationPolicy) => p === 'upgrade' || p === 'bidirectional';
export const downgradeAllowed = (p: MigrationPolicy) => p === 'downgrade' || p === 'bidirectional';

function migrationPolicy(value: string): MigrationPolicy {
  const p = value.trim().toLowerCase();
  if (!(MIGRATION_POLICIES as readonly string[]).includes(p)) {
    throw new ConfigError(`group.consumer.migration.policy: ${value} is not one of ${MIGRATION_POLICIES.join(', ')}`);
  }
  return p as MigrationPolicy;
}

/** Kafka's group.consumer.* defaults. */
export const consumerGroupDefaults = {
  consumerSessionTimeoutMs: 45_000,
  consumerHeartbeatIntervalMs: 5_000,
  consumerAssignors: ['uniform', 'range'] as readonly string[],
  consumerMaxSize: 2147483647,
  consumerMigrationPolicy: 'bidirectional' as MigrationPolicy,
};

export const defaultGroupConfig: GroupCoordinatorConfig = {
  initialRebalanceDelayMs: 3000,
  minSessionTimeoutMs: 6000,
  maxSessionTimeoutMs: 1800000,
  maxGroupSize: 2147483647,
  offsetsRetentionMs: 10080 * 60_000,
  retentionCheckIntervalMs: 600000,
  offsetMetadataMaxBytes: 4096,
  ...consumerGroupDefaults,
};

/** Kafka's class names of the built-in assignors, as `group.consumer.assignors` may give them. */
const ASSIGNOR_CLASSES: Record<string, string> = {
  'org.apache.kafka.coordinator.group.assignor.UniformAssignor': 'uniform',
  'org.apache.kafka.coordinator.group.assignor.RangeAssignor': 'range',
};

function assignorNames(list: readonly string[]): string[] {
  const names = list.map((a) => ASSIGNOR_CLASSES[a] ?? a);
  const unknown = names.filter((n) => n !== 'uniform' && n !== 'range');
  if (unknown.length > 0 || names.length === 0) {
    throw new ConfigError(`group.consumer.assignors: ${unknown.length > 0 ? `unknown assignor ${unknown.join(', ')}` : 'empty'} (known: uniform, range)`);
  }
  return names;
}

/** The coordinator's settings out of a loaded config that includes `groupConfigDef`. */
export function groupConfigFrom(c: ConfigOf<typeof groupConfigDef>): GroupCoordinatorConfig {
  return {
    initialRebalanceDelayMs: c['group.initial.rebalance.delay.ms'],
    minSessionTimeoutMs: c['group.min.session.timeout.ms'],
    maxSessionTimeoutMs: c['group.max.session.timeout.ms'],
    maxGroupSize: c['group.max.size'],
    offsetsRetentionMs: c['offsets.retention.minutes'] * 60_000,
    retentionCheckIntervalMs: c['offsets.retention.check.interval.ms'],
    offsetMetadataMaxBytes: c['offset.metadata.max.bytes'],
    consumerSessionTimeoutMs: c['group.consumer.session.timeout.ms'],
    consumerHeartbeatIntervalMs: c['group.consumer.heartbeat.interval.ms'],
    consumerMaxSize: c['group.consumer.max.size'],
    consumerAssignors: assignorNames(c['group.consumer.assignors']),
    consumerMigrationPolicy: migrationPolicy(c['group.consumer.migration.policy']),
  };
}
