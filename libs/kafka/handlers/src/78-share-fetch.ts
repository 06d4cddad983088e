// ShareFetch (78)
// Behavior: a share consumer's fetch (KIP-932). The share session of (group, member) lives at
//   this gateway: epoch 0 opens it with the listed partitions (releasing what a previous session
//   of the member held), each later request must carry the next epoch (INVALID_SHARE_SESSION_EPOCH,
//   SHARE_SESSION_NOT_FOUND) and may add partitions or forget some, -1 closes it. Piggybacked
//   acknowledgements are applied first at each partition's leader; then records are acquired
//   there under a lock of group.share.record.lock.duration.ms, up to MaxRecords, waiting up to
//   MaxWaitMs when none are there. Each partition answers the record batches holding what it
//   acquired and the AcquiredRecords ranges with their delivery counts.
// Version notes: v1 MaxRecords and BatchSize, AcquisitionLockTimeoutMs; v2 ShareAcquireMode
//   (KIP-1206: 1 = record limit, never more than MaxRecords) and IsRenewAck (KIP-1222: acknowledge
//   type 4 renews a lock; such a request acquires nothing). Needs READ on the GROUP and READ on
//   each TOPIC.
// Not implemented: MinBytes (any acquired record answers), BatchSize hints, NodeEndpoints.
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';
import { ackProblem, byTopicId, currentLeader, resolveSharePartitions, shareGroupsDisabled } from './share-common';

const failed = (errorCode: number, errorMessage: string | null = null) => ({
  throttleTimeMs: 0, errorCode, errorMessage, acquisitionLockTimeoutMs: 0, responses: [], nodeEndpoints: [],
});

export const shareFetchHandler: KafkaHandler = {
  apiKey: 78,
  name: 'ShareFetch',
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
    const renew = version >= 2 && req.isRenewAck === true;
    for (const t of req.topics) {
      for (const p of t.partitions) {
        if (req.shareSessionEpoch === 0 && p.acknowledgementBatches.length > 0) {
          return failed(ErrorCode.INVALID_REQUEST, 'A request opening a share session cannot carry acknowledgements.');
        }
        const problem = ackProblem(p.acknowledgementBatches, renew);
        if (problem) return failed(ErrorCode.INVALID_REQUEST, problem);
      }
    }
    const { ok, failed: refused } = resolveSharePartitions(ctx, req.topics);
    const forgotten = resolveSharePartitions(ctx, (req.forgottenTopicsData as { topicId: string; partitions: number[] }[]).map((t) => ({
      topicId: t.topicId, partitions: t.partitions.map((partitionIndex) => ({ partitionIndex })),
    }))).ok;
    const res = await ctx.share.fetch({
      groupId: req.groupId,
      memberId: req.memberId,
      shareSessionEpoch: req.shareSessionEpoch,
      maxWaitMs: renew ? 0 : req.maxWaitMs,
      maxBytes: req.maxBytes,
      maxRecords: renew ? 0 : req.maxRecords,
      acquireMode: version >= 2 ? req.shareAcquireMode : 0,
      partitions: ok,
      forgotten,
    });
    if (res.errorCode !== ErrorCode.NONE) return failed(res.errorCode, res.errorMessage);
    const parts = [
      ...res.partitions.map((p) => ({
        topicId: p.topicId,
        partitionIndex: p.partition,
        errorCode: p.errorCode,
        errorMessage: p.errorMessage,
        acknowledgeErrorCode: p.acknowledgeErrorCode,
        acknowledgeErrorMessage: p.acknowledgeErrorMessage,
        currentLeader: currentLeader(ctx, p.topic, p.partition, p.leaderEpoch),
        records: p.records,
        acquiredRecords: p.acquiredRecords,
      })),
      ...refused.map((p) => ({
        topicId: p.topicId, partitionIndex: p.partition, errorCode: p.errorCode, errorMessage: p.errorMessage,
        acknowledgeErrorCode: p.errorCode, acknowledgeErrorMessage: null, currentLeader: { leaderId: -1, leaderEpoch: -1 }, records: Buffer.alloc(0), acquiredRecords: [],
      })),
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
