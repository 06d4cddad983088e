/** The partition fields election reads and writes (structurally the etcd PartitionState). */
export interface PartitionAssignmentState {
  replicas: number[];
  leader: number;
  leaderEpoch: number;
  isr: number[];
  partitionEpoch: number;
}

export interface BrokerFacts {
  /** Registered in etcd now (its lease is alive). */
  isLive(brokerId: number): boolean;
  /**
   * Registered anew after this partition state was written: the broker restarted (or lost and
   * re-created its session) since, so it may hold less than the state assumes. Kafka tracks this
   * as the broker epoch.
   */
  restartedSince(brokerId: number): boolean;
}

export interface ElectionOutcome {
  state: PartitionAssignmentState;
  reason: 'leader-elected' | 'unclean-leader-elected' | 'offline' | 'isr-shrunk';
}

const sameMembers = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x) => b.includes(x));

/**
 * The controller's decision for one partition given who is alive. A healthy leader keeps its
 * place and only dead (or restarted) followers leave the ISR. Otherwise the first replica, in
 * assignment order, that is in the ISR and alive leads (replicas that did not restart first);
 * with none, and `uncleanLeaderElection`, any live replica leads with an ISR of itself; else the
 * partition goes offline (leader -1) keeping its last ISR, so the first of those members to
 * return can take over cleanly. Leader changes bump leaderEpoch; every change bumps
 * partitionEpoch. Returns undefined when nothing changes.
 */
export function electPartition(state: PartitionAssignmentState, brokers: BrokerFacts, uncleanLeaderElection: boolean): ElectionOutcome | undefined {
  const fresh = (id: number) => brokers.isLive(id) && !brokers.restartedSince(id);
  if (state.leader >= 0 && fresh(state.leader)) {
    const isr = state.isr.filter(fresh);
    if (!isr.includes(state.leader)) isr.unshift(state.leader);
    if (sameMembers(isr, state.isr)) return undefined;
    return { reason: 'isr-shrunk', state: { ...state, replicas: [...state.replicas], isr, partitionEpoch: state.partitionEpoch + 1 } };
  }
  const inIsr = state.replicas.filter((id) => state.isr.includes(id) && brokers.isLive(id));
  const clean = inIsr.find(fresh) ?? inIsr[0];
  const unclean = uncleanLeaderElection ? (state.replicas.find(fresh) ?? state.replicas.find((id) => brokers.isLive(id))) : undefined;
  let leader: number;
  let reason: ElectionOutcome['reason'] = 'leader-elected';
  let isr: number[];
  if (clean !== undefined) {
    leader = clean;
    isr = state.isr.filter((id) => id === clean || fresh(id));
  } else if (unclean !== undefined) {
    leader = unclean;
    reason = 'unclean-leader-elected';
    isr = [unclean];
  } else {
    if (state.leader === -1) return undefined;
    // Offline: the epoch still moves so a leader that comes back without noticing is fenced.
    return {
      reason: 'offline',
      state: { ...state, replicas: [...state.replicas], isr: [...state.isr], leader: -1, leaderEpoch: state.leaderEpoch + 1, partitionEpoch: state.partitionEpoch + 1 },
    };
  }
  return {
    reason,
    state: { replicas: [...state.replicas], leader, leaderEpoch: state.leaderEpoch + 1, isr, partitionEpoch: state.partitionEpoch + 1 },
  };
}
