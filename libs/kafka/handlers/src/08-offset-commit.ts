// OffsetCommit (8)
// Behavior: commits are appended to the group's partition of __consumer_offsets and answered
//   once committed there. Partitions of unknown topics get UNKNOWN_TOPIC_OR_PARTITION; a
//   generation of -1 with an empty member id commits for a group not managed by the coordinator.
// Version notes: v1 (removed by Kafka 4.0, KIP-896) is served because sarama 1.22 sends it with
//   its default Consumer.Offsets.Retention of 0, and it needs no record conversion; its
//   per-partition commitTimestamp is ignored: the commit is stamped on arrival, as for -1. v0
//   (ZooKeeper-stored offsets) is not served. v2-v4 retentionTimeMs is ignored (the broker's
//   offsets.retention.minutes rules);
//   v6+ committed leader epoch; v7+ group.instance.id.
//   Needs READ on the GROUP (else GROUP_AUTHORIZATION_FAILED for every partition) and READ on
//   each TOPIC (else TOPIC_AUTHORIZATION_FAILED for its partitions), checked before existence.
// Not implemented: KIP-848 member epochs (v9 generation field is read as a classic generation).
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';

export const offsetCommitHandler: KafkaHandler = {
  apiKey: 8,
  name: 'OffsetCommit',
  minVersion: 1,
  maxVersion: 9,
  acl: ['GROUP:READ', 'TOPIC:READ'],
  async handle(ctx, req: any) {
    const everyPartition = (errorCode: number) => ({
      throttleTimeMs: 0,
      topics: (req.topics as any[]).map((t) => ({
        name: t.name,
        partitions: (t.partitions as any[]).map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
      })),
    });
    if (!authorized(ctx, Operation.READ, Resource.GROUP, req.groupId)) return everyPartition(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const refused = new Map<string, number>();
    const topics = [];
    for (const t of req.topics as any[]) {
      const view = ctx.cluster.topic(t.name);
      const allowed = authorized(ctx, Operation.READ, Resource.TOPIC, t.name);
      const partitions = [];
      for (const p of t.partitions as any[]) {
        const k = `${t.name}\0${p.partitionIndex}`;
        if (!allowed) refused.set(k, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
        else if (!view || !view.partitions[p.partitionIndex]) refused.set(k, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        else partitions.push({ partitionIndex: p.partitionIndex, committedOffset: p.committedOffset, committedLeaderEpoch: p.committedLeaderEpoch ?? -1, committedMetadata: p.committedMetadata ?? undefined });
      }
      if (partitions.length > 0) topics.push({ name: t.name as string, partitions });
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
    return {
      throttleTimeMs: 0,
      topics: (req.topics as any[]).map((t) => ({
        name: t.name,
        partitions: (t.partitions as any[]).map((p) => {
          const k = `${t.name}\0${p.partitionIndex}`;
          return { partitionIndex: p.partitionIndex, errorCode: refused.get(k) ?? codes.get(k) ?? ErrorCode.UNKNOWN_SERVER_ERROR };
        }),
      })),
    };
  },
};
