// DeleteGroups (42)
// Behavior: each group is deleted by its coordinator (tombstones for its offsets and metadata);
//   NON_EMPTY_GROUP while it has members, GROUP_ID_NOT_FOUND when it does not exist.
// Version notes: v2 is the flexible version of v0/v1.
// Not implemented: nothing.
import type { KafkaHandler } from './handler';

export const deleteGroupsHandler: KafkaHandler = {
  apiKey: 42,
  name: 'DeleteGroups',
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req: any) {
    return { throttleTimeMs: 0, results: await ctx.groups.deleteGroups(req.groupsNames as string[]) };
  },
};
