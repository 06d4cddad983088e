// OffsetFetch (9)
// Behavior: committed offsets from the group's coordinator; a group or partition without a
//   commit answers offset -1 with no error. A null topic list means every committed partition.
// Version notes: v1 reports group-level errors per partition; v2+ top-level errorCode; v5+
//   leader epoch; v7+ requireStable: partitions with a pending transactional commit (TxnOffsetCommit
//   whose transaction has not ended) answer UNSTABLE_OFFSET_COMMIT, the client retries; v8+ several
//   groups per request, each routed to its own coordinator.
//   Needs DESCRIBE on the GROUP (else GROUP_AUTHORIZATION_FAILED) and DESCRIBE on each TOPIC:
//   asked-for partitions of other topics answer TOPIC_AUTHORIZATION_FAILED, and a request for
//   all partitions leaves those topics out, as Kafka does.
// Not implemented: KIP-848 member id/epoch checks (v9 fields ignored).
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';
import type { RequestContext } from './ports';

type AskedTopic = { name: string; partitionIndexes: number[] };

const unanswered = (partitionIndex: number, errorCode: number) =>
  ({ partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode });

async function fetchGroup(ctx: RequestContext, groupId: string, topics: AskedTopic[] | null, requireStable: boolean) {
  const groupAllowed = authorized(ctx, Operation.DESCRIBE, Resource.GROUP, groupId);
  const mayDescribe = (topic: string) => authorized(ctx, Operation.DESCRIBE, Resource.TOPIC, topic);
  const asked = topics === null || !groupAllowed ? topics : topics.filter((t) => mayDescribe(t.name));
  const res = groupAllowed
    ? await ctx.groups.offsetFetch({ groupId, allTopics: asked === null, topics: asked ?? [], requireStable })
    : { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, topics: [] };
  if (res.errorCode !== ErrorCode.NONE) {
    // Echo the requested partitions so clients that read per-partition errors (v1) see it too.
    return {
      errorCode: res.errorCode,
      topics: (topics ?? []).map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => unanswered(p, res.errorCode)),
      })),
    };
  }
  if (topics === null) return { errorCode: res.errorCode, topics: res.topics.filter((t) => mayDescribe(t.name)) };
  // Answer in the order asked, refused topics included.
  const byName = new Map(res.topics.map((t) => [t.name, t]));
  return {
    errorCode: res.errorCode,
    topics: topics.map((t) => byName.get(t.name) ?? {
      name: t.name,
      partitions: t.partitionIndexes.map((p) => unanswered(p, ErrorCode.TOPIC_AUTHORIZATION_FAILED)),
    }),
  };
}

export const offsetFetchHandler: KafkaHandler = {
  apiKey: 9,
  name: 'OffsetFetch',
  minVersion: 1,
  maxVersion: 9,
  acl: ['GROUP:DESCRIBE', 'TOPIC:DESCRIBE'],
  async handle(ctx, req: any, version) {
    if (version >= 8) {
      const groups = await Promise.all((req.groups as any[]).map(async (g) => {
        const res = await fetchGroup(ctx, g.groupId, g.topics, req.requireStable === true);
        return { groupId: g.groupId, topics: res.topics, errorCode: res.errorCode };
      }));
      return { throttleTimeMs: 0, groups };
    }
    const res = await fetchGroup(ctx, req.groupId, req.topics, req.requireStable === true);
    return { throttleTimeMs: 0, topics: res.topics, errorCode: res.errorCode };
  },
};
