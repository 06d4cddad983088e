// AlterPartitionReassignments (45)
// Behavior: KIP-455. Per partition, a replica list starts (or replaces) a move to that target and
//   null cancels the move in progress. The leading controller writes each partition's state as a
//   fenced etcd compare-and-set: replicas = target then the originals leaving, with adding and
//   removing replicas; storage brokers open the adding replicas as followers, which catch up from
//   the leader's log start and join the ISR by the normal rules; once every adding replica is in
//   the ISR the controller completes the move (replicas = target, a removed leader hands over to
//   the first in-sync target replica). Cancel returns to the original replicas.
//   Errors per partition: INVALID_REPLICA_ASSIGNMENT (empty list, duplicates, unregistered
//   brokers), UNKNOWN_TOPIC_OR_PARTITION, NO_REASSIGNMENT_IN_PROGRESS (cancel with none).
//   Needs ALTER on the cluster: otherwise CLUSTER_AUTHORIZATION_FAILED at the top and for every
//   partition, as Kafka answers.
// Version notes: v0 (flexible). v1 adds allow_replication_factor_change (default true, echoed in
//   the answer): when false, a target whose replica count differs from the partition's current
//   replicas (a move in progress counts its original replicas) answers INVALID_REPLICATION_FACTOR
//   for that partition, as Kafka.
// Not implemented: nothing known (replication throttles are configs: see decision 0029-replication-throttles).
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, CLUSTER_NAME, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';
import type { PartitionView, ReassignmentOutcome, ReassignmentSpec } from './ports';

export const alterPartitionReassignmentsHandler: KafkaHandler = {
  apiKey: 45,
  name: 'AlterPartitionReassignments',
  minVersion: 0,
  maxVersion: 1,
  acl: ['CLUSTER:ALTER'],
  async handle(ctx, req: any, version) {
    const allowRfChange = version < 1 || req.allowReplicationFactorChange !== false;
    const specs: ReassignmentSpec[] = (req.topics as any[]).flatMap((t) =>
      (t.partitions as any[]).map((p) => ({ topic: t.name as string, partition: p.partitionIndex as number, replicas: p.replicas === null ? null : [...(p.replicas as number[])] })),
    );
    const answer = (errorCode: number, errorMessage: string | null, outcomes: ReassignmentOutcome[]) => ({
      throttleTimeMs: 0,
      errorCode,
      errorMessage,
      allowReplicationFactorChange: allowRfChange,
      responses: groupByTopic(outcomes),
    });
    if (!authorized(ctx, Operation.ALTER, Resource.CLUSTER, CLUSTER_NAME)) {
      const message = 'Authorization failed.';
      return answer(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, message, specs.map((s) => ({ topic: s.topic, partition: s.partition, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: message })));
    }
    const refused = new Map<ReassignmentSpec, ReassignmentOutcome>();
    if (!allowRfChange) {
      for (const s of specs) {
        const current = currentReplicaCount(ctx.cluster.topic(s.topic)?.partitions[s.partition]);
        if (s.replicas !== null && current !== undefined && s.replicas.length !== current) {
          refused.set(s, {
            topic: s.topic, partition: s.partition, errorCode: ErrorCode.INVALID_REPLICATION_FACTOR,
            errorMessage: `The replication factor is changed from ${current} to ${s.replicas.length}`,
          });
        }
      }
    }
    const asked = specs.filter((s) => !refused.has(s));
    const moved = asked.length > 0 ? await ctx.controller.alterPartitionReassignments(asked, Math.min(Math.max(req.timeoutMs ?? 60_000, 1_000), 60_000)) : [];
    // The controller answers `asked` in order, one outcome per entry (a partition may be named
    // twice, each with its own answer). In request order, refused partitions included.
    let next = 0;
    const outcomes = specs.map((s) => refused.get(s) ?? moved[next++] ?? {
      topic: s.topic, partition: s.partition, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'no answer from the controller',
    });
    return answer(ErrorCode.NONE, null, outcomes);
  },
};

/** A partition's replica count before any move in progress (its replicas less those being added). */
function currentReplicaCount(p: PartitionView | undefined): number | undefined {
  if (!p) return undefined;
  const adding = new Set(p.addingReplicas ?? []);
  return p.replicas.filter((r) => !adding.has(r)).length;
}

function groupByTopic(outcomes: ReassignmentOutcome[]) {
  const byTopic = new Map<string, ReassignmentOutcome[]>();
  for (const o of outcomes) {
    const list = byTopic.get(o.topic) ?? [];
    list.push(o);
    byTopic.set(o.topic, list);
  }
  return [...byTopic].map(([name, list]) => ({
    name,
    partitions: list.map((o) => ({ partitionIndex: o.partition, errorCode: o.errorCode, errorMessage: o.errorCode === ErrorCode.NONE ? null : o.errorMessage })),
  }));
}
