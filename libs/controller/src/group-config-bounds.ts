// The broker-level group settings the controller checks GROUP configs against (Kafka's
// group.consumer.* and group.share.* session, heartbeat, lock and delivery bounds).
import { DEFAULT_GROUP_CONFIG_BOUNDS, type GroupConfigBounds } from '@dms/configs';
import { defineConfig } from '@dms/platform';

const d = DEFAULT_GROUP_CONFIG_BOUNDS;
const key = (name: keyof GroupConfigBounds, doc: string) => ({ type: 'int' as const, default: d[name], min: 1, doc });

export const groupBoundsConfigDef = defineConfig({
  'group.consumer.session.timeout.ms': key('group.consumer.session.timeout.ms', 'Broker default of consumer.session.timeout.ms, used when checking group configs.'),
  'group.consumer.min.session.timeout.ms': key('group.consumer.min.session.timeout.ms', 'Smallest consumer.session.timeout.ms a group may set.'),
  'group.consumer.max.session.timeout.ms': key('group.consumer.max.session.timeout.ms', 'Largest consumer.session.timeout.ms a group may set.'),
  'group.consumer.heartbeat.interval.ms': key('group.consumer.heartbeat.interval.ms', 'Broker default of consumer.heartbeat.interval.ms, used when checking group configs.'),
  'group.consumer.min.heartbeat.interval.ms': key('group.consumer.min.heartbeat.interval.ms', 'Smallest consumer.heartbeat.interval.ms a group may set.'),
  'group.consumer.max.heartbeat.interval.ms': key('group.consumer.max.heartbeat.interval.ms', 'Largest consumer.heartbeat.interval.ms a group may set.'),
  'group.share.session.timeout.ms': key('group.share.session.timeout.ms', 'Broker default of share.session.timeout.ms, used when checking group configs.'),
  'group.share.min.session.timeout.ms': key('group.share.min.session.timeout.ms', 'Smallest share.session.timeout.ms a group may set.'),
  'group.share.max.session.timeout.ms': key('group.share.max.session.timeout.ms', 'Largest share.session.timeout.ms a group may set.'),
  'group.share.heartbeat.interval.ms': key('group.share.heartbeat.interval.ms', 'Broker default of share.heartbeat.interval.ms, used when checking group configs.'),
  'group.share.min.heartbeat.interval.ms': key('group.share.min.heartbeat.interval.ms', 'Smallest share.heartbeat.interval.ms a group may set.'),
  'group.share.max.heartbeat.interval.ms': key('group.share.max.heartbeat.interval.ms', 'Largest share.heartbeat.interval.ms a group may set.'),
  'group.share.record.lock.duration.ms': key('group.share.record.lock.duration.ms', 'Broker default of share.record.lock.duration.ms, used when checking group configs.'),
  'group.share.min.record.lock.duration.ms': key('group.share.min.record.lock.duration.ms', 'Smallest share.record.lock.duration.ms a group may set.'),
  'group.share.max.record.lock.duration.ms': key('group.share.max.record.lock.duration.ms', 'Largest share.record.lock.duration.ms a group may set.'),
  'group.share.delivery.count.limit': key('group.share.delivery.count.limit', 'Broker default of share.delivery.count.limit, used when checking group configs.'),
  'group.share.min.delivery.count.limit': key('group.share.min.delivery.count.limit', 'Smallest share.delivery.count.limit a group may set.'),
  'group.share.max.delivery.count.limit': key('group.share.max.delivery.count.limit', 'Largest share.delivery.count.limit a group may set.'),
});

type BoundsValues = { readonly [K in keyof GroupConfigBounds]: unknown };

/** The bounds out of a loaded config that includes `groupBoundsConfigDef`. */
export function groupBoundsFrom(c: BoundsValues): GroupConfigBounds {
  const out = { ...DEFAULT_GROUP_CONFIG_BOUNDS };
  for (const k of Object.keys(out) as (keyof GroupConfigBounds)[]) out[k] = Number(c[k]);
  return out;
}
