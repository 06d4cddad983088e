/**
 * A set of partitions by topic id, as KIP-848 assignments are exchanged and stored
 * (topic id -> partition numbers). Empty topics are never kept.
 */
export type Assignment = ReadonlyMap<string, ReadonlySet<number>>;

export interface WireTopicPartitions {
  topicId: string;
  partitions: number[];
}

export const EMPTY: Assignment = new Map();

export function fromWire(tps: readonly WireTopicPartitions[] | null | undefined): Assignment {
  const out = new Map<string, Set<number>>();
  for (const tp of tps ?? []) {
    if (tp.partitions.length === 0) continue;
    const s = out.get(tp.topicId) ?? new Set<number>();
    for (const p of tp.partitions) s.add(p);
    out.set(tp.topicId, s);
  }
  return out;
}

/** Sorted by topic id and partition, so records and responses are deterministic. */
export function toWire(a: Assignment): WireTopicPartitions[] {
  return [...a.keys()].sort().map((topicId) => ({ topicId, partitions: [...a.get(topicId)!].sort((x, y) => x - y) }));
}

export function size(a: Assignment): number {
  let n = 0;
  for (const s of a.values()) n += s.size;
  return n;
}

export function has(a: Assignment, topicId: string, partition: number): boolean {
  return a.get(topicId)?.has(partition) ?? false;
}

function combine(a: Assignment, b: Assignment, keep: (inA: boolean, inB: boolean) => boolean): Assignment {
  const out = new Map<string, Set<number>>();
  for (const topicId of new Set([...a.keys(), ...b.keys()])) {
    const sa = a.get(topicId) ?? new Set<number>();
    const sb = b.get(topicId) ?? new Set<number>();
    const s = new Set<number>();
    for (const p of new Set([...sa, ...sb])) if (keep(sa.has(p), sb.has(p))) s.add(p);
    if (s.size > 0) out.set(topicId, s);
  }
  return out;
}

export const union = (a: Assignment, b: Assignment) => combine(a, b, (x, y) => x || y);
export const intersect = (a: Assignment, b: Assignment) => combine(a, b, (x, y) => x && y);
export const minus = (a: Assignment, b: Assignment) => combine(a, b, (x, y) => x && !y);

export function equals(a: Assignment, b: Assignment): boolean {
  return size(a) === size(b) && size(intersect(a, b)) === size(a);
}

/** Every partition of `a` is in `b`. */
export function isSubset(a: Assignment, b: Assignment): boolean {
  return size(minus(a, b)) === 0;
}

/** The partitions of `a` that `keep` accepts. */
export function filter(a: Assignment, keep: (topicId: string, partition: number) => boolean): Assignment {
  const out = new Map<string, Set<number>>();
  for (const [topicId, ps] of a) {
    const s = new Set([...ps].filter((p) => keep(topicId, p)));
    if (s.size > 0) out.set(topicId, s);
  }
  return out;
}
