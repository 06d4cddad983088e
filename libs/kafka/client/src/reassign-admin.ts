import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { ApiKey } from '@dms/kafka-schema';
import type { KafkaClient } from './client';

/** AlterPartitionReassignments / ListPartitionReassignments (what `dms partitions reassign` calls). */

export interface ReassignmentTarget {
  topic: string;
  partition: number;
  /** null cancels the partition's move. */
  replicas: number[] | null;
}

export interface ReassignmentAnswer {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string | null;
}

export interface OngoingReassignment {
  topic: string;
  partition: number;
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
}

/** One answer per partition; a top-level error with no partition answered throws. */
export async function alterPartitionReassignments(client: KafkaClient, targets: readonly ReassignmentTarget[], timeoutMs = 30_000): Promise<ReassignmentAnswer[]> {
  const byTopic = new Map<string, { partitionIndex: number; replicas: number[] | null }[]>();
  for (const t of targets) byTopic.set(t.topic, [...(byTopic.get(t.topic) ?? []), { partitionIndex: t.partition, replicas: t.replicas }]);
  const res = await client.adminRequest<any>(ApiKey.AlterPartitionReassignments, {
    timeoutMs,
    topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
  }, timeoutMs + 5_000);
  const out: ReassignmentAnswer[] = (res.responses as any[]).flatMap((t) =>
    (t.partitions as any[]).map((p) => ({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode, errorMessage: p.errorMessage ?? null })));
  if (res.errorCode !== ErrorCode.NONE && out.length === 0) throw new KafkaError(res.errorCode, res.errorMessage ?? undefined);
  return out;
}

/** The moves in progress; `partitions` null lists every one. */
export async function listPartitionReassignments(
  client: KafkaClient,
  partitions: readonly { topic: string; partition: number }[] | null,
  timeoutMs = 30_000,
): Promise<OngoingReassignment[]> {
  const byTopic = new Map<string, number[]>();
  for (const p of partitions ?? []) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
  const res = await client.adminRequest<any>(ApiKey.ListPartitionReassignments, {
    timeoutMs,
    topics: partitions === null ? null : [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
  }, timeoutMs + 5_000);
  if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, res.errorMessage ?? undefined);
  return (res.topics as any[]).flatMap((t) =>
    (t.partitions as any[]).map((p) => ({
      topic: t.name, partition: p.partitionIndex, replicas: [...p.replicas], addingReplicas: [...p.addingReplicas], removingReplicas: [...p.removingReplicas],
    })));
}
