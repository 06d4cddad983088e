// OffsetFetch (9)
// Behavior: committed offsets from the group's coordinator; a group or partition without a
//   commit answers offset -1 with no error. A null topic list means every committed partition.
// Version notes: v0 (removed by Kafka 4.0, KIP-896; ZooKeeper-stored offsets before KRaft) is
//   served like v1, from the coordinator. v0-v1 report group-level errors per partition; v2+ top-level errorCode; v5+
//   leader epoch; v7+ requireStable: partitions with a pending transactional commit (TxnOffsetCommit
//   whose transaction has not ended) answer UNSTABLE_OFFSET_COMMIT, the client retries; v8+ several
//   groups per request, each routed to its own coordinator; v10+ names topics by id (an unknown
//   id answers UNKNOWN_TOPIC_ID).
//   Needs DESCRIBE on the GROUP (else GROUP_AUTHORIZATION_FAILED) and DESCRIBE on each TOPIC:
//   asked-for partitions of other topics answer TOPIC_AUTHORIZATION_FAILED, and a request for
//   all partitions leaves those topics out, as Kafka does.
//   v9+ member id and epoch: a consumer group (KIP-848) checks them (UNKNOWN_MEMBER_ID,
//   STALE_MEMBER_EPOCH); none (null, -1) is an admin fetch.
// Not implemented: nothing.
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';
import type { RequestContext } from './ports';

type AskedTopic = { name: string; partitionIndexes: number[] };

const unanswered = (partitionIndex: number, errorCode: number) =>
  ({ partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode });

/** v9+: the fetching member of a KIP-848 consumer group (null and -1 for admin tools). */
interface Member {
  memberId: string | null;
  memberEpoch: number;
}
const NO_MEMBER: Member = { memberId: null, memberEpoch: -1 };

async function fetchGroup(ctx: RequestContext, groupId: string, topics: AskedTopic[] | null, requireStable: boolean, member: Member = NO_MEMBER) {
  const groupAllowed = authorized(ctx, Operation.DESCRIBE, Resource.GROUP, groupId);
  const mayDescribe = (topic: string) => authorized(ctx, Operation.DESCRIBE, Resource.TOPIC, topic);
  const asked = topics === null || !groupAllowed ? topics : topics.filter((t) => mayDescribe(t.name));
  const res = groupAllowed
    ? await ctx.groups.offsetFetch({
      groupId, allTopics: asked === null, topics: asked ?? [], requireStable, memberId: member.memberId ?? undefined, memberEpoch: member.memberEpoch,
    })
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

/**
 * v10+ (KIP-848) names topics by id: known ids are asked by name, unknown ones answer
 * UNKNOWN_TOPIC_ID, and every answered topic carries its id (an all-topics answer leaves out
 * committed topics that no longer exist, which have none).
 */
async function fetchGroupById(
  ctx: RequestContext, groupId: string, topics: { topicId: string; partitionIndexes: number[] }[] | null, requireStable: boolean, member: Member,
) {
  const idOf = (name: string) => ctx.cluster.topic(name)?.topicId;
  if (topics === null) {
    const res = await fetchGroup(ctx, groupId, null, requireStable, member);
    return { errorCode: res.errorCode, topics: res.topics.filter((t) => idOf(t.name)).map((t) => ({ ...t, topicId: idOf(t.name)! })) };
  }
  const resolved = topics.map((t) => ({ ...t, name: ctx.cluster.topicById(t.topicId)?.name }));
  const known = resolved.filter((t) => t.name !== undefined).map((t) => ({ name: t.name!, partitionIndexes: t.partitionIndexes }));
  const res = await fetchGroup(ctx, groupId, known, requireStable, member);
  let next = 0;
  return {
    errorCode: res.errorCode,
    topics: resolved.map((t) => {
      if (t.name === undefined) {
        return { name: '', topicId: t.topicId, partitions: t.partitionIndexes.map((p) => unanswered(p, ErrorCode.UNKNOWN_TOPIC_ID)) };
      }
      return { ...res.topics[next++], topicId: t.topicId };
    }),
  };
}

export const offsetFetchHandler: KafkaHandler = {
  apiKey: 9,
  name: 'OffsetFetch',
  minVersion: 0,
  maxVersion: 10,
  acl: ['GROUP:DESCRIBE', 'TOPIC:DESCRIBE'],
  async handle(ctx, req: any, version) {
    if (version >= 8) {
      const groups = await Promise.all((req.groups as any[]).map(async (g) => {
        const member: Member = version >= 9 ? { memberId: g.memberId ?? null, memberEpoch: g.memberEpoch ?? -1 } : NO_MEMBER;
        const res = version >= 10
          ? await fetchGroupById(ctx, g.groupId, g.topics, req.requireStable === true, member)
          : await fetchGroup(ctx, g.groupId, g.topics, req.requireStable === true, member);
        return { groupId: g.groupId, topics: res.topics, errorCode: res.errorCode };
      }));
      return { throttleTimeMs: 0, groups };
    }
    const res = await fetchGroup(ctx, req.groupId, req.topics, req.requireStable === true);
    return { throttleTimeMs: 0, topics: res.topics, errorCode: res.errorCode };
  },
};
