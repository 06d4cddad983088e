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

/** One partition move: its replicas now and the target set. */
export interface ThrottledMove {
  topic: string;
  partition: number;
  current: readonly number[];
  target: readonly number[];
}

export interface ReassignmentThrottles {
  /** Brokers that get the rates: every current and target replica of a moving partition. */
  brokers: number[];
  /** Per topic, the values of leader.replication.throttled.replicas (every current replica: any may lead) and follower.replication.throttled.replicas (the added ones). */
  topics: Map<string, { leader: string; follower: string }>;
}

/**
 * What kafka-reassign-partitions.sh throttles for a set of moves; for the CLI and for anything
 * else that moves replicas (decommission, self-balancing). Partitions whose replicas do not
 * change are left out.
 */
export function reassignmentThrottles(moves: readonly ThrottledMove[]): ReassignmentThrottles {
  const brokers = new Set<number>();
  const pairs = new Map<string, { leader: { partition: number; broker: number }[]; follower: { partition: number; broker: number }[] }>();
  for (const m of moves) {
    const adding = m.target.filter((b) => !m.current.includes(b));
    if (adding.length === 0 && m.current.every((b) => m.target.includes(b))) continue;
    for (const b of [...m.current, ...m.target]) brokers.add(b);
    let t = pairs.get(m.topic);
    if (!t) pairs.set(m.topic, (t = { leader: [], follower: [] }));
    for (const b of m.current) t.leader.push({ partition: m.partition, broker: b });
    for (const b of adding) t.follower.push({ partition: m.partition, broker: b });
  }
  const topics = new Map<string, { leader: string; follower: string }>();
  for (const [topic, t] of [...pairs].sort(([a], [b]) => a.localeCompare(b))) topics.set(topic, { leader: formatThrottledReplicas(t.leader), follower: formatThrottledReplicas(t.follower) });
  return { brokers: [...brokers].sort((a, b) => a - b), topics };
}
