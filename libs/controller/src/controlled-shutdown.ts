import type { Etcd3 } from 'etcd3';
import { replicaOnline, silentLog, type ClusterView, type Log, type PartitionState } from '@dms/cluster';
import { ErrorCode } from '@dms/kafka-errors';
import { casPartitionState, type CasStep } from './partition-cas';

/**
 * The brokers in controlled shutdown, each remembered with the broker epoch (registration
 * revision) it asked under: a restart registers a new epoch, which ends the mark by itself, as
 * Kafka's controller forgets the shutdown of a broker that registers again. Held in memory by the
 * controller leader; after a failover the stopping broker's retry marks it again.
 */
export class ShuttingDownBrokers {
  private readonly epochs = new Map<number, bigint>();

  constructor(private readonly view: Pick<ClusterView, 'brokerEpoch'>) {}

  mark(brokerId: number, epoch: bigint): void {
    this.epochs.set(brokerId, epoch);
  }

  has(brokerId: number): boolean {
    const epoch = this.epochs.get(brokerId);
    if (epoch === undefined) return false;
    if (this.view.brokerEpoch(brokerId) !== epoch) {
      this.epochs.delete(brokerId);
      return false;
    }
    return true;
  }

  clear(): void {
    this.epochs.clear();
  }
}

export type ShutdownStep =
  | { kind: 'unchanged' }
  /** Still led by the broker: no other replica can take over. */
  | { kind: 'stuck' }
  | { kind: 'moved' | 'left-isr'; state: PartitionState };

/**
 * Kafka's controlled-shutdown decision for one partition: a partition the broker leads moves to
 * the first replica, in assignment order, that is in the ISR and `eligible` (the broker leaves the
 * ISR, leader and partition epochs move); a partition it follows drops it from the ISR (the
 * partition epoch moves) so acks=all stops waiting for it. A partition without another eligible
 * in-sync replica keeps its leader; an offline partition keeps its last ISR.
 */
export function shutdownStep(state: PartitionState, brokerId: number, eligible: (id: number) => boolean): ShutdownStep {
  const isr = state.isr.filter((id) => id !== brokerId);
  if (state.leader === brokerId) {
    const next = state.replicas.find((id) => id !== brokerId && isr.includes(id) && eligible(id));
    if (next === undefined) return { kind: 'stuck' };
    return {
      kind: 'moved',
      state: { ...state, replicas: [...state.replicas], leader: next, leaderEpoch: state.leaderEpoch + 1, isr, partitionEpoch: state.partitionEpoch + 1 },
    };
  }
  if (state.leader < 0 || !state.isr.includes(brokerId)) return { kind: 'unchanged' };
  return { kind: 'left-isr', state: { ...state, replicas: [...state.replicas], isr, partitionEpoch: state.partitionEpoch + 1 } };
}

export interface ControlledShutdownOptions {
  client: Etcd3;
  view: ClusterView;
  clusterName: string;
  fence: () => string | undefined;
  shuttingDown: ShuttingDownBrokers;
  log?: Log;
}

/** Structurally the gRPC ControlledShutdownResponse. */
export interface ControlledShutdownResult {
  errorCode: number;
  errorMessage: string;
  remaining: { topic: string; partition: number }[];
  stuck: number;
}

/**
 * Serves one ControlledShutdown request: marks the broker as shutting down (it may no longer
 * join an ISR or be elected preferred leader), then applies shutdownStep to every partition it is
 * a replica of, each a fenced compare-and-set on the partition key read fresh from etcd (retried
 * on a concurrent change). Answers the partitions it still leads.
 */
export async function controlledShutdown(opts: ControlledShutdownOptions, brokerId: number): Promise<ControlledShutdownResult> {
  const log = opts.log ?? silentLog;
  const fail = (errorCode: number, errorMessage: string): ControlledShutdownResult => ({ errorCode, errorMessage, remaining: [], stuck: 0 });
  const { view } = opts;
  if (opts.fence() === undefined) return fail(ErrorCode.NOT_CONTROLLER, 'This controller is not the leader.');
  const epoch = view.brokerEpoch(brokerId);
  if (epoch === undefined) return fail(ErrorCode.STALE_BROKER_EPOCH, `Broker ${brokerId} is not registered.`);
  opts.shuttingDown.mark(brokerId, epoch);
  const remaining: { topic: string; partition: number }[] = [];
  let stuck = 0;
  let moved = 0;
  let leftIsr = 0;
  for (const { topic, partition, state: cached } of view.allPartitions()) {
    if (!cached.replicas.includes(brokerId)) continue;
    let change: { from: PartitionState; to: PartitionState } | undefined;
    const res = await casPartitionState(opts, topic, partition, (state, written): CasStep<ShutdownStep['kind']> => {
      const eligible = (id: number) =>
        replicaOnline(view.broker(id), topic, partition) && (view.brokerEpoch(id) ?? 0n) <= written && !opts.shuttingDown.has(id);
      const step = shutdownStep(state, brokerId, eligible);
      if (step.kind === 'unchanged' || step.kind === 'stuck') return { answer: step.kind };
      change = { from: state, to: step.state };
      return { write: step.state, answer: step.kind };
    });
    if (res.kind === 'not-controller') return fail(ErrorCode.NOT_CONTROLLER, 'This controller is no longer the leader.');
    if (res.kind === 'store-error') return fail(ErrorCode.REQUEST_TIMED_OUT, res.message);
    // Deleted meanwhile: nothing to do; still changing after every attempt: reported as remaining if it led.
    const outcome = res.kind === 'answered' ? res.answer : res.kind === 'unknown-partition' ? 'unchanged' : 'changing';
    if (res.kind === 'answered' && res.written && change) {
      log.info({ topic, partition, brokerId, reason: `controlled-shutdown-${outcome}`, ...change }, 'partition leadership/ISR changed');
    }
    if (outcome === 'moved') moved++;
    else if (outcome === 'left-isr') leftIsr++;
    else if (outcome === 'stuck' || (outcome === 'changing' && cached.leader === brokerId)) {
      remaining.push({ topic, partition });
      if (outcome === 'stuck') stuck++;
    }
  }
  log.info({ brokerId, moved, leftIsr, remaining: remaining.length, stuck }, 'controlled shutdown step');
  return { errorCode: ErrorCode.NONE, errorMessage: '', remaining, stuck };
}
