// Fetch (1)
// Behavior: forwards every partition to its storage leader through the storage port, which
//   honours max wait, min bytes, max bytes and per-partition max bytes, and returns whole
//   batches as stored. An empty partition answers an empty record set, never null.
//   Size limits are Kafka's (KIP-74) over the whole answer, even when several storage brokers
//   serve it: at most max_bytes, and per partition at most partition_max_bytes, except the first
//   batch of the first non-empty partition; a partition beyond the budget answers an empty record
//   set with no error and is fetched next time. The answer goes out as soon as the brokers that
//   answered hold min_bytes (the others are woken), else after max_wait_ms.
// Version notes: v4+ (magic 2 only; Kafka 4 removed v0-v3: a v0-v3 request closes the connection,
//   as Kafka's does). v13+ names topics by id; an unknown id answers UNKNOWN_TOPIC_ID. v17's
//   replica directory id and v18's follower high watermark (KIP-1166) only matter to follower
//   fetches between brokers, which DMS replicates over its own RPCs: clients leave them at their
//   defaults and they are ignored.
//   Fetch sessions (v7+) are declined by answering session id 0, which clients treat as
//   "keep sending full fetch requests".
//   Needs READ on each topic, else TOPIC_AUTHORIZATION_FAILED for its partitions.
//   isolation_level 1 (READ_COMMITTED) reads only below the last stable offset and answers
//   the aborted transactions overlapping the returned batches; control batches are returned as
//   stored (clients skip them). last_stable_offset is the partition's real LSO.
// Not implemented: fetch from follower (preferredReadReplica is always -1).
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';
import type { FetchPartitionInput } from './ports';

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

export const fetchHandler: KafkaHandler = {
  apiKey: 1,
  name: 'Fetch',
  minVersion: 4,
  maxVersion: 18,
  acl: ['TOPIC:READ'],
  async handle(ctx, req: any, version) {
    const byId = version >= 13;
    const inputs: FetchPartitionInput[] = [];
    const topics = (req.topics as any[]).map((t) => {
      const view = byId ? ctx.cluster.topicById(t.topicId) : ctx.cluster.topic(t.topic);
      const name: string | undefined = view?.name ?? t.topic;
      const allowed = name === undefined || name === null || authorized(ctx, Operation.READ, Resource.TOPIC, name);
      const partitions = (t.partitions as any[]).map((p) => {
        const entry = {
          partitionIndex: p.partition,
          errorCode: ErrorCode.NONE as number,
          highWatermark: -1n,
          lastStableOffset: -1n,
          logStartOffset: -1n,
          abortedTransactions: null as null | unknown[],
          preferredReadReplica: -1,
          records: Buffer.alloc(0) as Buffer,
        };
        if (!allowed) {
          entry.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        } else if (!view) {
          entry.errorCode = byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        } else if (!view.partitions[p.partition]) {
          entry.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        } else {
          inputs.push({
            topic: view.name,
            partition: p.partition,
            fetchOffset: p.fetchOffset,
            partitionMaxBytes: p.partitionMaxBytes,
            currentLeaderEpoch: p.currentLeaderEpoch ?? -1,
          });
        }
        return entry;
      });
      return { topic: view?.name ?? t.topic ?? '', topicId: view?.topicId ?? t.topicId ?? ZERO_UUID, partitions };
    });
    if (inputs.length > 0) {
      const outcomes = await ctx.storage.fetch(
        { maxWaitMs: req.maxWaitMs, minBytes: req.minBytes, maxBytes: req.maxBytes, isolationLevel: req.isolationLevel ?? 0 },
        inputs,
      );
      const byKey = new Map(outcomes.map((o) => [`${o.topic}\0${o.partition}`, o]));
      for (const t of topics) {
        for (const p of t.partitions) {
          const o = byKey.get(`${t.topic}\0${p.partitionIndex}`);
          if (!o) continue;
          p.errorCode = o.errorCode;
          p.highWatermark = o.highWatermark;
          p.lastStableOffset = o.lastStableOffset;
          p.logStartOffset = o.logStartOffset;
          p.records = o.records;
          if (req.isolationLevel === 1) {
            p.abortedTransactions = (o.abortedTransactions ?? []).map((t) => ({ producerId: t.producerId, firstOffset: t.firstOffset }));
          }
        }
      }
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses: topics, nodeEndpoints: [] };
  },
};
