import type { Assignment } from '../../assignment';
import type { AssignmentSpec, ServerAssignor } from './assignor';

/**
 * Kafka's server-side `range` assignor: per topic, the subscribed members in member id order
 * each take a contiguous range of partitions, the first (partitions mod members) one more; so
 * members subscribed to co-partitioned topics get the same partition numbers of each.
 */
export class RangeAssignor implements ServerAssignor {
  readonly name = 'range';

  assign(spec: AssignmentSpec): Map<string, Assignment> {
    const out = new Map<string, Map<string, Set<number>>>(spec.members.map((m) => [m.memberId, new Map()]));
    for (const topicId of [...spec.topics.keys()].sort()) {
      const t = spec.topics.get(topicId)!;
      const subscribers = spec.members.filter((m) => m.subscribedTopicIds.has(topicId)).map((m) => m.memberId).sort();
      if (subscribers.length === 0) continue;
      const per = Math.floor(t.numPartitions / subscribers.length);
      const extra = t.numPartitions % subscribers.length;
      let next = 0;
      subscribers.forEach((memberId, i) => {
        const n = per + (i < extra ? 1 : 0);
        if (n === 0) return;
        const s = new Set<number>();
        for (let p = next; p < next + n; p++) s.add(p);
        next += n;
        out.get(memberId)!.set(topicId, s);
      });
    }
    return out;
  }
}
