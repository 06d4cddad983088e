import type { ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Tracer } from '@opentelemetry/api';
import type { GroupCoordinator } from '@dms/groups';
import { grpcError, traced, type ShareGroupServiceServer } from '@dms/rpc';

const opt = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);

/** The share-group membership face of the group coordinator (ShareGroupHeartbeat, ShareGroupDescribe). */
export function createShareGroupService(coordinator: GroupCoordinator, tracer: Tracer): ShareGroupServiceServer {
  const impl: ShareGroupServiceServer = {
    shareGroupHeartbeat: unary(async (r) => {
      const res = await coordinator.shareGroupHeartbeat({
        groupId: r.groupId,
        memberId: r.memberId,
        memberEpoch: r.memberEpoch,
        rackId: r.rackId ?? null,
        subscribedTopicNames: r.hasSubscribedTopicNames ? r.subscribedTopicNames : null,
        clientId: r.clientId,
        clientHost: r.clientHost,
      });
      return {
        errorCode: res.errorCode,
        errorMessage: opt(res.errorMessage),
        memberId: opt(res.memberId),
        memberEpoch: res.memberEpoch,
        heartbeatIntervalMs: res.heartbeatIntervalMs,
        hasAssignment: res.assignment !== null,
        assignment: res.assignment ?? [],
      };
    }),
    shareGroupDescribe: unary((r) => ({
      groups: coordinator.shareGroupDescribe(r.groupIds).map((g) => ({
        ...g,
        errorMessage: opt(g.errorMessage),
        members: g.members.map((m) => ({ ...m, rackId: opt(m.rackId) })),
      })),
    })),
  };
  return traced(impl, tracer, { serviceName: 'dms.share.v1.ShareGroupService' });
}

function unary<Req, Res>(fn: (req: Req) => Res | Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    Promise.resolve()
      .then(() => fn(call.request))
      .then(
        (res) => callback(null, res),
        (err: unknown) => callback(grpcError(GrpcStatus.INTERNAL, `share group coordinator failed: ${err instanceof Error ? err.message : String(err)}`)),
      );
  };
}
