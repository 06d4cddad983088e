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
import { electRequested, type RequestedElection } from '@dms/replication';
import { keepReassignment } from './reassignment';

export interface ElectionTarget {
  topic: string;
  partition: number;
}

/** Structurally the gRPC ElectionResult. */
export interface ElectionResult extends ElectionTarget {
  errorCode: number;
  errorMessage: string;
  leader: number;
  leaderEpoch: number;
}

export interface ElectLeadersOptions {
  client: Etcd3;
  view: ClusterView;
  clusterName: string;
  fence: () => string | undefined;
  /** Brokers that may not be elected now (in controlled shutdown). */
  excluded?: (brokerId: number) => boolean;
  log?: Log;
}

const REFUSALS = {
  'not-needed': [ErrorCode.ELECTION_NOT_NEEDED, 'Leader election not needed for topic partition.'],
  'preferred-unavailable': [ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, 'The preferred leader is not alive or not in the ISR.'],
  'no-eligible-leader': [ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, 'No replica of this partition is alive.'],
} as const;

/** Kafka's ElectionType codes (0 preferred, 1 unclean); anything else is undefined. */
export function electionTypeOf(code: number): RequestedElection | undefined {
  return code === 0 ? 'preferred' : code === 1 ? 'unclean' : undefined;
}

/** Every partition in the metadata cache, for elections over "all partitions". */
export function allTargets(view: ClusterView): ElectionTarget[] {
  return view.allPartitions().map(({ topic, partition }) => ({ topic, partition }));
}

/**
 * Runs one requested election per partition as Kafka's controller does, each read fresh from
 * etcd and written back as a fenced compare-and-set on the key's modRevision (a concurrent ISR
 * change or failover makes it retry once on the new state). Answers per partition.
 */
export async function electLeaders(opts: ElectLeadersOptions, type: RequestedElection, targets: readonly ElectionTarget[]): Promise<ElectionResult[]> {
  const results: ElectionResult[] = [];
  for (const t of targets) results.push(await electOne(opts, type, t));
  return results;
}

async function electOne(opts: ElectLeadersOptions, type: RequestedElection, t: ElectionTarget): Promise<ElectionResult> {
  const log = opts.log ?? silentLog;
  const out = (errorCode: number, errorMessage: string, leader = -1, leaderEpoch = -1): ElectionResult => ({ ...t, errorCode, errorMessage, leader, leaderEpoch });
  const { client, clusterName, view } = opts;
  let key: string;
  try {
    key = partitionKey(clusterName, t.topic, t.partition);
  } catch {
    return out(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    const fence = opts.fence();
    if (fence === undefined) return out(ErrorCode.NOT_CONTROLLER, 'This controller is not the leader.');
    try {
      const got = await client.get(key).exec();
      const kv = got.kvs[0];
      const state = kv && partitionState.decode(kv.value);
      if (!kv || !state) return out(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
      const written = BigInt(kv.mod_revision);
      const outcome = electRequested(state, {
        isLive: (id) => replicaOnline(view.broker(id), t.topic, t.partition) && opts.excluded?.(id) !== true,
        restartedSince: (id) => (view.brokerEpoch(id) ?? 0n) > written,
      }, type);
      if (!outcome.ok) {
        const [code, message] = REFUSALS[outcome.reason];
        return out(code, message, state.leader, state.leaderEpoch);
      }
      const res = await fencedTxn(client, controllerLeaderKey(clusterName), fence)
        .and(key, 'Mod', '==', kv.mod_revision)
        .then(client.put(key).value(partitionState.encode(keepReassignment(state, outcome.state))))
        .commit();
      if (!res.succeeded) continue; // changed meanwhile: decide again on the new state
      log.info({ topic: t.topic, partition: t.partition, type, from: state, to: outcome.state }, 'leader elected on request');
      return out(ErrorCode.NONE, '', outcome.state.leader, outcome.state.leaderEpoch);
    } catch (e) {
      if (e instanceof NotLeaderError) return out(ErrorCode.NOT_CONTROLLER, 'This controller is no longer the leader.');
      return out(ErrorCode.REQUEST_TIMED_OUT, `metadata store error: ${errMessage(e)}`);
    }
  }
  return out(ErrorCode.REQUEST_TIMED_OUT, 'The partition kept changing during the election.');
}
