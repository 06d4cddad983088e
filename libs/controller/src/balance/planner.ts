import type { PartitionState } from '@dms/cluster';
import { inProgress, targetReplicas } from '../reassignment';
import { compareDelta, GOALS, improves, LoadModel, type Goal, type Thresholds } from './load-model';

/**
 * The self-balancer's planner: a pure function from the cluster's state to the partition moves
 * that bring it closer to balance. In priority order:
 *
 * 1. Drain: every replica on a broker being decommissioned, or absent longer than the
 *    availability timeout, is replaced in place (same position, so the preferred leader spreads as
 *    before) by a live, uncordoned broker, rack-aware (a rack the partition lacks first).
 * 0. Cancel: a move the self-balancer started whose new replica lands on a broker that no longer
 *    takes replicas (cordoned, being decommissioned, absent past the timeout) is cancelled, so a
 *    drain never copies a replica onto the broker it empties and then off it again.
 * 2. Balance, only when nothing is under-replicated, offline or on an absent broker and nothing
 *    is being drained: greedy moves, each lowering the first goal it changes, in the order of
 *    GOALS (per-topic replica counts, replica counts, disk bytes, inbound bytes per second,
 *    per-topic preferred leaders, preferred leaders), never reducing the racks a partition spans. Leaders are balanced by
 *    reordering replicas (a reorder copies nothing; the preferred-leader election then moves
 *    leadership), so the preferred-leader rebalancer agrees with the plan instead of undoing it.
 *
 * Copies are bounded by `maxConcurrentMoves` minus the moves already running (any reassignment,
 * the operator's too); partitions with a move running are never touched. A copy moves a replica
 * only of a partition whose whole replica set is in the ISR, and the reassignment adds before it
 * removes, so no partition goes below its ISR size (and so never below min.insync.replicas).
 */

export interface PlannerBroker {
  id: number;
  rack: string | null;
  registered: boolean;
  cordoned: boolean;
  decommissioning: boolean;
  /** How long it has been unregistered (0 while registered). */
  absentForMs: number;
}

export interface PlannerPartition {
  topic: string;
  partition: number;
  state: PartitionState;
  /** Log bytes of the partition (its largest replica as reported), 0 when unknown. */
  bytes: number;
  /** Bytes per second produced to the partition (its leader's measured rate), 0 when unknown. */
  bytesIn?: number;
  /** Its reassignment in progress was started by the self-balancer (may be cancelled by it). */
  balancerMove?: boolean;
}

export interface PlannerSettings {
  /** auto.balance.enable: balance and repair; decommissions run either way. */
  enable: boolean;
  thresholds: Thresholds;
  maxConcurrentMoves: number;
  availabilityTimeoutMs: number;
  /** Upper bound on candidate evaluations per plan (keeps a huge cluster's round short). */
  maxEvaluations?: number;
}

export type MoveReason = 'decommission' | 'unavailable' | Goal;

export interface PlannedMove {
  topic: string;
  partition: number;
  from: number[];
  to: number[];
  reason: MoveReason;
  /** Bytes to copy: partition bytes × new replicas (0 for a reorder). */
  bytes: number;
  /** False for a reorder of the same replicas (nothing copied, completes at once). */
  copy: boolean;
}

/** A self-balancer move to cancel (reassignment cancel: back to `to`, the original replicas). */
export interface PlannedCancel {
  topic: string;
  partition: number;
  /** The replicas now (original plus adding). */
  from: number[];
  /** The original replicas the cancel returns to. */
  to: number[];
  reason: string;
}

export type BrokerState = 'live' | 'cordoned' | 'decommissioning' | 'unavailable' | 'removed';

export interface BrokerLoadRow {
  id: number;
  rack: string | null;
  state: BrokerState;
  replicas: number;
  leaders: number;
  bytes: number;
  /** Inbound bytes per second (bytes-in of the partitions it holds a replica of). */
  bytesIn: number;
}

export interface BalancePlan {
  state: 'off' | 'ready' | 'in_progress' | 'paused' | 'stalled';
  reason: string;
  /** Moves to start now (within the concurrency budget). */
  moves: PlannedMove[];
  /** Further moves the plan wants once room frees up (for visibility; recomputed next round). */
  pending: PlannedMove[];
  inFlight: number;
  /** Self-balancer moves to cancel first (their new replica is on a broker that takes none now). */
  cancels: PlannedCancel[];
  /** Partitions a drain cannot move, with why. */
  stalled: string[];
  brokers: BrokerLoadRow[];
  imbalance: { replicas: number; leaders: number; disk: number; networkIn: number };
}

/** Drain moves listed beyond the budget (all of them, up to this), and balance moves planned ahead. */
const MAX_PENDING = 500;
const MAX_BALANCE_AHEAD = 20;

const tp = (p: { topic: string; partition: number }) => `${p.topic}-${p.partition}`;

export function brokerState(b: PlannerBroker, settings: Pick<PlannerSettings, 'enable' | 'availabilityTimeoutMs'>): BrokerState {
  if (b.decommissioning) return 'decommissioning';
  if (!b.registered) return settings.enable && b.absentForMs >= settings.availabilityTimeoutMs ? 'removed' : 'unavailable';
  return b.cordoned ? 'cordoned' : 'live';
}

/** Rack of a broker for spreading; a broker without a rack counts as a rack of its own. */
const rackOf = (brokers: ReadonlyMap<number, PlannerBroker>, id: number): string => brokers.get(id)?.rack ?? `#${id}`;

export function planBalance(brokerList: readonly PlannerBroker[], partitions: readonly PlannerPartition[], settings: PlannerSettings): BalancePlan {
  const brokers = new Map(brokerList.map((b) => [b.id, b]));
  const states = new Map(brokerList.map((b) => [b.id, brokerState(b, settings)]));
  // Brokers named by a partition but unknown otherwise are absent for an unknown time: unavailable.
  for (const p of partitions) for (const id of p.state.replicas) if (!states.has(id)) states.set(id, 'unavailable');
  const drainState = (id: number) => states.get(id) === 'decommissioning' || states.get(id) === 'removed';
  const targets = [...states].filter(([, s]) => s === 'live').map(([id]) => id).sort((a, b) => a - b);
  const model = new LoadModel(targets, settings.thresholds);
  const sorted = [...partitions].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  for (const p of sorted) model.apply(p.topic, targetReplicas(p.state), p.bytes, 1, p.bytesIn ?? 0);
  const imbalance = model.imbalance();

  // 0. Cancel the balancer's own moves onto brokers that take no replicas now.
  const cancels: PlannedCancel[] = [];
  for (const p of sorted) {
    if (!p.balancerMove || !inProgress(p.state)) continue;
    const onto = (p.state.addingReplicas ?? []).filter((id) => { const s = states.get(id); return s === 'cordoned' || s === 'decommissioning' || s === 'removed'; });
    if (onto.length === 0) continue;
    const to = p.state.replicas.filter((id) => !(p.state.addingReplicas ?? []).includes(id));
    cancels.push({ topic: p.topic, partition: p.partition, from: [...p.state.replicas], to, reason: `broker ${onto.join(',')} is ${states.get(onto[0]!)}` });
  }

  const inFlight = sorted.filter((p) => inProgress(p.state)).length;
  let budget = Math.max(0, settings.maxConcurrentMoves - inFlight);
  const moves: PlannedMove[] = [];
  const pending: PlannedMove[] = [];
  const stalled: string[] = [];
  const take = (m: PlannedMove) => {
    if (!m.copy) {
      // A reorder copies nothing and completes at once; bounded separately by the same number.
      if (moves.filter((x) => !x.copy).length < settings.maxConcurrentMoves) moves.push(m);
      else pending.push(m);
      return;
    }
    if (budget > 0) {
      budget--;
      moves.push(m);
    } else if (pending.length < MAX_PENDING) pending.push(m);
  };

  // 1. Drain.
  for (const p of sorted) {
    if (inProgress(p.state) || !p.state.replicas.some(drainState)) continue;
    if (p.state.leader < 0) {
      stalled.push(`${tp(p)} is offline (no leader to copy from)`);
      continue;
    }
    const to = [...p.state.replicas];
    let reason: MoveReason = 'unavailable';
    let failed = false;
    for (let i = 0; i < to.length; i++) {
      const id = to[i]!;
      if (!drainState(id)) continue;
      if (states.get(id) === 'decommissioning') reason = 'decommission';
      const kept = to.filter((x) => x !== id);
      const keptRacks = kept.map((x) => rackOf(brokers, x));
      let best: { id: number; rackPenalty: number; delta: Record<Goal, number> } | undefined;
      for (const b of targets) {
        if (to.includes(b)) continue;
        const rackPenalty = keptRacks.filter((r) => r === rackOf(brokers, b)).length;
        const cand = [...to];
        cand[i] = b;
        const delta = deltaOf(model, p, to, cand);
        if (!best || rackPenalty < best.rackPenalty || (rackPenalty === best.rackPenalty && compareDelta(delta, best.delta) < 0)) best = { id: b, rackPenalty, delta };
      }
      if (!best) {
        stalled.push(`${tp(p)}: no live uncordoned broker outside its replicas can take the replica on broker ${id} (${targets.length} brokers take replicas, replication factor ${p.state.replicas.length})`);
        failed = true;
        break;
      }
      to[i] = best.id;
    }
    if (failed) continue;
    model.apply(p.topic, p.state.replicas, p.bytes, -1, p.bytesIn ?? 0);
    model.apply(p.topic, to, p.bytes, 1, p.bytesIn ?? 0);
    take({ topic: p.topic, partition: p.partition, from: [...p.state.replicas], to, reason, bytes: p.bytes * to.filter((id) => !p.state.replicas.includes(id)).length, copy: true });
  }
  const draining = moves.length + pending.length > 0 || stalled.length > 0 || cancels.length > 0;

  // 2. Balance.
  let pause = '';
  if (!settings.enable) pause = 'auto.balance.enable is false';
  else if (draining) pause = 'draining brokers first';
  else pause = pauseReason(sorted, states);
  if (!pause) balance(model, sorted, brokers, states, settings, take);

  const rows: BrokerLoadRow[] = [...states].sort(([a], [b]) => a - b).map(([id, state]) => {
    let replicas = 0;
    let leaders = 0;
    let bytes = 0;
    let bytesIn = 0;
    for (const p of sorted) {
      const t = targetReplicas(p.state);
      if (!t.includes(id)) continue;
      replicas++;
      if (t[0] === id) leaders++;
      bytes += p.bytes;
      bytesIn += p.bytesIn ?? 0;
    }
    return { id, rack: brokers.get(id)?.rack ?? null, state, replicas, leaders, bytes, bytesIn: Math.round(bytesIn) };
  });
  const decommissions = brokerList.some((b) => b.decommissioning);
  let state: BalancePlan['state'];
  let reason: string;
  if (!settings.enable && (!decommissions || moves.length + pending.length + stalled.length === 0) && inFlight === 0) [state, reason] = ['off', 'auto.balance.enable is false'];
  else if (cancels.length > 0) [state, reason] = ['in_progress', `cancelling ${cancels.length} balance moves onto brokers that take no replicas now (${cancels[0]!.reason}), ${moves.length} starting`];
  else if (stalled.length > 0 && moves.length === 0 && inFlight === 0) [state, reason] = ['stalled', stalled[0]!];
  else if (moves.length > 0 || pending.length > 0 || inFlight > 0) [state, reason] = ['in_progress', `${inFlight} moves running, ${moves.length} starting, ${pending.length} waiting`];
  else if (pause && settings.enable) [state, reason] = ['paused', pause];
  else [state, reason] = ['ready', 'balanced within the thresholds'];
  return { state, reason, moves, pending, inFlight, cancels, stalled, brokers: rows, imbalance };
}

/** Why balancing waits: a partition under-replicated, offline, or with a replica on an absent broker. */
function pauseReason(partitions: readonly PlannerPartition[], states: ReadonlyMap<number, BrokerState>): string {
  for (const p of partitions) {
    if (inProgress(p.state)) continue;
    const absent = p.state.replicas.find((id) => states.get(id) === 'unavailable');
    if (absent !== undefined) return `broker ${absent} is unavailable (${tp(p)} has a replica on it)`;
    if (p.state.leader < 0) return `${tp(p)} is offline`;
    if (p.state.replicas.some((id) => !p.state.isr.includes(id))) return `${tp(p)} is under-replicated`;
  }
  return '';
}

function deltaOf(model: LoadModel, p: PlannerPartition, from: readonly number[], to: readonly number[]): Record<Goal, number> {
  const affected = [...new Set([...from, ...to])];
  const bytesIn = p.bytesIn ?? 0;
  const before = model.excess(p.topic, affected);
  model.apply(p.topic, from, p.bytes, -1, bytesIn);
  model.apply(p.topic, to, p.bytes, 1, bytesIn);
  const after = model.excess(p.topic, affected);
  model.apply(p.topic, to, p.bytes, -1, bytesIn);
  model.apply(p.topic, from, p.bytes, 1, bytesIn);
  const out = {} as Record<Goal, number>;
  for (const g of GOALS) out[g] = after[g] - before[g];
  return out;
}

function balance(
  model: LoadModel,
  partitions: readonly PlannerPartition[],
  brokers: ReadonlyMap<number, PlannerBroker>,
  states: ReadonlyMap<number, BrokerState>,
  settings: PlannerSettings,
  take: (m: PlannedMove) => void,
): void {
  const eligible = partitions.filter(
    (p) => !inProgress(p.state) && p.state.leader >= 0 && p.state.replicas.every((id) => p.state.isr.includes(id) && states.get(id) !== undefined && states.get(id) !== 'unavailable'),
  );
  const moved = new Set<string>();
  let evaluations = 0;
  const maxEvaluations = settings.maxEvaluations ?? 2_000_000;
  const limit = settings.maxConcurrentMoves + MAX_BALANCE_AHEAD;
  for (let n = 0; n < limit && evaluations < maxEvaluations; n++) {
    type Candidate = { p: PlannerPartition; i: number; b: number; delta: Record<Goal, number>; copies: boolean };
    let best: Candidate | undefined;
    const bandsOf = new Map<string, ReturnType<LoadModel['bands']>>();
    const consider = (p: PlannerPartition, i: number, b: number, copies: boolean, from: number, onto: number, leaders: number) => {
      evaluations++;
      let bands = bandsOf.get(p.topic);
      if (!bands) bandsOf.set(p.topic, (bands = model.bands(p.topic)));
      const delta = model.shiftDelta(p.topic, bands, from, onto, { replicas: copies ? 1 : 0, leaders, bytes: copies ? p.bytes : 0, bytesIn: copies ? p.bytesIn ?? 0 : 0 });
      if (!improves(delta)) return;
      const cmp = best ? compareDelta(delta, best.delta) : -1;
      // Equal gains: a reorder (nothing copied) over a copy, then the smaller partition.
      if (cmp < 0 || (cmp === 0 && best && (Number(copies) - Number(best.copies) || p.bytes - best.p.bytes) < 0)) best = { p, i, b, delta, copies };
    };
    // A copy lowers an excess only from a broker above a band or to one below; a reorder only
    // when some leader count is off. Computed once per topic per step.
    const outliers = new Map<string, ReturnType<LoadModel['outliers']>>();
    for (const p of eligible) {
      if (evaluations >= maxEvaluations) break;
      if (moved.has(tp(p))) continue;
      let o = outliers.get(p.topic);
      if (!o) outliers.set(p.topic, (o = model.outliers(p.topic)));
      if (o.over.size === 0 && o.under.size === 0) continue;
      const replicas = p.state.replicas;
      const racks = replicas.map((id) => rackOf(brokers, id));
      for (let i = 0; i < replicas.length; i++) {
        const a = replicas[i]!;
        if (!model.has(a)) continue;
        // Taking `a` away loses its rack when no other replica shares it; `b` must then bring a new one.
        const losesRack = racks.filter((r) => r === racks[i]).length === 1;
        for (const b of model.brokers) {
          if (replicas.includes(b) || !(o.over.has(a) || o.under.has(b))) continue;
          if (losesRack) {
            const rb = rackOf(brokers, b);
            if (rb !== racks[i] && racks.some((r, j) => j !== i && r === rb)) continue;
          }
          consider(p, i, b, true, a, b, i === 0 ? 1 : 0);
        }
        if (i > 0 && o.leadersOff && p.state.isr.includes(a)) consider(p, i, a, false, replicas[0]!, a, 1);
      }
    }
    if (!best) return;
    const chosen: Candidate = best;
    const { p, i, b, copies } = chosen;
    const to = copies ? p.state.replicas.map((id, j) => (j === i ? b : id)) : [b, ...p.state.replicas.filter((_, j) => j !== i)];
    model.apply(p.topic, p.state.replicas, p.bytes, -1, p.bytesIn ?? 0);
    model.apply(p.topic, to, p.bytes, 1, p.bytesIn ?? 0);
    moved.add(tp(p));
    const goal = GOALS.find((g) => chosen.delta[g] !== 0) ?? 'replicas';
    take({ topic: p.topic, partition: p.partition, from: [...p.state.replicas], to, reason: goal, bytes: copies ? p.bytes : 0, copy: copies });
  }
}
