import { equals, filter, intersect, isSubset, minus, size, union, type Assignment } from '../assignment';
import { MemberState, type MemberAssignmentState } from './member';

/**
 * Moves one member towards its target assignment (Kafka's CurrentAssignmentBuilder), revoking
 * before assigning:
 *  - partitions it holds that the target no longer gives it are revoked first: it keeps the rest,
 *    stays in its epoch (UNREVOKED_PARTITIONS) and gets nothing new until its heartbeat's owned
 *    partitions show them released;
 *  - then it enters the target's epoch and gets the target's partitions no other member still
 *    holds; those still held elsewhere come later (UNRELEASED_PARTITIONS);
 *  - with all of them, it is STABLE.
 */
export interface ReconcileInput {
  member: MemberAssignmentState;
  targetEpoch: number;
  target: Assignment;
  /** The partitions the member's heartbeat says it owns; null when it did not say. */
  owned: Assignment | null;
  /** Whether another member holds the partition (assigned or pending its revocation). */
  heldElsewhere(topicId: string, partition: number): boolean;
}

export function reconcile(input: ReconcileInput): MemberAssignmentState {
  const { member, targetEpoch } = input;
  switch (member.state) {
    case MemberState.STABLE:
      if (member.memberEpoch === targetEpoch) return member;
      return next(input, union(member.assigned, member.pendingRevocation));
    case MemberState.UNREVOKED_PARTITIONS:
      // It cannot move on while it may still own a partition it must give up.
      if (input.owned === null || size(intersect(input.owned, member.pendingRevocation)) > 0) return member;
      return next(input, member.assigned);
    case MemberState.UNRELEASED_PARTITIONS:
      return next(input, member.assigned);
    default:
      return next(input, member.assigned);
  }
}

function next(input: ReconcileInput, current: Assignment): MemberAssignmentState {
  const { member, targetEpoch, target } = input;
  const kept = intersect(current, target);
  const revoke = minus(current, target);
  if (size(revoke) > 0) {
    return { memberEpoch: member.memberEpoch, previousMemberEpoch: member.previousMemberEpoch, state: MemberState.UNREVOKED_PARTITIONS, assigned: kept, pendingRevocation: revoke };
  }
  const wanted = minus(target, kept);
  const free = filter(wanted, (t, p) => !input.heldElsewhere(t, p));
  const assigned = union(kept, free);
  const state = equals(free, wanted) ? MemberState.STABLE : MemberState.UNRELEASED_PARTITIONS;
  const epochChanges = member.memberEpoch !== targetEpoch;
  const unchanged = !epochChanges && state === member.state && equals(assigned, member.assigned) && size(member.pendingRevocation) === 0;
  if (unchanged) return member;
  return {
    memberEpoch: targetEpoch,
    previousMemberEpoch: epochChanges ? member.memberEpoch : member.previousMemberEpoch,
    state,
    assigned,
    pendingRevocation: new Map(),
  };
}

/**
 * Kafka's member epoch check of a heartbeat: a newer epoch than the member's is fenced; an older
 * one is accepted only when it is the previous epoch and the member owns no more than its
 * assignment (the answer that moved it on was lost).
 */
export function epochIsValid(member: MemberAssignmentState, received: number, owned: Assignment | null): boolean {
  if (received === member.memberEpoch) return true;
  if (received > member.memberEpoch) return false;
  return received === member.previousMemberEpoch && owned !== null && isSubset(owned, member.assigned);
}
