// OffsetDelete (47)
// Behavior: deletes committed offsets of a group (tombstones in __consumer_offsets). Refused
//   per partition with GROUP_SUBSCRIBED_TO_TOPIC while a live consumer member subscribes to the
//   topic; GROUP_ID_NOT_FOUND for an unknown group.
// Version notes: v0 only.
// Not implemented: nothing.
import type { KafkaHandler } from './handler';

export const offsetDeleteHandler: KafkaHandler = {
  apiKey: 47,
  name: 'OffsetDelete',
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req: any) {
    const res = await ctx.groups.offsetDelete({
      groupId: req.groupId,
      topics: (req.topics as any[]).map((t) => ({ name: t.name, partitionIndexes: (t.partitions as any[]).map((p) => p.partitionIndex) })),
    });
    return { errorCode: res.errorCode, throttleTimeMs: 0, topics: res.topics };
  },
};
