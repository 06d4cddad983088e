// ListOffsets (2)
// Behavior: -2 earliest, -1 latest (the high watermark; under isolation_level 1,
//   READ_COMMITTED, the last stable offset), -3 the record with the largest timestamp,
//   otherwise the first offset whose record timestamp is at or after the given time, found by
//   the storage leader from the records themselves (below the LSO under READ_COMMITTED).
// Version notes: v0 (removed by Kafka 4.0, KIP-896; Burrow and other Kafka 2.x-era tools send it)
//   is served: the answer's old_style_offsets holds at most one offset (max_num_offsets 0 asks
//   for none): the log end (high watermark) for -1, the log start for -2, else the offset the
//   timestamp lookup finds. Kafka before 4 listed segment base offsets for a timestamp; one
//   offset at or after it is what the tools read. v7+ -3 (max timestamp); v8+ -4 (earliest
//   local) answers like earliest; v9+ -5 (latest tiered) and v11+ -6 (earliest pending upload,
//   KIP-1023) answer offset -1 with no error, as Kafka does for a topic without remote storage;
//   v10+ timeout_ms (only remote lookups wait: ignored).
//   Needs DESCRIBE on each topic, else TOPIC_AUTHORIZATION_FAILED for its partitions.
// Not implemented: tiered storage (so -4 is the log start and -5/-6 have no offset).
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';
import type { ListOffsetsInput } from './ports';

/** LATEST_TIERED (-5) and EARLIEST_PENDING_UPLOAD (-6): answered without a lookup, no tiered storage here. */
const NO_REMOTE_OFFSET = new Set([-5n, -6n]);

export const listOffsetsHandler: KafkaHandler = {
  apiKey: 2,
  name: 'ListOffsets',
  minVersion: 0,
  maxVersion: 11,
  acl: ['TOPIC:DESCRIBE'],
  async handle(ctx, req: any, version) {
    const wants = new Map<object, number>();
    const inputs: ListOffsetsInput[] = [];
    const topics = (req.topics as any[]).map((t) => {
      const view = ctx.cluster.topic(t.name);
      const allowed = authorized(ctx, Operation.DESCRIBE, Resource.TOPIC, t.name);
      return {
        name: t.name,
        partitions: (t.partitions as any[]).map((p) => {
          const entry = { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE as number, oldStyleOffsets: [] as bigint[], timestamp: -1n, offset: -1n, leaderEpoch: -1 };
          if (!allowed) entry.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
          else if (!view || !view.partitions[p.partitionIndex]) entry.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          else if (NO_REMOTE_OFFSET.has(p.timestamp)) {
            // Tiered-storage lookups: no remote log, no offset.
          } else {
            if (version === 0) wants.set(entry, p.maxNumOffsets ?? 1);
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
          if (version === 0 && o.errorCode === ErrorCode.NONE && o.offset >= 0n && (wants.get(p) ?? 0) > 0) p.oldStyleOffsets = [o.offset];
        }
      }
    }
    return { throttleTimeMs: 0, topics };
  },
};
