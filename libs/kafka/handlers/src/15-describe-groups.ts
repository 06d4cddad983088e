// DescribeGroups (15)
// Behavior: each group is described by its own coordinator: state, protocol, members with their
//   metadata and assignment (those only while Stable, as Kafka). An unknown group is "Dead" with
//   no error.
// Version notes: v3+ authorized operations (reported unset); v4+ group.instance.id.
// Not implemented: ACL-derived authorized operations.
import type { KafkaHandler } from './handler';

const UNSET_OPERATIONS = -2147483648;

export const describeGroupsHandler: KafkaHandler = {
  apiKey: 15,
  name: 'DescribeGroups',
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req: any) {
    const groups = await ctx.groups.describeGroups(req.groups as string[]);
    return {
      throttleTimeMs: 0,
      groups: groups.map((g) => ({
        ...g,
        members: g.members.map((m) => ({ ...m, groupInstanceId: m.groupInstanceId ?? null })),
        authorizedOperations: UNSET_OPERATIONS,
      })),
    };
  },
};
