// OffsetCommit (8)
// Behavior: commits are appended to the group's partition of __consumer_offsets and answered
//   once committed there. Partitions of unknown topics get UNKNOWN_TOPIC_OR_PARTITION; a
//   generation of -1 with an empty member id commits for a group not managed by the coordinator.
// Version notes: v0-v1 (removed by Kafka 4.0, KIP-896) are served: sarama 1.22 sends v1 with
//   its default Consumer.Offsets.Retention of 0, and older tools v0; neither needs record
//   conversion. v0 has no generation or member id: it commits as a simple consumer (generation
//   -1, empty member id), as a KRaft-era Kafka stored it in the coordinator. v1's per-partition
//   commitTimestamp is ignored: the commit is stamped on arrival, as for -1. v2-v4
//   retentionTimeMs is ignored (the broker's offsets.retention.minutes rules);
//   v6+ committed leader epoch; v7+ group.instance.id; v10+ names topics by id (an unknown id
//   answers UNKNOWN_TOPIC_ID).
//   Needs READ on the GROUP (else GROUP_AUTHORIZATION_FAILED for every partition) and READ on
//   each TOPIC (else TOPIC_AUTHORIZATION_FAILED for its partitions), checked before existence.
// Not implemented: KIP-848 member epochs (the v9+ generation field is read as a classic generation).
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

export const offsetCommitHandler: KafkaHandler = {
  apiKey: 8,
  name: 'OffsetCommit',
  minVersion: 0,
  maxVersion: 10,
  acl: ['GROUP:READ', 'TOPIC:READ'],
  async handle(ctx, req: any, version) {
    const byId = version >= 10;
    // Each request topic, resolved once: by id from v10 (KIP-848), else by name.
    const asked = (req.topics as any[]).map((t) => {
      const view = byId ? ctx.cluster.topicById(t.topicId) : ctx.cluster.topic(t.name);
      return { t, view, name: (view?.name ?? t.name ?? '') as string, topicId: (t.topicId ?? view?.topicId ?? ZERO_UUID) as string };
    });
    const answer = (code: (i: number, partitionIndex: number) => number) => ({
      throttleTimeMs: 0,
      topics: asked.map(({ t, name, topicId }, i) => ({
        name,
        topicId,
        partitions: (t.partitions as any[]).map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code(i, p.partitionIndex) })),
      })),
    });
    if (!authorized(ctx, Operation.READ, Resource.GROUP, req.groupId)) return answer(() => ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const refused = new Map<string, number>();
    const topics = [];
    for (const [i, { t, view, name }] of asked.entries()) {
      const allowed = authorized(ctx, Operation.READ, Resource.TOPIC, name);
      const partitions = [];
      for (const p of t.partitions as any[]) {
        const k = `${i}\0${p.partitionIndex}`;
        if (byId && !view) refused.set(k, ErrorCode.UNKNOWN_TOPIC_ID);
        else if (!allowed) refused.set(k, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
        else if (!view || !view.partitions[p.partitionIndex]) refused.set(k, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        else partitions.push({ partitionIndex: p.partitionIndex, committedOffset: p.committedOffset, committedLeaderEpoch: p.committedLeaderEpoch ?? -1, committedMetadata: p.committedMetadata ?? undefined });
      }
      if (partitions.length > 0) topics.push({ name, partitions });
    }
    const codes = new Map<string, number>();
    if (topics.length > 0) {
      const res = await ctx.groups.offsetCommit({
        groupId: req.groupId,
        generationId: req.generationIdOrMemberEpoch ?? -1,
        memberId: req.memberId ?? '',
        groupInstanceId: req.groupInstanceId ?? undefined,
        topics,
      });
      for (const t of res.topics) for (const p of t.partitions) codes.set(`${t.name}\0${p.partitionIndex}`, p.errorCode);
    }
    return answer((i, partitionIndex) =>
      refused.get(`${i}\0${partitionIndex}`) ?? codes.get(`${asked[i].name}\0${partitionIndex}`) ?? ErrorCode.UNKNOWN_SERVER_ERROR);
  },
};
