// OffsetForLeaderEpoch (23)
// Behavior: for each partition, the storage leader answers the largest leader epoch <= the one
//   asked and the offset where the next epoch starts (its log end offset for its current epoch),
//   from its leader-epoch cache; consumers use it to detect truncation after a leader change.
//   CurrentLeaderEpoch fences callers with old metadata (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH).
//   As Kafka: CLUSTER_ACTION on the cluster (replicas) allows every topic, otherwise DESCRIBE on each
//   topic (consumers), else TOPIC_AUTHORIZATION_FAILED for its partitions.
// Version notes: v0-v4 (v0 has no LeaderEpoch in the answer, v2+ carries CurrentLeaderEpoch and
//   ThrottleTimeMs, v3+ ReplicaId, v4 flexible). ReplicaId is ignored: brokers replicate over gRPC.
// Not implemented: nothing known.
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, clusterAuthorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';
import type { OffsetForLeaderEpochInput } from './ports';

export const offsetForLeaderEpochHandler: KafkaHandler = {
  apiKey: 23,
  name: 'OffsetForLeaderEpoch',
  minVersion: 0,
  maxVersion: 4,
  acl: ['CLUSTER:CLUSTER_ACTION', 'TOPIC:DESCRIBE'],
  async handle(ctx, req: any) {
    const inputs: OffsetForLeaderEpochInput[] = [];
    const replica = clusterAuthorized(ctx, Operation.CLUSTER_ACTION);
    const topics = ((req.topics ?? []) as any[]).map((t) => {
      const allowed = replica || authorized(ctx, Operation.DESCRIBE, Resource.TOPIC, t.topic);
      const view = allowed ? ctx.cluster.topic(t.topic) : undefined;
      return {
        topic: t.topic,
        partitions: ((t.partitions ?? []) as any[]).map((p) => {
          const entry = { errorCode: ErrorCode.NONE as number, partition: p.partition, leaderEpoch: -1, endOffset: -1n };
          if (!allowed) entry.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
          else if (!view || !view.partitions[p.partition]) entry.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          else inputs.push({ topic: t.topic, partition: p.partition, currentLeaderEpoch: p.currentLeaderEpoch ?? -1, leaderEpoch: p.leaderEpoch });
          return entry;
        }),
      };
    });
    if (inputs.length > 0) {
      const outcomes = await ctx.storage.offsetForLeaderEpoch(inputs);
      const byKey = new Map(outcomes.map((o) => [`${o.topic}\0${o.partition}`, o]));
      for (const t of topics) {
        for (const p of t.partitions) {
          const o = byKey.get(`${t.topic}\0${p.partition}`);
          if (!o) continue;
          p.errorCode = o.errorCode;
          p.leaderEpoch = o.leaderEpoch;
          p.endOffset = o.endOffset;
        }
      }
    }
    return { throttleTimeMs: 0, topics };
  },
};
