import type { Etcd3 } from 'etcd3';
import { replicaOnline, silentLog, type ClusterView, type Log, type PartitionState } from '@dms/cluster';
import { ErrorCode } from '@dms/kafka-errors';
import { cancelReassignment, startReassignment, type ReassignFacts } from './reassignment';
import { casPartitionState, type CasStep } from './partition-cas';
import { replicaDeletionOps } from './replica-deletions';

/** One partition of an AlterPartitionReassignments request; replicas null cancels. */
export interface ReassignmentRequest {
  topic: string;
  partition: number;
  replicas: number[] | null;
}

/** Structurally the gRPC ReassignmentResult. */
export interface ReassignmentResult {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string;
}

export interface ReassignPartitionsOptions {
  client: Etcd3;
  view: ClusterView;
  clusterName: string;
  fence: () => string | undefined;
  log?: Log;
}

export function reassignFacts(view: ClusterView, topic: string, partition: number): ReassignFacts {
  return {
    isRegistered: (id) => view.broker(id) !== undefined,
    isLive: (id) => replicaOnline(view.broker(id), topic, partition),
  };
}

/**
 * Kafka's AlterPartitionReassignments on the leading controller: each partition's new state
 * (reassignment.ts) decided on its state read fresh from etcd and written as a fenced
 * compare-and-set (partition-cas.ts), decided again on a concurrent change. Storage brokers open the adding replicas as
 * followers when they see the state; the reconciler completes the move once they are in sync.
 */
export async function reassignPartitions(opts: ReassignPartitionsOptions, requests: readonly ReassignmentRequest[]): Promise<ReassignmentResult[]> {
  const out: ReassignmentResult[] = [];
  for (const r of requests) out.push(await reassignOne(opts, r));
  return out;
}

async function reassignOne(opts: ReassignPartitionsOptions, r: ReassignmentRequest): Promise<ReassignmentResult> {
  const log = opts.log ?? silentLog;
  const { client, clusterName, view } = opts;
  const out = (errorCode: number, errorMessage = ''): ReassignmentResult => ({ topic: r.topic, partition: r.partition, errorCode, errorMessage });
  let change: { from: PartitionState; to: PartitionState } | undefined;
  const res = await casPartitionState(opts, r.topic, r.partition, (state): CasStep<ReassignmentResult> => {
    const facts = reassignFacts(view, r.topic, r.partition);
    const step = r.replicas === null ? cancelReassignment(state) : startReassignment(state, r.replicas, facts);
    if (!step.ok) return { answer: out(step.errorCode, step.errorMessage) };
    if (step.state === undefined) return { answer: out(ErrorCode.NONE) };
    change = { from: state, to: step.state };
    return { write: step.state, ops: replicaDeletionOps(client, view, clusterName, r.topic, r.partition, state, step.state), answer: out(ErrorCode.NONE) };
  }, 5);
  switch (res.kind) {
    case 'answered':
      if (res.written && change) log.info({ topic: r.topic, partition: r.partition, target: r.replicas, ...change }, r.replicas === null ? 'reassignment cancelled' : 'reassignment started');
      return res.answer;
    case 'unknown-partition':
      return out(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
    case 'not-controller':
      return out(ErrorCode.NOT_CONTROLLER, 'This controller is not the leader.');
    case 'store-error':
      return out(ErrorCode.REQUEST_TIMED_OUT, res.message);
    case 'contended':
      return out(ErrorCode.REQUEST_TIMED_OUT, 'The partition kept changing during the reassignment.');
  }
}
