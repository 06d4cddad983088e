// AlterShareGroupOffsets (91)
// Behavior: moves share partitions of an empty share group to new start offsets (what
//   kafka-share-groups.sh --reset-offsets executes): each starts over there with nothing in
//   flight and a new state epoch. A group with members answers NON_EMPTY_GROUP (Kafka's
//   GROUP_NOT_EMPTY), an unknown topic UNKNOWN_TOPIC_OR_PARTITION for its partitions.
// Version notes: v0 only. Needs READ on the GROUP and READ on each TOPIC.
// Not implemented: nothing.
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';
import type { SharePartitionRef } from './share-port';

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

export const alterShareGroupOffsetsHandler: KafkaHandler = {
  apiKey: 91,
  name: 'AlterShareGroupOffsets',
  minVersion: 0,
  maxVersion: 0,
  acl: ['GROUP:READ', 'TOPIC:READ'],
  async handle(ctx, req: any) {
    const failed = (errorCode: number, errorMessage: string | null = null) => ({ throttleTimeMs: 0, errorCode, errorMessage, responses: [] });
    if (!ctx.share) return failed(ErrorCode.UNSUPPORTED_VERSION, 'Share groups are not served here.');
    if (!authorized(ctx, Operation.READ, Resource.GROUP, req.groupId)) return failed(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const responses: { topicName: string; topicId: string; partitions: { partitionIndex: number; errorCode: number; errorMessage: string | null }[] }[] = [];
    const wanted: (SharePartitionRef & { startOffset: bigint })[] = [];
    for (const t of req.topics as { topicName: string; partitions: { partitionIndex: number; startOffset: bigint }[] }[]) {
      const view = ctx.cluster.topic(t.topicName);
      const code = !authorized(ctx, Operation.READ, Resource.TOPIC, t.topicName) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : !view ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.NONE;
      for (const p of t.partitions) {
        if (code === ErrorCode.NONE && view && (p.partitionIndex < 0 || p.partitionIndex >= view.partitions.length)) {
          responses.push({ topicName: t.topicName, topicId: view.topicId, partitions: [{ partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null }] });
        } else if (code !== ErrorCode.NONE || !view) {
          responses.push({ topicName: t.topicName, topicId: view?.topicId ?? ZERO_UUID, partitions: [{ partitionIndex: p.partitionIndex, errorCode: code, errorMessage: null }] });
        } else if (p.startOffset < 0n) {
          responses.push({ topicName: t.topicName, topicId: view.topicId, partitions: [{ partitionIndex: p.partitionIndex, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'StartOffset must not be negative.' }] });
        } else {
          wanted.push({ topic: view.name, topicId: view.topicId, partition: p.partitionIndex, startOffset: p.startOffset });
        }
      }
    }
    const res = wanted.length > 0 ? await ctx.share.resetOffsets(req.groupId, wanted) : { errorCode: ErrorCode.NONE, errorMessage: null, partitions: [] };
    if (res.errorCode !== ErrorCode.NONE && res.partitions.length === 0) return failed(res.errorCode, res.errorMessage);
    for (const p of res.partitions) responses.push({ topicName: p.topic, topicId: p.topicId, partitions: [{ partitionIndex: p.partition, errorCode: p.errorCode, errorMessage: p.errorMessage }] });
    const merged = new Map<string, (typeof responses)[number]>();
    for (const r of responses) {
      const m = merged.get(r.topicName);
      if (m) m.partitions.push(...r.partitions);
      else merged.set(r.topicName, { ...r, partitions: [...r.partitions] });
    }
    return { throttleTimeMs: 0, errorCode: res.errorCode, errorMessage: res.errorMessage, responses: [...merged.values()] };
  },
};
