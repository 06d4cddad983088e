import type { Etcd3 } from 'etcd3';
import { replicaOnline, silentLog, type ClusterView, type Log, type PartitionState } from '@dms/cluster';
import { ErrorCode } from '@dms/kafka-errors';
import { electRequested, type RequestedElection } from '@dms/replication';
import { casPartitionState, type CasStep } from './partition-cas';
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
 * Runs one requested election per partition as Kafka's controller does, each decided on the state
 * read fresh from etcd and written back as a fenced compare-and-set (partition-cas.ts; a
 * concurrent ISR change makes it decide again on the new state). Answers per partition.
 */
export async function electLeaders(opts: ElectLeadersOptions, type: RequestedElection, targets: readonly ElectionTarget[]): Promise<ElectionResult[]> {
  const results: ElectionResult[] = [];
  for (const t of targets) results.push(await electOne(opts, type, t));
  return results;
}

async function electOne(opts: ElectLeadersOptions, type: RequestedElection, t: ElectionTarget): Promise<ElectionResult> {
  const log = opts.log ?? silentLog;
  const out = (errorCode: number, errorMessage: string, leader = -1, leaderEpoch = -1): ElectionResult => ({ ...t, errorCode, errorMessage, leader, leaderEpoch });
  const { view } = opts;
  let change: { from: PartitionState; to: PartitionState } | undefined;
  const res = await casPartitionState(opts, t.topic, t.partition, (state, written): CasStep<ElectionResult> => {
    const outcome = electRequested(state, {
      isLive: (id) => replicaOnline(view.broker(id), t.topic, t.partition) && opts.excluded?.(id) !== true,
      restartedSince: (id) => (view.brokerEpoch(id) ?? 0n) > written,
    }, type);
    if (!outcome.ok) {
      const [code, message] = REFUSALS[outcome.reason];
      return { answer: out(code, message, state.leader, state.leaderEpoch) };
    }
    change = { from: state, to: outcome.state };
    return { write: keepReassignment(state, outcome.state), answer: out(ErrorCode.NONE, '', outcome.state.leader, outcome.state.leaderEpoch) };
  });
  switch (res.kind) {
    case 'answered':
      if (res.written && change) log.info({ topic: t.topic, partition: t.partition, type, ...change }, 'leader elected on request');
      return res.answer;
    case 'unknown-partition':
      return out(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
    case 'not-controller':
      return out(ErrorCode.NOT_CONTROLLER, 'This controller is not the leader.');
    case 'store-error':
      return out(ErrorCode.REQUEST_TIMED_OUT, res.message);
    case 'contended':
      return out(ErrorCode.REQUEST_TIMED_OUT, 'The partition kept changing during the election.');
  }
}
