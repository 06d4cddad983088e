/**
 * Kafka's throttled-replica lists (topic configs leader.replication.throttled.replicas and
 * follower.replication.throttled.replicas): empty, "*" (every replica of the topic), or
 * `partition:broker` pairs. A broker applies only the pairs naming itself, as Kafka's
 * TopicConfigHandler does: on a leader, the leader list says which partitions it serves under
 * the leader quota; on a follower, the follower list says which partitions it fetches under the
 * follower quota.
 */
export type ThrottledPartitions = 'all' | ReadonlySet<number>;

const NONE: ReadonlySet<number> = new Set();
const cache = new Map<string, Map<number, ThrottledPartitions>>();

/** The partitions of a topic throttled on `brokerId` by one list value (parsed once per value). */
export function throttledPartitions(value: string | undefined, brokerId: number): ThrottledPartitions {
  const v = (value ?? '').trim();
  if (v === '') return NONE;
  if (v === '*') return 'all';
  let byBroker = cache.get(v);
  if (!byBroker) {
    if (cache.size > 1_000) cache.clear();
    cache.set(v, (byBroker = new Map()));
  }
  let out = byBroker.get(brokerId);
  if (!out) {
    const set = new Set<number>();
    for (const item of v.split(',')) {
      const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(item);
      if (m && Number(m[2]) === brokerId) set.add(Number(m[1]));
    }
    byBroker.set(brokerId, (out = set));
  }
  return out;
}

export function isThrottled(value: string | undefined, partition: number, brokerId: number): boolean {
  const t = throttledPartitions(value, brokerId);
  return t === 'all' || t.has(partition);
}

/** Formats pairs as Kafka's tools write them (`0:1,0:2,1:3`), sorted and without duplicates. */
export function formatThrottledReplicas(pairs: Iterable<{ partition: number; broker: number }>): string {
  const keys = new Map<string, { partition: number; broker: number }>();
  for (const p of pairs) keys.set(`${p.partition}:${p.broker}`, p);
  return [...keys.values()].sort((a, b) => a.partition - b.partition || a.broker - b.broker).map((p) => `${p.partition}:${p.broker}`).join(',');
}
