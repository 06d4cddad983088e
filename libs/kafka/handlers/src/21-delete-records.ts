// DeleteRecords (21)
// Behavior: for each partition, the storage leader moves its log start offset (the low
//   watermark) to the given offset, -1 meaning the high watermark; whole segments below it are
//   deleted (asynchronously, after file.delete.delay.ms). The answer waits, within TimeoutMs,
//   until every in-sync follower has moved its own start there too (followers learn it from
//   their fetches), and carries that low watermark; else REQUEST_TIMED_OUT. An offset beyond
//   the high watermark (or negative other than -1) is OFFSET_OUT_OF_RANGE; a topic whose
//   cleanup.policy lacks `delete` answers POLICY_VIOLATION, an internal topic
//   INVALID_TOPIC_EXCEPTION, as Kafka does.
//   Needs DELETE on each topic, else TOPIC_AUTHORIZATION_FAILED for its partitions.
// Version notes: v0-v2 (v1 is v0 with throttling after the response, v2 flexible).
// Not implemented: nothing known.
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';
import type { DeleteRecordsInput } from './ports';
import { isInternalTopic } from './topic-names';

export const deleteRecordsHandler: KafkaHandler = {
  apiKey: 21,
  name: 'DeleteRecords',
  minVersion: 0,
  maxVersion: 2,
  acl: ['TOPIC:DELETE'],
  async handle(ctx, req: any) {
    const inputs: DeleteRecordsInput[] = [];
    const topics = ((req.topics ?? []) as any[]).map((t) => {
      const view = ctx.cluster.topic(t.name);
      const allowed = authorized(ctx, Operation.DELETE, Resource.TOPIC, t.name);
      return {
        name: t.name,
        partitions: ((t.partitions ?? []) as any[]).map((p) => {
          const entry = { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.NONE as number };
          if (!allowed) entry.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
          else if (!view || !view.partitions[p.partitionIndex]) entry.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          else if (isInternalTopic(t.name)) entry.errorCode = ErrorCode.INVALID_TOPIC_EXCEPTION;
          else inputs.push({ topic: t.name, partition: p.partitionIndex, offset: p.offset });
          return entry;
        }),
      };
    });
    if (inputs.length > 0) {
      const outcomes = await ctx.storage.deleteRecords(Math.max(0, req.timeoutMs ?? 0), inputs);
      const byKey = new Map(outcomes.map((o) => [`${o.topic}\0${o.partition}`, o]));
      for (const t of topics) {
        for (const p of t.partitions) {
          const o = byKey.get(`${t.name}\0${p.partitionIndex}`);
          if (!o) continue;
          p.errorCode = o.errorCode;
          p.lowWatermark = o.lowWatermark;
        }
      }
    }
    return { throttleTimeMs: 0, topics };
  },
};
