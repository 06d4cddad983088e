/** A topic a share group subscribes to, as the cluster knows it. */
export interface SubscribedTopic {
  topicId: string;
  name: string;
  partitions: number;
}

export interface AssignorMember {
  memberId: string;
  subscribedTopicNames: readonly string[];
}

/** memberId → topicId → partitions (ascending). */
export type ShareAssignment = Map<string, Map<string, number[]>>;

/**
 * Kafka's share-group assignor ("simple"): members of a share group share partitions, so every
 * subscribed partition gets at least one member and every member at least one partition when its
 * topics have any. Partitions go first, each to the subscribed member holding fewest so far; then
 * a member left without any takes the subscribed partition with fewest members. Deterministic:
 * members and partitions in sorted order, so every coordinator computes the same assignment.
 */
export function assignShare(members: readonly AssignorMember[], topics: ReadonlyMap<string, SubscribedTopic>): ShareAssignment {
  const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  const out: ShareAssignment = new Map(sorted.map((m) => [m.memberId, new Map()]));
  const load = new Map(sorted.map((m) => [m.memberId, 0]));
  const holders = new Map<string, number>();
  const give = (memberId: string, t: SubscribedTopic, p: number) => {
    const mine = out.get(memberId)!;
    const list = mine.get(t.topicId) ?? [];
    list.push(p);
    mine.set(t.topicId, list);
    load.set(memberId, load.get(memberId)! + 1);
    holders.set(`${t.topicId}:${p}`, (holders.get(`${t.topicId}:${p}`) ?? 0) + 1);
  };
  const names = [...topics.keys()].sort();
  for (const name of names) {
    const t = topics.get(name)!;
    const eligible = sorted.filter((m) => m.subscribedTopicNames.includes(name));
    if (eligible.length === 0) continue;
    for (let p = 0; p < t.partitions; p++) {
      let best = eligible[0]!;
      for (const m of eligible) if (load.get(m.memberId)! < load.get(best.memberId)!) best = m;
      give(best.memberId, t, p);
    }
  }
  for (const m of sorted) {
    if (load.get(m.memberId)! > 0) continue;
    let best: [SubscribedTopic, number, number] | undefined;
    for (const name of names) {
      if (!m.subscribedTopicNames.includes(name)) continue;
      const t = topics.get(name)!;
      for (let p = 0; p < t.partitions; p++) {
        const h = holders.get(`${t.topicId}:${p}`) ?? 0;
        if (!best || h < best[2]) best = [t, p, h];
      }
    }
    if (best) give(m.memberId, best[0], best[1]);
  }
  for (const mine of out.values()) for (const list of mine.values()) list.sort((a, b) => a - b);
  return out;
}

/** Equality of one member's assignment (topicId → partitions). */
export function sameAssignment(a: ReadonlyMap<string, number[]> | undefined, b: ReadonlyMap<string, number[]> | undefined): boolean {
  if (!a || !b) return a === b;
  if (a.size !== b.size) return false;
  for (const [t, ps] of a) {
    const other = b.get(t);
    if (!other || other.length !== ps.length || other.some((p, i) => p !== ps[i])) return false;
  }
  return true;
}
