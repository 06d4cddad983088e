// ListOffsets (2)
// Behavior: -2 earliest, -1 latest (the high watermark; under isolation_level 1,
//   READ_COMMITTED, the last stable offset), -3 the record with the largest timestamp,
//   otherwise the first offset whose record timestamp is at or after the given time, found by
//   the storage leader from the records themselves (below the LSO under READ_COMMITTED).
// Version notes: v1+ (v0's OldStyleOffsets was removed in Kafka 4).
//   Needs DESCRIBE on each topic, else TOPIC_AUTHORIZATION_FAILED for its partitions.
// Not implemented: -4 (earliest local, tiered storage) answers like earliest.
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';
import type { ListOffsetsInput } from './ports';

export const listOffsetsHandler: KafkaHandler = {
  apiKey: 2,
  name: 'ListOffsets',
  minVersion: 1,
  maxVersion: 9,
  acl: ['TOPIC:DESCRIBE'],
  async handle(ctx, req: any) {
    const inputs: ListOffsetsInput[] = [];
    const topics = (req.topics as any[]).map((t) => {
      const view = ctx.cluster.topic(t.name);
      const allowed = authorized(ctx, Operation.DESCRIBE, Resource.TOPIC, t.name);
      return {
        name: t.name,
        partitions: (t.partitions as any[]).map((p) => {
          const entry = { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE as number, oldStyleOffsets: [], timestamp: -1n, offset: -1n, leaderEpoch: -1 };
          if (!allowed) entry.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
          else if (!view || !view.partitions[p.partitionIndex]) entry.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          else {
            const ts: bigint = p.timestamp === -4n ? -2n : p.timestamp;
            inputs.push({ topic: t.name, partition: p.partitionIndex, timestamp: ts, currentLeaderEpoch: p.currentLeaderEpoch ?? -1 });
          }
          return entry;
        }),
      };
    });
    if (inputs.length > 0) {
      const outcomes = await ctx.storage.listOffsets(req.isolationLevel ?? 0, inputs);
      const byKey = new Map(outcomes.map((o) => [`${o.topic}\0${o.partition}`, o]));
      for (const t of topics) {
        for (const p of t.partitions) {
          const o = byKey.get(`${t.name}\0${p.partitionIndex}`);
          if (!o) continue;
          p.errorCode = o.errorCode;
          p.timestamp = o.timestamp;
          p.offset = o.offset;
          p.leaderEpoch = o.leaderEpoch;
        }
      }
    }
    return { throttleTimeMs: 0, topics };
  },
};
