// OffsetFetch (9)
// Behavior: committed offsets from the group's coordinator; a group or partition without a
//   commit answers offset -1 with no error. A null topic list means every committed partition.
// Version notes: v1 reports group-level errors per partition; v2+ top-level errorCode; v5+
//   leader epoch; v7+ requireStable (nothing is ever pending: no transactions yet); v8+ several
//   groups per request, each routed to its own coordinator.
// Not implemented: KIP-848 member id/epoch checks (v9 fields ignored).
import { ErrorCode } from '@dms/kafka-errors';
import type { KafkaHandler } from './handler';
import type { RequestContext } from './ports';

async function fetchGroup(ctx: RequestContext, groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null) {
  const res = await ctx.groups.offsetFetch({ groupId, allTopics: topics === null, topics: topics ?? [] });
  if (res.errorCode !== ErrorCode.NONE) {
    // Echo the requested partitions so clients that read per-partition errors (v1) see it too.
    return {
      errorCode: res.errorCode,
      topics: (topics ?? []).map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: res.errorCode })),
      })),
    };
  }
  return res;
}

export const offsetFetchHandler: KafkaHandler = {
  apiKey: 9,
  name: 'OffsetFetch',
  minVersion: 1,
  maxVersion: 9,
  async handle(ctx, req: any, version) {
    if (version >= 8) {
      const groups = await Promise.all((req.groups as any[]).map(async (g) => {
        const res = await fetchGroup(ctx, g.groupId, g.topics);
        return { groupId: g.groupId, topics: res.topics, errorCode: res.errorCode };
      }));
      return { throttleTimeMs: 0, groups };
    }
    const res = await fetchGroup(ctx, req.groupId, req.topics);
    return { throttleTimeMs: 0, topics: res.topics, errorCode: res.errorCode };
  },
};
