// ShareAcknowledge (79)
// Behavior: acknowledgements of a share session's records without fetching: accept, release,
//   reject (and gap), applied at each partition's leader and written to the share coordinator
//   before the answer; an offset the member does not hold answers INVALID_RECORD_STATE for its
//   partition. The session epoch must be the next one (0 is refused: acknowledging needs an open
//   session); -1 also closes the session and releases what the member still holds.
// Version notes: v2 IsRenewAck (KIP-1222): acknowledge type 4 renews a lock; v2 answers
//   AcquisitionLockTimeoutMs. Needs READ on the GROUP and READ on each TOPIC.
// Not implemented: NodeEndpoints.
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';
import { ackProblem, byTopicId, currentLeader, resolveSharePartitions, shareGroupsDisabled } from './share-common';

const failed = (errorCode: number, errorMessage: string | null = null) => ({
  throttleTimeMs: 0, errorCode, errorMessage, acquisitionLockTimeoutMs: 0, responses: [], nodeEndpoints: [],
});

export const shareAcknowledgeHandler: KafkaHandler = {
  apiKey: 79,
  name: 'ShareAcknowledge',
  minVersion: 1,
  maxVersion: 2,
  acl: ['GROUP:READ', 'TOPIC:READ'],
  async handle(ctx, req: any, version) {
    if (!ctx.share) return failed(ErrorCode.UNSUPPORTED_VERSION, 'Share groups are not served here.');
    const disabled = shareGroupsDisabled(ctx);
    if (disabled) return failed(ErrorCode.UNSUPPORTED_VERSION, disabled);
    if (!req.groupId) return failed(ErrorCode.INVALID_REQUEST, 'GroupId must be set.');
    if (!req.memberId) return failed(ErrorCode.INVALID_REQUEST, 'MemberId must be set.');
    if (!authorized(ctx, Operation.READ, Resource.GROUP, req.groupId)) return failed(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    if (req.shareSessionEpoch === 0) return failed(ErrorCode.INVALID_SHARE_SESSION_EPOCH, 'ShareAcknowledge needs an open share session.');
    const renew = version >= 2 && req.isRenewAck === true;
    for (const t of req.topics) {
      for (const p of t.partitions) {
        const problem = ackProblem(p.acknowledgementBatches, renew);
        if (problem) return failed(ErrorCode.INVALID_REQUEST, problem);
      }
    }
    const { ok, failed: refused } = resolveSharePartitions(ctx, req.topics);
    const res = await ctx.share.acknowledge({ groupId: req.groupId, memberId: req.memberId, shareSessionEpoch: req.shareSessionEpoch, partitions: ok });
    if (res.errorCode !== ErrorCode.NONE) return failed(res.errorCode, res.errorMessage);
    const parts = [
      ...res.partitions.map((p) => ({
        topicId: p.topicId,
        partitionIndex: p.partition,
        errorCode: p.errorCode !== ErrorCode.NONE ? p.errorCode : p.acknowledgeErrorCode,
        errorMessage: p.errorCode !== ErrorCode.NONE ? p.errorMessage : p.acknowledgeErrorMessage,
        currentLeader: currentLeader(ctx, p.topic, p.partition, p.leaderEpoch),
      })),
      ...refused.map((p) => ({ topicId: p.topicId, partitionIndex: p.partition, errorCode: p.errorCode, errorMessage: p.errorMessage, currentLeader: { leaderId: -1, leaderEpoch: -1 } })),
    ];
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      acquisitionLockTimeoutMs: res.acquisitionLockTimeoutMs,
      responses: [...byTopicId(parts)].map(([topicId, partitions]) => ({ topicId, partitions: partitions.map(({ topicId: _t, ...p }) => p) })),
      nodeEndpoints: [],
    };
  },
};
