// DeleteGroups (42)
// Behavior: each group is deleted by its coordinator (tombstones for its offsets and metadata);
//   NON_EMPTY_GROUP while it has members, GROUP_ID_NOT_FOUND when it does not exist. A share group
//   (KIP-932) loses its share-partition state too, as Kafka deletes it from __share_group_state.
// Version notes: v2 is the flexible version of v0/v1.
//   Needs DELETE on each GROUP, else GROUP_AUTHORIZATION_FAILED for that group.
// Not implemented: nothing.
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';

export const deleteGroupsHandler: KafkaHandler = {
  apiKey: 42,
  name: 'DeleteGroups',
  minVersion: 0,
  maxVersion: 2,
  acl: ['GROUP:DELETE'],
  async handle(ctx, req: any) {
    const asked = req.groupsNames as string[];
    const allowed = asked.filter((g) => authorized(ctx, Operation.DELETE, Resource.GROUP, g));
    const share = ctx.share;
    const shareGroups = new Set(share && allowed.length > 0 ? (await share.describe(allowed)).filter((g) => g.errorCode === ErrorCode.NONE).map((g) => g.groupId) : []);
    const deleted = new Map((await ctx.groups.deleteGroups(allowed)).map((r) => [r.groupId, r]));
    if (share) {
      for (const groupId of shareGroups) {
        if (deleted.get(groupId)?.errorCode !== ErrorCode.NONE) continue;
        const offsets = await share.describeOffsets(groupId, null);
        const partitions = offsets.partitions.map((p) => ({ topic: p.topic, topicId: p.topicId, partition: p.partition, startOffset: -1n }));
        if (partitions.length > 0) await share.resetOffsets(groupId, partitions);
      }
    }
    return {
      throttleTimeMs: 0,
      results: asked.map((groupId) => deleted.get(groupId) ?? { groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED }),
    };
  },
};
