// DescribeGroups (15)
// Behavior: each group is described by its own coordinator: state, protocol, members with their
//   metadata and assignment (those only while Stable, as Kafka). An unknown group is "Dead" with
//   no error before v6. A KIP-848 consumer group is not a classic group: it is described as an
//   unknown one, as Kafka does (ConsumerGroupDescribe describes it).
// Version notes: v3+ authorized operations (reported unset); v4+ group.instance.id; v6+ (KIP-1043)
//   an error message per group, and an unknown group answers GROUP_ID_NOT_FOUND.
//   Needs DESCRIBE on each GROUP, else that group answers GROUP_AUTHORIZATION_FAILED.
// Not implemented: ACL-derived authorized operations.
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';

const UNSET_OPERATIONS = -2147483648;

/** How a coordinator describes a group it does not have. */
const isUnknown = (g: { groupState: string; protocolType: string; members: unknown[] }): boolean =>
  g.groupState === 'Dead' && g.protocolType === '' && g.members.length === 0;

export const describeGroupsHandler: KafkaHandler = {
  apiKey: 15,
  name: 'DescribeGroups',
  minVersion: 0,
  maxVersion: 6,
  acl: ['GROUP:DESCRIBE'],
  async handle(ctx, req: any, version) {
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
        ...(version >= 6 && g.errorCode === ErrorCode.NONE && isUnknown(g)
          ? { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${g.groupId} not found.` }
          : { errorMessage: null }),
        members: g.members.map((m) => ({ ...m, groupInstanceId: m.groupInstanceId ?? null })),
        authorizedOperations: UNSET_OPERATIONS,
      })),
    };
  },
};
