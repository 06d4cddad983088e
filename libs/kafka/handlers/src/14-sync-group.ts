// SyncGroup (14)
// Behavior: the leader hands in every member's assignment; the coordinator makes it durable in
//   __consumer_offsets, then answers each member with its own assignment (opaque bytes).
// Version notes: v3+ group.instance.id; v5+ protocolType/protocolName, checked against the group.
//   Needs READ on the GROUP, else GROUP_AUTHORIZATION_FAILED with an empty assignment.
// Not implemented: nothing.
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';

export const syncGroupHandler: KafkaHandler = {
  apiKey: 14,
  name: 'SyncGroup',
  minVersion: 0,
  maxVersion: 5,
  acl: ['GROUP:READ'],
  async handle(ctx, req: any) {
    if (!authorized(ctx, Operation.READ, Resource.GROUP, req.groupId)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
    }
    const res = await ctx.groups.syncGroup({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId ?? undefined,
      protocolType: req.protocolType ?? undefined,
      protocolName: req.protocolName ?? undefined,
      assignments: (req.assignments as any[]).map((a) => ({ memberId: a.memberId, assignment: a.assignment })),
    });
    return {
      throttleTimeMs: 0,
      errorCode: res.errorCode,
      protocolType: res.protocolType ?? null,
      protocolName: res.protocolName ?? null,
      assignment: res.assignment,
    };
  },
};
