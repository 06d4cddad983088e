// JoinGroup (11)
// Behavior: forwarded to the group's coordinator, which holds the request until the rebalance
//   completes (up to the rebalance timeout); protocols travel as opaque bytes. The leader's
//   answer lists every member with its metadata for the chosen protocol.
// Version notes: v0 has no rebalance timeout (the session timeout serves); v4+ a first join
//   with an empty member id gets MEMBER_ID_REQUIRED and the id to rejoin with (KIP-394), v0-v3
//   get an id directly; v5+ group.instance.id (static membership); v7+ protocolType in the answer.
//   Needs READ on the GROUP, else GROUP_AUTHORIZATION_FAILED (checked before the coordinator).
// Not implemented: the reason field (v8+) is accepted and ignored.
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';

export const joinGroupHandler: KafkaHandler = {
  apiKey: 11,
  name: 'JoinGroup',
  minVersion: 0,
  maxVersion: 9,
  acl: ['GROUP:READ'],
  async handle(ctx, req: any, version) {
    if (!authorized(ctx, Operation.READ, Resource.GROUP, req.groupId)) {
      return {
        throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, generationId: -1, protocolType: null,
        protocolName: version >= 7 ? null : '', leader: '', skipAssignment: false, memberId: req.memberId ?? '', members: [],
      };
    }
    const res = await ctx.groups.joinGroup({
      groupId: req.groupId,
      memberId: req.memberId ?? '',
      groupInstanceId: req.groupInstanceId ?? undefined,
      clientId: ctx.clientId ?? '',
      clientHost: ctx.clientHost,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: version >= 1 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
      protocolType: req.protocolType,
      protocols: (req.protocols as any[]).map((p) => ({ name: p.name, metadata: p.metadata })),
      requireKnownMemberId: version >= 4,
    });
    return {
      throttleTimeMs: 0,
      errorCode: res.errorCode,
      generationId: res.generationId,
      protocolType: res.protocolType ?? null,
      protocolName: res.protocolName ?? (version >= 7 ? null : ''),
      leader: res.leader,
      skipAssignment: res.skipAssignment,
      memberId: res.memberId,
      members: res.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? null, metadata: m.metadata })),
    };
  },
};
