import type { Etcd3 } from 'etcd3';
import {
  controllerLeaderKey,
  errMessage,
  fencedTxn,
  NotLeaderError,
  partitionKey,
  partitionState,
  silentLog,
  type ClusterView,
  type Log,
  replicaOnline,
} from '@dms/cluster';
import { ErrorCode } from '@dms/kafka-errors';
import { cancelReassignment, startReassignment, type ReassignFacts } from './reassignment';
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
 * Kafka's AlterPartitionReassignments on the leading controller: each partition read fresh from
 * etcd, its new state (reassignment.ts) written as a fenced compare-and-set on the key's
 * modRevision, retried on a concurrent change. Storage brokers open the adding replicas as
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
  let key: string;
  try {
    key = partitionKey(clusterName, r.topic, r.partition);
  } catch {
    return out(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    const fence = opts.fence();
    if (fence === undefined) return out(ErrorCode.NOT_CONTROLLER, 'This controller is not the leader.');
    try {
      const got = await client.get(key).exec();
      const kv = got.kvs[0];
      const state = kv && partitionState.decode(kv.value);
      if (!kv || !state) return out(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
      const facts = reassignFacts(view, r.topic, r.partition);
      const step = r.replicas === null ? cancelReassignment(state) : startReassignment(state, r.replicas, facts);
      if (!step.ok) return out(step.errorCode, step.errorMessage);
      if (step.state === undefined) return out(ErrorCode.NONE);
      const res = await fencedTxn(client, controllerLeaderKey(clusterName), fence)
        .and(key, 'Mod', '==', kv.mod_revision)
        .then(client.put(key).value(partitionState.encode(step.state)), ...replicaDeletionOps(client, view, clusterName, r.topic, r.partition, state, step.state))
        .commit();
      if (!res.succeeded) continue;
      log.info({ topic: r.topic, partition: r.partition, target: r.replicas, from: state, to: step.state }, r.replicas === null ? 'reassignment cancelled' : 'reassignment started');
      return out(ErrorCode.NONE);
    } catch (e) {
      if (e instanceof NotLeaderError) return out(ErrorCode.NOT_CONTROLLER, 'This controller is no longer the leader.');
      return out(ErrorCode.REQUEST_TIMED_OUT, `metadata store error: ${errMessage(e)}`);
    }
  }
  return out(ErrorCode.REQUEST_TIMED_OUT, 'The partition kept changing during the reassignment.');
}
