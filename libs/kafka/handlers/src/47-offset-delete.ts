// OffsetDelete (47)
// Behavior: deletes committed offsets of a group (tombstones in __consumer_offsets). Refused
//   per partition with GROUP_SUBSCRIBED_TO_TOPIC while a live consumer member subscribes to the
//   topic; GROUP_ID_NOT_FOUND for an unknown group.
// Version notes: v0 only.
//   Needs DELETE on the GROUP (else a top-level GROUP_AUTHORIZATION_FAILED) and READ on each
//   TOPIC (else TOPIC_AUTHORIZATION_FAILED for its partitions); unknown topics answer
//   UNKNOWN_TOPIC_OR_PARTITION without reaching the coordinator.
// Not implemented: nothing.
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';

export const offsetDeleteHandler: KafkaHandler = {
  apiKey: 47,
  name: 'OffsetDelete',
  minVersion: 0,
  maxVersion: 0,
  acl: ['GROUP:DELETE', 'TOPIC:READ'],
  async handle(ctx, req: any) {
    if (!authorized(ctx, Operation.DELETE, Resource.GROUP, req.groupId)) {
      return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, throttleTimeMs: 0, topics: [] };
    }
    const refused = new Map<string, number>();
    const forward = [];
    for (const t of req.topics as any[]) {
      const allowed = authorized(ctx, Operation.READ, Resource.TOPIC, t.name);
      const view = ctx.cluster.topic(t.name);
      const partitionIndexes: number[] = [];
      for (const p of t.partitions as any[]) {
        const k = `${t.name}\0${p.partitionIndex}`;
        if (!allowed) refused.set(k, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
        else if (!view?.partitions[p.partitionIndex]) refused.set(k, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        else partitionIndexes.push(p.partitionIndex);
      }
      if (partitionIndexes.length > 0) forward.push({ name: t.name as string, partitionIndexes });
    }
    // Asked even with nothing to delete, for the group-level answer (GROUP_ID_NOT_FOUND...).
    const res = await ctx.groups.offsetDelete({ groupId: req.groupId, topics: forward });
    if (res.errorCode !== ErrorCode.NONE) return { errorCode: res.errorCode, throttleTimeMs: 0, topics: [] };
    const codes = new Map<string, number>();
    for (const t of res.topics) for (const p of t.partitions) codes.set(`${t.name}\0${p.partitionIndex}`, p.errorCode);
    return {
      errorCode: ErrorCode.NONE,
      throttleTimeMs: 0,
      topics: (req.topics as any[]).map((t) => ({
        name: t.name,
        partitions: (t.partitions as any[]).map((p) => {
          const k = `${t.name}\0${p.partitionIndex}`;
          return { partitionIndex: p.partitionIndex, errorCode: refused.get(k) ?? codes.get(k) ?? ErrorCode.UNKNOWN_SERVER_ERROR };
        }),
      })),
    };
  },
};
