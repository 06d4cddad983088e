// ElectLeaders (43)
// Behavior: the leading controller runs one election per partition as a fenced etcd write that
//   bumps the leader epoch and partition epoch; storage brokers switch roles when they see it.
//   Preferred (type 0): the first assigned replica leads when it is alive and in the ISR, else
//   PREFERRED_LEADER_NOT_AVAILABLE; ELECTION_NOT_NEEDED when it already leads. Unclean (type 1):
//   only partitions without a live leader, first a live ISR member, else any live replica;
//   ELIGIBLE_LEADERS_NOT_AVAILABLE when none is alive. Unknown partitions get
//   UNKNOWN_TOPIC_OR_PARTITION. A null topic list means every partition.
//   Needs ALTER on the cluster: otherwise CLUSTER_AUTHORIZATION_FAILED at the top and for every
//   named partition (none are listed for a null topic list), as Kafka answers.
// Version notes: v0 has no ElectionType (preferred) and no top-level ErrorCode; v2 is flexible.
// Not implemented: nothing known.
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, CLUSTER_NAME, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';
import type { ElectionOutcome } from './ports';

interface Wanted {
  topic: string;
  partitions: number[];
}

function groupByTopic(outcomes: ElectionOutcome[]) {
  const byTopic = new Map<string, ElectionOutcome[]>();
  for (const o of outcomes) {
    const list = byTopic.get(o.topic) ?? [];
    list.push(o);
    byTopic.set(o.topic, list);
  }
  return [...byTopic].map(([topic, list]) => ({
    topic,
    partitionResult: list.map((o) => ({ partitionId: o.partition, errorCode: o.errorCode, errorMessage: o.errorMessage })),
  }));
}

export const electLeadersHandler: KafkaHandler = {
  apiKey: 43,
  name: 'ElectLeaders',
  minVersion: 0,
  maxVersion: 2,
  acl: ['CLUSTER:ALTER'],
  async handle(ctx, req: any, version) {
    const electionType: number = version >= 1 ? req.electionType : 0;
    const wanted: Wanted[] | null = req.topicPartitions === null ? null : (req.topicPartitions as any[]).map((t) => ({ topic: t.topic, partitions: t.partitions }));
    const flat = wanted?.flatMap((t) => [...new Set(t.partitions)].map((partition) => ({ topic: t.topic, partition }))) ?? null;
    const answer = (errorCode: number, outcomes: ElectionOutcome[]) => ({ throttleTimeMs: 0, errorCode, replicaElectionResults: groupByTopic(outcomes) });
    const failAll = (errorCode: number, errorMessage: string) =>
      answer(errorCode, (flat ?? []).map((p) => ({ ...p, errorCode, errorMessage })));
    if (!authorized(ctx, Operation.ALTER, Resource.CLUSTER, CLUSTER_NAME)) return failAll(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Authorization failed.');
    if (electionType !== 0 && electionType !== 1) return failAll(ErrorCode.INVALID_REQUEST, `Unknown election type ${electionType}.`);
    const outcomes = await ctx.controller.electLeaders(electionType, flat, Math.min(Math.max(req.timeoutMs ?? 60_000, 1_000), 60_000));
    return answer(ErrorCode.NONE, outcomes);
  },
};
