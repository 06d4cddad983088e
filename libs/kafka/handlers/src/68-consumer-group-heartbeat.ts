// ConsumerGroupHeartbeat (68)
// Behavior: joins (epoch 0), keeps alive, updates or leaves (-1; -2 for a static member coming
//   back) a member of a KIP-848 consumer group at the group's coordinator, which answers the
//   member's epoch and, when it changed, the partitions it may own now (revoked ones left out
//   until the member acknowledges it no longer owns them).
// Version notes: v1 (KIP-1082) the client generates its member id, so an empty one is
//   INVALID_REQUEST at every epoch; v0 lets the coordinator generate it at join. v1+
//   subscribed_topic_regex (RE2/J).
//   Needs READ on the GROUP (GROUP_AUTHORIZATION_FAILED); subscribed topic names the client may
//   not DESCRIBE answer TOPIC_AUTHORIZATION_FAILED naming them, as Kafka.
// Not implemented: topics matched by a regex are not filtered by the member's DESCRIBE rights.
import { ErrorCode } from '@dms/kafka-errors';
import type { ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse } from '@dms/kafka-schema';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';

const failed = (errorCode: number, errorMessage: string | null = null): ConsumerGroupHeartbeatResponse => ({
  throttleTimeMs: 0, errorCode, errorMessage, memberId: null, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null,
});

/** Kafka's request checks that depend on the version or come before the coordinator's. */
function invalid(req: ConsumerGroupHeartbeatRequest, version: number): string | null {
  if (req.instanceId === '') return 'InstanceId can\'t be empty.';
  if (req.rackId === '') return 'RackId can\'t be empty.';
  if ((version >= 1 || req.memberEpoch > 0 || req.memberEpoch === -1) && !req.memberId) return 'MemberId can\'t be empty.';
  if (req.memberEpoch === -2 && req.instanceId === null) return 'InstanceId can\'t be null.';
  return null;
}

export const consumerGroupHeartbeatHandler: KafkaHandler<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse> = {
  apiKey: 68,
  name: 'ConsumerGroupHeartbeat',
  minVersion: 0,
  maxVersion: 1,
  acl: ['GROUP:READ', 'TOPIC:DESCRIBE'],
  async handle(ctx, req, version) {
    if (!authorized(ctx, Operation.READ, Resource.GROUP, req.groupId)) return failed(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    if (req.subscribedTopicNames && req.subscribedTopicNames.length > 0) {
      const denied = req.subscribedTopicNames.filter((t) => !authorized(ctx, Operation.DESCRIBE, Resource.TOPIC, t));
      if (denied.length > 0) return failed(ErrorCode.TOPIC_AUTHORIZATION_FAILED, `Unauthorized topics: ${[...new Set(denied)].sort().join(', ')}`);
    }
    const why = invalid(req, version);
    if (why) return failed(ErrorCode.INVALID_REQUEST, why);
    const res = await ctx.groups.consumerGroupHeartbeat({
      groupId: req.groupId,
      memberId: req.memberId,
      memberEpoch: req.memberEpoch,
      instanceId: req.instanceId,
      rackId: req.rackId,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      subscribedTopicNames: req.subscribedTopicNames,
      subscribedTopicRegex: version >= 1 ? req.subscribedTopicRegex ?? null : null,
      serverAssignor: req.serverAssignor,
      topicPartitions: req.topicPartitions,
      clientId: ctx.clientId ?? '',
      clientHost: ctx.clientHost,
    });
    return {
      throttleTimeMs: 0,
      errorCode: res.errorCode,
      errorMessage: res.errorMessage,
      memberId: res.memberId,
      memberEpoch: res.memberEpoch,
      heartbeatIntervalMs: res.heartbeatIntervalMs,
      assignment: res.assignment,
    };
  },
};
