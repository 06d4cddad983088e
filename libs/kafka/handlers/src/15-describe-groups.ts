// DescribeGroups (15)
// Behavior: each group is described by its own coordinator: state, protocol, members with their
//   metadata and assignment (those only while Stable, as Kafka). An unknown group is "Dead" with
//   no error.
// Version notes: v3+ authorized operations (reported unset); v4+ group.instance.id.
//   Needs DESCRIBE on each GROUP, else that group answers GROUP_AUTHORIZATION_FAILED.
// Not implemented: ACL-derived authorized operations.
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';

const UNSET_OPERATIONS = -2147483648;

export const describeGroupsHandler: KafkaHandler = {
  apiKey: 15,
  name: 'DescribeGroups',
  minVersion: 0,
  maxVersion: 5,
  acl: ['GROUP:DESCRIBE'],
  async handle(ctx, req: any) {
    const asked = req.groups as string[];
    const allowed = asked.filter((g) => authorized(ctx, Operation.DESCRIBE, Resource.GROUP, g));
    const described = new Map((await ctx.groups.describeGroups(allowed)).map((g) => [g.groupId, g]));
    const groups = asked.map((groupId) => described.get(groupId) ?? {
      errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, groupId, groupState: '', protocolType: '', protocolData: '', members: [],
    });
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
