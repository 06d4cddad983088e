// DescribeShareGroupOffsets (90)
// Behavior: per share group, the start offset of each share partition (KIP-932's SPSO: every
//   record below it is acknowledged or archived) as the share coordinator holds it, with the
//   partition's leader epoch; -1 for a partition the group never consumed. Topics null: every
//   share partition the group has state for.
// Version notes: v1 (KIP-1226) adds Lag: the high watermark minus the start offset (records in
//   flight above the start count as lag until the window moves past them).
//   Needs DESCRIBE on the GROUP (GROUP_AUTHORIZATION_FAILED) and DESCRIBE on each TOPIC
//   (TOPIC_AUTHORIZATION_FAILED per partition).
// Not implemented: the delivery-complete count of KIP-1226 in the lag.
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';
import type { SharePartitionRef } from './share-port';

export const describeShareGroupOffsetsHandler: KafkaHandler = {
  apiKey: 90,
  name: 'DescribeShareGroupOffsets',
  minVersion: 0,
  maxVersion: 1,
  acl: ['GROUP:DESCRIBE', 'TOPIC:DESCRIBE'],
  async handle(ctx, req: any, version) {
    const groups = await Promise.all((req.groups as { groupId: string; topics: { topicName: string; partitions: number[] }[] | null }[]).map(async (g) => {
      const groupError = (errorCode: number, errorMessage: string | null = null) => ({ groupId: g.groupId, topics: [], errorCode, errorMessage });
      if (!ctx.share) return groupError(ErrorCode.UNSUPPORTED_VERSION, 'Share groups are not served here.');
      if (!authorized(ctx, Operation.DESCRIBE, Resource.GROUP, g.groupId)) return groupError(ErrorCode.GROUP_AUTHORIZATION_FAILED);
      const refused: { topicName: string; topicId: string; partitions: { partitionIndex: number; errorCode: number }[] }[] = [];
      let wanted: SharePartitionRef[] | null = null;
      if (g.topics !== null) {
        wanted = [];
        for (const t of g.topics) {
          const view = ctx.cluster.topic(t.topicName);
          const code = !authorized(ctx, Operation.DESCRIBE, Resource.TOPIC, t.topicName) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : !view ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.NONE;
          if (code !== ErrorCode.NONE || !view) {
            refused.push({ topicName: t.topicName, topicId: view?.topicId ?? '00000000-0000-0000-0000-000000000000', partitions: t.partitions.map((partitionIndex) => ({ partitionIndex, errorCode: code })) });
            continue;
          }
          for (const partition of t.partitions) wanted.push({ topic: view.name, topicId: view.topicId, partition });
        }
      }
      const res = await ctx.share.describeOffsets(g.groupId, wanted);
      const parts = res.partitions.filter((p) => wanted !== null || authorized(ctx, Operation.DESCRIBE, Resource.TOPIC, p.topic));
      const ends = version >= 1
        ? await ctx.storage.listOffsets(0, parts.map((p) => ({ topic: p.topic, partition: p.partition, timestamp: -1n, currentLeaderEpoch: -1 })))
        : [];
      const byTopic = new Map<string, { topicName: string; topicId: string; partitions: object[] }>();
      parts.forEach((p, i) => {
        const t = byTopic.get(p.topic) ?? { topicName: p.topic, topicId: p.topicId, partitions: [] };
        const end = ends[i];
        const lag = p.startOffset < 0n || !end || end.errorCode !== ErrorCode.NONE ? -1n : (end.offset > p.startOffset ? end.offset - p.startOffset : 0n);
        t.partitions.push({ partitionIndex: p.partition, startOffset: p.startOffset, leaderEpoch: p.leaderEpoch, lag, errorCode: p.errorCode, errorMessage: p.errorMessage });
        byTopic.set(p.topic, t);
      });
      return {
        groupId: g.groupId,
        topics: [
          ...byTopic.values(),
          ...refused.map((t) => ({ ...t, partitions: t.partitions.map((p) => ({ ...p, startOffset: -1n, leaderEpoch: -1, lag: -1n, errorMessage: null })) })),
        ],
        errorCode: res.errorCode,
        errorMessage: res.errorMessage,
      };
    }));
    return { throttleTimeMs: 0, groups };
  },
};
