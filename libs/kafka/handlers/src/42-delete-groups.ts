// DeleteGroups (42)
// Behavior: each group is deleted by its coordinator (tombstones for its offsets and metadata);
//   NON_EMPTY_GROUP while it has members, GROUP_ID_NOT_FOUND when it does not exist.
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
    const deleted = new Map((await ctx.groups.deleteGroups(allowed)).map((r) => [r.groupId, r]));
    return {
      throttleTimeMs: 0,
      results: asked.map((groupId) => deleted.get(groupId) ?? { groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED }),
    };
  },
};
