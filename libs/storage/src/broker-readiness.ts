// When a storage broker may take traffic (its /readyz): Kubernetes moves on to the next broker of a
// rolling restart, and a PodDisruptionBudget counts it as available, only once this holds.
import type { PartitionState } from '@dms/cluster';
import type { Readiness } from '@dms/platform';

export interface BrokerReadinessInput {
  brokerId: number;
  /** start() has finished: logs recovered, gRPC bound, fetchers running. */
  started: boolean;
  /** The etcd session is alive and etcd shows this process's registration. */
  registered: boolean;
  /** Every partition in etcd. */
  partitions: ReadonlyArray<{ topic: string; partition: number; state: PartitionState }>;
  /** Whether a broker is registered (a follower cannot catch up with a leader that is gone). */
  brokerAlive: (id: number) => boolean;
  offlineLogDirs: readonly string[];
}

/** How many lagging partitions are named before "and N more". */
const NAMED = 10;

/**
 * Ready when registered, with every log dir online and in the ISR of every partition it is a
 * replica of whose leader is alive. A partition without a live leader cannot be caught up with,
 * so it does not hold the broker back (the controller's election is what it waits for).
 */
export function brokerReadiness(input: BrokerReadinessInput): Readiness {
  const reasons: string[] = [];
  if (!input.started) reasons.push('starting: recovering logs and joining the cluster');
  else if (!input.registered) reasons.push(`broker ${input.brokerId} is not registered in etcd (session lost or not yet granted)`);
  for (const dir of input.offlineLogDirs) reasons.push(`log dir ${dir} is offline`);
  if (input.started) {
    const lagging: string[] = [];
    for (const { topic, partition, state } of input.partitions) {
      if (!state.replicas.includes(input.brokerId) || state.isr.includes(input.brokerId)) continue;
      if (state.leader < 0 || state.leader === input.brokerId || !input.brokerAlive(state.leader)) continue;
      lagging.push(`${topic}-${partition}`);
    }
    if (lagging.length > 0) {
      const named = lagging.slice(0, NAMED).join(', ');
      const more = lagging.length > NAMED ? ` and ${lagging.length - NAMED} more` : '';
      reasons.push(`not in the ISR of ${lagging.length} partition(s) it follows (catching up): ${named}${more}`);
    }
  }
  return { ready: reasons.length === 0, reasons };
}
