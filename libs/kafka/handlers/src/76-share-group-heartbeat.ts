// ShareGroupHeartbeat (76)
// Behavior: a share-group member (KIP-932) joins with epoch 0 and its subscribed topic names,
//   heartbeats with its current epoch, leaves with -1; the coordinator assigns partitions (the
//   simple assignor: members share partitions) and answers the assignment when it changed, with
//   the member's new epoch and the heartbeat interval. Stale epochs answer FENCED_MEMBER_EPOCH,
//   unknown members UNKNOWN_MEMBER_ID.
// Version notes: v1 is the first stable version (v0 was early access and is not served).
//   UNSUPPORTED_VERSION while share.version is finalized below 1 (share groups disabled).
//   Needs READ on the GROUP (GROUP_AUTHORIZATION_FAILED) and DESCRIBE on every subscribed TOPIC
//   (TOPIC_AUTHORIZATION_FAILED).
// Not implemented: rack-aware assignment. Membership is persisted (group epoch, member metadata
//   and current assignments in __consumer_offsets) and rebuilt by the next coordinator.
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';
import { shareGroupsDisabled } from './share-common';

const failed = (errorCode: number, errorMessage: string | null = null) => ({
  throttleTimeMs: 0, errorCode, errorMessage, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null,
});

export const shareGroupHeartbeatHandler: KafkaHandler = {
  apiKey: 76,
  name: 'ShareGroupHeartbeat',
  minVersion: 1,
  maxVersion: 1,
  acl: ['GROUP:READ', 'TOPIC:DESCRIBE'],
  async handle(ctx, req: any) {
    if (!ctx.share) return failed(ErrorCode.UNSUPPORTED_VERSION, 'Share groups are not served here.');
    const disabled = shareGroupsDisabled(ctx);
    if (disabled) return failed(ErrorCode.UNSUPPORTED_VERSION, disabled);
    if (!authorized(ctx, Operation.READ, Resource.GROUP, req.groupId)) return failed(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const topics = (req.subscribedTopicNames as string[] | null) ?? null;
    if (topics?.some((t) => !authorized(ctx, Operation.DESCRIBE, Resource.TOPIC, t))) {
      return failed(ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'The member is not authorized to describe every subscribed topic.');
    }
    const res = await ctx.share.heartbeat({
      groupId: req.groupId,
      memberId: req.memberId,
      memberEpoch: req.memberEpoch,
      rackId: req.rackId ?? null,
      subscribedTopicNames: topics,
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
      assignment: res.assignment === null ? null : { topicPartitions: res.assignment.map((t) => ({ topicId: t.topicId, partitions: t.partitions })) },
    };
  },
};
