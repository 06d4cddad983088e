// ListPartitionReassignments (46)
// Behavior: the partitions with a reassignment in progress, from this gateway's view of etcd:
//   each with its replicas (target then the originals leaving), adding and removing replicas, as
//   Kafka lists them. A null topic list means every partition; named topics or partitions that do
//   not exist, or have no move in progress, are left out (Kafka does the same).
//   Needs DESCRIBE on the cluster, else CLUSTER_AUTHORIZATION_FAILED at the top.
// Version notes: v0 only (the only version in Kafka's schemas), flexible.
// Not implemented: nothing known.
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, CLUSTER_NAME, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';
import type { TopicView } from './ports';

export const listPartitionReassignmentsHandler: KafkaHandler = {
  apiKey: 46,
  name: 'ListPartitionReassignments',
  minVersion: 0,
  maxVersion: 0,
  acl: ['CLUSTER:DESCRIBE'],
  async handle(ctx, req: any) {
    if (!authorized(ctx, Operation.DESCRIBE, Resource.CLUSTER, CLUSTER_NAME)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.', topics: [] };
    }
    const wanted: { name: string; partitionIndexes: number[] }[] | null = req.topics;
    const selected: Array<{ topic: TopicView; only: Set<number> | undefined }> =
      wanted === null
        ? ctx.cluster.topics().map((topic) => ({ topic, only: undefined }))
        : wanted.flatMap((w) => {
            const topic = ctx.cluster.topic(w.name);
            return topic ? [{ topic, only: new Set(w.partitionIndexes) }] : [];
          });
    const topics = selected
      .map(({ topic, only }) => ({
        name: topic.name,
        partitions: topic.partitions
          .filter((p) => (only === undefined || only.has(p.partition)) && ((p.addingReplicas?.length ?? 0) > 0 || (p.removingReplicas?.length ?? 0) > 0))
          .map((p) => ({ partitionIndex: p.partition, replicas: [...p.replicas], addingReplicas: [...(p.addingReplicas ?? [])], removingReplicas: [...(p.removingReplicas ?? [])] })),
      }))
      .filter((t) => t.partitions.length > 0);
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics };
  },
};
