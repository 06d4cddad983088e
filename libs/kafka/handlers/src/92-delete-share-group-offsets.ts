// DeleteShareGroupOffsets (92)
// Behavior: deletes the share state of whole topics for an empty share group (what
//   kafka-share-groups.sh --delete-offsets does): the group then starts those partitions afresh
//   at group.share.auto.offset.reset. A group with members answers NON_EMPTY_GROUP.
// Version notes: v0 only. Needs DELETE on the GROUP and READ on each TOPIC.
// Not implemented: nothing.
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

export const deleteShareGroupOffsetsHandler: KafkaHandler = {
  apiKey: 92,
  name: 'DeleteShareGroupOffsets',
  minVersion: 0,
  maxVersion: 0,
  acl: ['GROUP:DELETE', 'TOPIC:READ'],
  async handle(ctx, req: any) {
    const failed = (errorCode: number, errorMessage: string | null = null) => ({ throttleTimeMs: 0, errorCode, errorMessage, responses: [] });
    if (!ctx.share) return failed(ErrorCode.UNSUPPORTED_VERSION, 'Share groups are not served here.');
    if (!authorized(ctx, Operation.DELETE, Resource.GROUP, req.groupId)) return failed(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const responses: { topicName: string; topicId: string; errorCode: number; errorMessage: string | null }[] = [];
    for (const t of req.topics as { topicName: string }[]) {
      const view = ctx.cluster.topic(t.topicName);
      if (!authorized(ctx, Operation.READ, Resource.TOPIC, t.topicName)) {
        responses.push({ topicName: t.topicName, topicId: view?.topicId ?? ZERO_UUID, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null });
        continue;
      }
      if (!view) {
        responses.push({ topicName: t.topicName, topicId: ZERO_UUID, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null });
        continue;
      }
      const res = await ctx.share.resetOffsets(req.groupId, view.partitions.map((p) => ({ topic: view.name, topicId: view.topicId, partition: p.partition, startOffset: -1n })));
      if (res.errorCode !== ErrorCode.NONE) return failed(res.errorCode, res.errorMessage);
      const bad = res.partitions.find((p) => p.errorCode !== ErrorCode.NONE);
      responses.push({ topicName: view.name, topicId: view.topicId, errorCode: bad?.errorCode ?? ErrorCode.NONE, errorMessage: bad?.errorMessage ?? null });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, responses };
  },
};
