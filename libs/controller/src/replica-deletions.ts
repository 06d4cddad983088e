import type { Etcd3, IRequestOp, IOperation } from 'etcd3';
import { replicaDeletionKey, replicaDeletionRecord, type ClusterView, type PartitionState } from '@dms/cluster';

/**
 * The writes that go in the same fenced transaction as a partition state dropping replicas (a
 * move completed or cancelled): one deletion record per broker taken off, naming the topic id,
 * so that broker deletes its directory only once the change is committed (decision 0018's rule).
 */
export function replicaDeletionOps(
  client: Etcd3,
  view: ClusterView,
  clusterName: string,
  topic: string,
  partition: number,
  before: PartitionState,
  after: PartitionState,
  nowMs = Date.now(),
): Array<IRequestOp | IOperation> {
  const topicId = view.topic(topic)?.topicId;
  if (topicId === undefined) return [];
  return before.replicas
    .filter((id) => !after.replicas.includes(id))
    .map((brokerId) =>
      client.put(replicaDeletionKey(clusterName, topicId, partition, brokerId))
        .value(replicaDeletionRecord.encode({ topicId, name: topic, partition, brokerId, createdAtMs: nowMs })),
    );
}
