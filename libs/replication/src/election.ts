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

/** An election an operator (or the auto rebalancer) asked for: Kafka's ElectLeaders types. */
export type RequestedElection = 'preferred' | 'unclean';

export type RequestedElectionOutcome =
  | { ok: true; state: PartitionAssignmentState }
  | { ok: false; reason: 'not-needed' | 'preferred-unavailable' | 'no-eligible-leader' };

/**
 * Kafka's on-demand elections. Preferred: the first assigned replica takes over when it is alive
 * and in the ISR (it has everything acknowledged, so nothing is lost); the ISR stays. Unclean:
 * only for a partition without a live leader, the first live ISR member, else the first live
 * replica with an ISR of itself (may lose acknowledged records: the operator asked for it).
 * Both bump leaderEpoch and partitionEpoch, so the old leader is fenced.
 */
export function electRequested(state: PartitionAssignmentState, brokers: BrokerFacts, type: RequestedElection): RequestedElectionOutcome {
  const fresh = (id: number) => brokers.isLive(id) && !brokers.restartedSince(id);
  const next = (leader: number, isr: number[]): RequestedElectionOutcome => ({
    ok: true,
    state: { replicas: [...state.replicas], leader, leaderEpoch: state.leaderEpoch + 1, isr, partitionEpoch: state.partitionEpoch + 1 },
  });
  if (type === 'preferred') {
    const preferred = state.replicas[0];
    if (preferred === undefined) return { ok: false, reason: 'preferred-unavailable' };
    if (state.leader === preferred) return { ok: false, reason: 'not-needed' };
    if (!state.isr.includes(preferred) || !fresh(preferred)) return { ok: false, reason: 'preferred-unavailable' };
    return next(preferred, [...state.isr]);
  }
  if (state.leader >= 0 && brokers.isLive(state.leader)) return { ok: false, reason: 'not-needed' };
  const clean = state.replicas.find((id) => state.isr.includes(id) && fresh(id));
  if (clean !== undefined) return next(clean, state.isr.filter((id) => id === clean || fresh(id)));
  const any = state.replicas.find(fresh) ?? state.replicas.find((id) => brokers.isLive(id));
  if (any !== undefined) return next(any, [any]);
  return { ok: false, reason: 'no-eligible-leader' };
}

/**
 * Kafka's auto leader rebalance check: per preferred broker, the share of its partitions led by
 * someone else; over `imbalancePercentage` percent, those whose preferred replica could lead now
 * are returned for a preferred election. `facts` gives the broker facts for one partition (whether
 * a broker restarted depends on when that partition's state was written).
 */
export function rebalanceCandidates<T extends { state: PartitionAssignmentState }>(
  parts: readonly T[],
  facts: (part: T) => BrokerFacts,
  imbalancePercentage: number,
): T[] {
  const byPreferred = new Map<number, T[]>();
  for (const p of parts) {
    const preferred = p.state.replicas[0];
    if (preferred === undefined) continue;
    const list = byPreferred.get(preferred) ?? [];
    list.push(p);
    byPreferred.set(preferred, list);
  }
  const out: T[] = [];
  for (const [preferred, list] of byPreferred) {
    const notLed = list.filter((p) => p.state.leader !== preferred);
    if (notLed.length === 0 || (notLed.length / list.length) * 100 <= imbalancePercentage) continue;
    for (const p of notLed) if (electRequested(p.state, facts(p), 'preferred').ok) out.push(p);
  }
  return out;
}
