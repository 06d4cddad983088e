import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { RequestContext } from './ports';
import type { ShareAckBatchInput, ShareFetchPartitionInput, SharePartitionOutcome } from './share-port';

const ACK_GAP = 0;
const ACK_REJECT = 3;
const ACK_RENEW = 4;

export interface WireAckBatch {
  firstOffset: bigint;
  lastOffset: bigint;
  acknowledgeTypes: number[];
}

/** Why a batch of acknowledgements is malformed (Kafka answers INVALID_REQUEST), or undefined. */
export function ackProblem(batches: readonly WireAckBatch[], renewAllowed: boolean): string | undefined {
  let previous = -1n;
  for (const b of batches) {
    if (b.firstOffset > b.lastOffset) return `Acknowledgement batch ${b.firstOffset}-${b.lastOffset} ends before it starts.`;
    if (b.firstOffset <= previous) return 'Acknowledgement batches overlap or are out of order.';
    previous = b.lastOffset;
    if (b.acknowledgeTypes.length === 0) return 'An acknowledgement batch has no types.';
    const n = b.lastOffset - b.firstOffset + 1n;
    if (b.acknowledgeTypes.length !== 1 && BigInt(b.acknowledgeTypes.length) !== n) return 'An acknowledgement batch has neither one type nor one per offset.';
    for (const t of b.acknowledgeTypes) {
      if (t < ACK_GAP || t > ACK_RENEW || (t === ACK_RENEW && !renewAllowed)) return `Acknowledge type ${t} is not valid here.`;
    }
  }
  return undefined;
}

export const toAckInput = (batches: readonly WireAckBatch[]): ShareAckBatchInput[] =>
  batches.map((b) => ({ firstOffset: b.firstOffset, lastOffset: b.lastOffset, acknowledgeTypes: [...b.acknowledgeTypes] }));

/** The requested partitions resolved by topic id and authorized (READ on the topic), or their error. */
export function resolveSharePartitions(
  ctx: RequestContext,
  topics: readonly { topicId: string; partitions: readonly { partitionIndex: number; acknowledgementBatches?: readonly WireAckBatch[] }[] }[],
): { ok: ShareFetchPartitionInput[]; failed: { topicId: string; partition: number; errorCode: number; errorMessage: string }[] } {
  const ok: ShareFetchPartitionInput[] = [];
  const failed: { topicId: string; partition: number; errorCode: number; errorMessage: string }[] = [];
  for (const t of topics) {
    const view = ctx.cluster.topicById(t.topicId);
    for (const p of t.partitions) {
      if (!view) {
        failed.push({ topicId: t.topicId, partition: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: 'Unknown topic id.' });
      } else if (!authorized(ctx, Operation.READ, Resource.TOPIC, view.name)) {
        failed.push({ topicId: t.topicId, partition: p.partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Not authorized to read the topic.' });
      } else if (p.partitionIndex < 0 || p.partitionIndex >= view.partitions.length) {
        failed.push({ topicId: t.topicId, partition: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'Unknown partition.' });
      } else {
        ok.push({ topic: view.name, topicId: view.topicId, partition: p.partitionIndex, acknowledgements: toAckInput(p.acknowledgementBatches ?? []) });
      }
    }
  }
  return { ok, failed };
}

/** The advertised (gateway) leader and epoch of a partition, for CurrentLeader. */
export function currentLeader(ctx: RequestContext, topic: string, partition: number, epoch: number): { leaderId: number; leaderEpoch: number } {
  const p = ctx.cluster.topic(topic)?.partitions[partition];
  return { leaderId: p?.advertisedLeader ?? -1, leaderEpoch: epoch >= 0 ? epoch : p?.leaderEpoch ?? -1 };
}

/** Groups partition outcomes by topic id, in first-seen order. */
export function byTopicId<T extends { topicId: string }>(items: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const i of items) {
    const list = out.get(i.topicId) ?? [];
    list.push(i);
    out.set(i.topicId, list);
  }
  return out;
}

export type { SharePartitionOutcome };
export { ACK_REJECT };

/**
 * Why share groups are refused (UNSUPPORTED_VERSION), as Kafka refuses them while share.version is
 * finalized below 1 (an operator disabled them with UpdateFeatures); undefined when enabled.
 */
export function shareGroupsDisabled(ctx: RequestContext): string | undefined {
  const recorded = ctx.cluster.finalizedFeatures?.();
  if (recorded && (recorded.levels['share.version'] ?? 0) < 1) return 'Share groups are disabled: share.version is finalized below 1.';
  return undefined;
}
