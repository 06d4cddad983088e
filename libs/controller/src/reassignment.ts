import type { PartitionState } from '@dms/cluster';
import { ErrorCode } from '@dms/kafka-errors';

/**
 * Partition reassignment (Kafka's KIP-455) as pure state transitions; reassign-partitions.ts
 * writes them to etcd and the reconciler completes them. During a move `replicas` is the target
 * followed by the original replicas not in it, `addingReplicas` = target − original and
 * `removingReplicas` = original − target. Every transition bumps the partition epoch (the leader
 * learns the new replica set from it) and a leader change bumps the leader epoch.
 */

export type ReassignStep = { ok: true; state: PartitionState } | { ok: false; errorCode: number; errorMessage: string };

export interface ReassignFacts {
  /** Whether a broker is registered (live) now. */
  isRegistered(id: number): boolean;
  /** Whether a broker may hold an in-sync replica of this partition now (registered, log dir online). */
  isLive(id: number): boolean;
}

const refuse = (errorCode: number, errorMessage: string): ReassignStep => ({ ok: false, errorCode, errorMessage });

export function inProgress(state: PartitionState): boolean {
  return (state.addingReplicas?.length ?? 0) > 0 || (state.removingReplicas?.length ?? 0) > 0;
}

/** The replica set before the move started (the current one when no move runs). */
export function originalReplicas(state: PartitionState): number[] {
  const adding = new Set(state.addingReplicas ?? []);
  return state.replicas.filter((id) => !adding.has(id));
}

/** The replica set the move goes to (the current one when no move runs). */
export function targetReplicas(state: PartitionState): number[] {
  const removing = new Set(state.removingReplicas ?? []);
  return state.replicas.filter((id) => !removing.has(id));
}

/** Kafka's checks of a requested replica list: non-empty, no duplicates, registered brokers only. */
export function validateTarget(target: readonly number[], facts: ReassignFacts): string | undefined {
  if (target.length === 0) return 'The manual partition assignment includes an empty replica list.';
  if (new Set(target).size !== target.length) return `The manual partition assignment includes duplicate replicas: ${target.join(',')}.`;
  const unknown = target.filter((id) => !Number.isInteger(id) || id < 0 || !facts.isRegistered(id));
  if (unknown.length > 0) return `The manual partition assignment includes broker(s) ${unknown.join(',')}, but no such broker is registered.`;
  return undefined;
}

/**
 * A new target for a partition (a move in progress is replaced: its original set stays the
 * original). A target equal to the original ends any move, as a cancel does; a target equal to
 * the current replicas with no move in progress changes nothing (answered as success).
 */
export function startReassignment(state: PartitionState, target: readonly number[], facts: ReassignFacts): ReassignStep | { ok: true; state: undefined } {
  const invalid = validateTarget(target, facts);
  if (invalid) return refuse(ErrorCode.INVALID_REPLICA_ASSIGNMENT, invalid);
  const original = originalReplicas(state);
  if (sameOrder(target, original) && !inProgress(state)) return { ok: true, state: undefined };
  // The original members (in any order) while a move runs: back to them, in the order asked.
  if (inProgress(state) && target.length === original.length && target.every((id) => original.includes(id))) return revertTo(state, [...target]);
  const adding = target.filter((id) => !original.includes(id));
  const removing = original.filter((id) => !target.includes(id));
  const replicas = [...target, ...removing];
  // Replicas added by a replaced target that the new one drops leave the ISR at once.
  const isr = state.isr.filter((id) => replicas.includes(id));
  const next: PartitionState = { ...bare(state), replicas, isr, partitionEpoch: state.partitionEpoch + 1 };
  if (adding.length > 0) next.addingReplicas = adding;
  if (removing.length > 0) next.removingReplicas = removing;
  // Only a reorder (same members): nothing to copy, the move is complete at once.
  if (adding.length === 0 && removing.length === 0) return { ok: true, state: { ...bare(state), replicas: [...target], isr, partitionEpoch: state.partitionEpoch + 1 } };
  // Every new replica already in sync (a replaced target kept them): complete now.
  return { ok: true, state: completeReassignment(next, facts) ?? next };
}

/**
 * Kafka's cancel (null replicas): back to the original replicas, the adding ones removed. As in
 * Kafka's controller the order is the current one without the adding replicas (the original
 * order is not kept); an explicit target of the original replicas restores an order.
 */
export function cancelReassignment(state: PartitionState): ReassignStep {
  if (!inProgress(state)) return refuse(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, 'No reassignment is in progress for this partition.');
  return revertTo(state, originalReplicas(state));
}

function revertTo(state: PartitionState, original: number[]): ReassignStep {
  const isr = state.isr.filter((id) => original.includes(id));
  if (isr.length === 0) {
    return refuse(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Cannot revert: none of the original replicas is in sync; wait for the move to complete.');
  }
  return { ok: true, state: withReplicas(state, original, isr, (id) => isr.includes(id)) };
}

/**
 * Kafka's completion rule: every adding replica is in the ISR and the ISR keeps a target
 * replica. Then replicas = target, ISR = ISR ∩ target, and a leader being removed hands over to
 * the first target replica in that ISR that is live (a new leader epoch). undefined when the move
 * cannot complete yet (or none runs).
 */
export function completeReassignment(state: PartitionState, facts: ReassignFacts): PartitionState | undefined {
  if (!inProgress(state)) return undefined;
  if (!(state.addingReplicas ?? []).every((id) => state.isr.includes(id))) return undefined;
  const target = targetReplicas(state);
  const isr = state.isr.filter((id) => target.includes(id));
  if (isr.length === 0) return undefined;
  const leaderStays = target.includes(state.leader);
  if (!leaderStays && !target.some((id) => isr.includes(id) && facts.isLive(id))) return undefined;
  return withReplicas(state, target, isr, (id) => isr.includes(id) && facts.isLive(id));
}

function withReplicas(state: PartitionState, replicas: number[], isr: number[], canLead: (id: number) => boolean): PartitionState {
  const next: PartitionState = { ...bare(state), replicas: [...replicas], isr, partitionEpoch: state.partitionEpoch + 1 };
  if (replicas.includes(state.leader) || state.leader < 0) return next;
  const leader = replicas.find(canLead) ?? -1;
  return { ...next, leader, leaderEpoch: state.leaderEpoch + 1 };
}

/** The state without reassignment fields. */
function bare(state: PartitionState): PartitionState {
  return { replicas: [...state.replicas], leader: state.leader, leaderEpoch: state.leaderEpoch, isr: [...state.isr], partitionEpoch: state.partitionEpoch };
}

/** Keeps a move's fields across a state computed by code that does not know them (elections). */
export function keepReassignment(before: PartitionState, after: PartitionState): PartitionState {
  const out = bare(after);
  if (before.addingReplicas?.length) out.addingReplicas = [...before.addingReplicas];
  if (before.removingReplicas?.length) out.removingReplicas = [...before.removingReplicas];
  return out;
}

function sameOrder(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, i) => b[i] === id);
}
