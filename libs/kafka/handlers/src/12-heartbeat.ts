// Heartbeat (12)
// Behavior: keeps a member's session alive at the group's coordinator; REBALANCE_IN_PROGRESS
//   tells a member of a rebalancing group to rejoin.
// Version notes: v3+ group.instance.id (FENCED_INSTANCE_ID on a replaced static member).
//   Needs READ on the GROUP, else GROUP_AUTHORIZATION_FAILED.
// Not implemented: nothing.
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';

export const heartbeatHandler: KafkaHandler = {
  apiKey: 12,
  name: 'Heartbeat',
  minVersion: 0,
  maxVersion: 4,
  acl: ['GROUP:READ'],
  async handle(ctx, req: any) {
    if (!authorized(ctx, Operation.READ, Resource.GROUP, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    const res = await ctx.groups.heartbeat({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId ?? undefined,
    });
    return { throttleTimeMs: 0, errorCode: res.errorCode };
  },
};
