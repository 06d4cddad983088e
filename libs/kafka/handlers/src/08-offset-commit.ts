// OffsetCommit (8)
// Behavior: commits are appended to the group's partition of __consumer_offsets and answered
//   once committed there. Partitions of unknown topics get UNKNOWN_TOPIC_OR_PARTITION; a
//   generation of -1 with an empty member id commits for a group not managed by the coordinator.
// Version notes: v2-v4 retentionTimeMs is ignored (the broker's offsets.retention.minutes rules);
//   v6+ committed leader epoch; v7+ group.instance.id.
// Not implemented: KIP-848 member epochs (v9 generation field is read as a classic generation).
import { ErrorCode } from '@dms/kafka-errors';
import type { KafkaHandler } from './handler';

export const offsetCommitHandler: KafkaHandler = {
  apiKey: 8,
  name: 'OffsetCommit',
  minVersion: 2,
  maxVersion: 9,
  async handle(ctx, req: any) {
    const unknown = new Set<string>();
    const topics = [];
    for (const t of req.topics as any[]) {
      const view = ctx.cluster.topic(t.name);
      const partitions = [];
      for (const p of t.partitions as any[]) {
        if (!view || !view.partitions[p.partitionIndex]) unknown.add(`${t.name}\0${p.partitionIndex}`);
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
          return { partitionIndex: p.partitionIndex, errorCode: unknown.has(k) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : codes.get(k) ?? ErrorCode.UNKNOWN_SERVER_ERROR };
        }),
      })),
    };
  },
};
