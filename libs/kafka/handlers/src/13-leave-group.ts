// LeaveGroup (13)
// Behavior: removes members from the group at its coordinator and rebalances the rest.
// Version notes: v0-v2 one member id, its error is the top-level error; v3+ a batch of members
//   (by member id or group.instance.id) with an error per member; v5+ reason (ignored).
//   Needs READ on the GROUP, else a top-level GROUP_AUTHORIZATION_FAILED and no members.
// Not implemented: nothing.
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';

export const leaveGroupHandler: KafkaHandler = {
  apiKey: 13,
  name: 'LeaveGroup',
  minVersion: 0,
  maxVersion: 5,
  acl: ['GROUP:READ'],
  async handle(ctx, req: any, version) {
    if (!authorized(ctx, Operation.READ, Resource.GROUP, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, members: [] };
    const members = version >= 3
      ? (req.members as any[]).map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? undefined, reason: m.reason ?? undefined }))
      : [{ memberId: req.memberId }];
    const res = await ctx.groups.leaveGroup({ groupId: req.groupId, members });
    const errorCode = version < 3 && res.errorCode === ErrorCode.NONE ? res.members[0]?.errorCode ?? ErrorCode.NONE : res.errorCode;
    return {
      throttleTimeMs: 0,
      errorCode,
      members: res.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? null, errorCode: m.errorCode })),
    };
  },
};
