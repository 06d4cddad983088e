import { type Assignment } from '../../assignment';
import type { AssignmentSpec, ServerAssignor } from './assignor';

type Tp = { topicId: string; partition: number };

/**
 * Kafka's `uniform` assignor: every partition of the subscribed topics goes to one subscribed
 * member, the counts of members differ by at most one wherever their subscriptions allow it, and
 * a member keeps as much of its current target as that balance permits (sticky).
 */
export class UniformAssignor implements ServerAssignor {
  readonly name = 'uniform';

  assign(spec: AssignmentSpec): Map<string, Assignment> {
    const members = [...spec.members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
    const owned = new Map<string, Tp[]>(members.map((m) => [m.memberId, []]));
    const ownerOf = new Map<string, string>();
    const key = (topicId: string, p: number) => `${topicId}:${p}`;
    const eligible = (memberId: string, topicId: string) => members.find((m) => m.memberId === memberId)!.subscribedTopicIds.has(topicId);

    // The partitions to place, in a stable order.
    const all: Tp[] = [];
    for (const topicId of [...spec.topics.keys()].sort()) {
      const t = spec.topics.get(topicId)!;
      for (let p = 0; p < t.numPartitions; p++) all.push({ topicId, partition: p });
    }
    const subscribers = (topicId: string) => members.filter((m) => m.subscribedTopicIds.has(topicId));
    // Each member's fair share over the partitions it can take, rounded up: what it may keep.
    const fairShare = new Map<string, number>();
    for (const m of members) {
      let share = 0;
      for (const topicId of m.subscribedTopicIds) {
        const t = spec.topics.get(topicId);
        if (t) share += t.numPartitions / subscribers(topicId).length;
      }
      fairShare.set(m.memberId, Math.ceil(share));
    }
    const give = (memberId: string, tp: Tp) => {
      owned.get(memberId)!.push(tp);
      ownerOf.set(key(tp.topicId, tp.partition), memberId);
    };

    // Sticky: members keep their current partitions, up to their fair share.
    for (const m of members) {
      for (const [topicId, ps] of m.currentTarget) {
        const t = spec.topics.get(topicId);
        if (!t || !m.subscribedTopicIds.has(topicId)) continue;
        for (const p of [...ps].sort((a, b) => a - b)) {
          if (p >= t.numPartitions || ownerOf.has(key(topicId, p))) continue;
          if (owned.get(m.memberId)!.length >= fairShare.get(m.memberId)!) break;
          give(m.memberId, { topicId, partition: p });
        }
      }
    }
    // The rest to the eligible member with the fewest partitions.
    for (const tp of all) {
      if (ownerOf.has(key(tp.topicId, tp.partition))) continue;
      let best: string | undefined;
      for (const m of subscribers(tp.topicId)) {
        if (best === undefined || owned.get(m.memberId)!.length < owned.get(best)!.length) best = m.memberId;
      }
      if (best !== undefined) give(best, tp);
    }
    // Balance: move partitions from a member with two or more than an eligible one.
    for (let moved = true, rounds = 0; moved && rounds < all.length + 1; rounds++) {
      moved = false;
      for (const from of members) {
        const mine = owned.get(from.memberId)!;
        for (let i = mine.length - 1; i >= 0; i--) {
          const tp = mine[i];
          const to = subscribers(tp.topicId)
            .filter((m) => m.memberId !== from.memberId && owned.get(m.memberId)!.length + 1 < mine.length)
            .sort((a, b) => owned.get(a.memberId)!.length - owned.get(b.memberId)!.length)[0];
          if (!to || !eligible(to.memberId, tp.topicId)) continue;
          mine.splice(i, 1);
          give(to.memberId, tp);
          moved = true;
        }
      }
    }
    const out = new Map<string, Assignment>();
    for (const [memberId, tps] of owned) {
      const a = new Map<string, Set<number>>();
      for (const tp of tps) {
        const s = a.get(tp.topicId) ?? new Set<number>();
        s.add(tp.partition);
        a.set(tp.topicId, s);
      }
      out.set(memberId, a);
    }
    return out;
  }
}
