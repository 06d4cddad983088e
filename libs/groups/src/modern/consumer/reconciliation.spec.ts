import { fromWire, toWire, type Assignment } from '../assignment';
import { MemberState, type MemberAssignmentState } from './member';
import { epochIsValid, reconcile } from './reconciliation';

const T = 't';
const a = (...ps: number[]): Assignment => fromWire([{ topicId: T, partitions: ps }]);
const state = (s: Partial<MemberAssignmentState>): MemberAssignmentState =>
  ({ memberEpoch: 3, previousMemberEpoch: 2, state: MemberState.STABLE, assigned: a(), pendingRevocation: a(), ...s });

describe('reconciliation', () => {
  it('revokes before it assigns: nothing new while a revocation is pending', () => {
    const r = reconcile({ member: state({ assigned: a(0, 1, 2) }), targetEpoch: 4, target: a(1, 2, 3), owned: a(0, 1, 2), heldElsewhere: () => false });
    expect(r.state).toBe(MemberState.UNREVOKED_PARTITIONS);
    expect(r.memberEpoch).toBe(3);
    expect(toWire(r.assigned)).toEqual([{ topicId: T, partitions: [1, 2] }]);
    expect(toWire(r.pendingRevocation)).toEqual([{ topicId: T, partitions: [0] }]);
    // Still owned: no progress. Null owned (the client did not say): no progress either.
    expect(reconcile({ member: r, targetEpoch: 4, target: a(1, 2, 3), owned: a(0, 1, 2), heldElsewhere: () => false })).toBe(r);
    expect(reconcile({ member: r, targetEpoch: 4, target: a(1, 2, 3), owned: null, heldElsewhere: () => false })).toBe(r);
    const next = reconcile({ member: r, targetEpoch: 4, target: a(1, 2, 3), owned: a(1, 2), heldElsewhere: () => false });
    expect(next).toMatchObject({ memberEpoch: 4, previousMemberEpoch: 3, state: MemberState.STABLE });
    expect(toWire(next.assigned)).toEqual([{ topicId: T, partitions: [1, 2, 3] }]);
  });

  it('waits for partitions other members still hold, in the new epoch', () => {
    const r = reconcile({ member: state({ assigned: a(0) }), targetEpoch: 4, target: a(0, 5), owned: a(0), heldElsewhere: (_t, p) => p === 5 });
    expect(r).toMatchObject({ memberEpoch: 4, state: MemberState.UNRELEASED_PARTITIONS });
    const later = reconcile({ member: r, targetEpoch: 4, target: a(0, 5), owned: a(0), heldElsewhere: () => false });
    expect(later).toMatchObject({ memberEpoch: 4, previousMemberEpoch: 3, state: MemberState.STABLE });
    expect(toWire(later.assigned)).toEqual([{ topicId: T, partitions: [0, 5] }]);
  });

  it('accepts the previous epoch only with no more than the assignment owned', () => {
    const m = state({ assigned: a(1, 2) });
    expect(epochIsValid(m, 3, null)).toBe(true);
    expect(epochIsValid(m, 4, a(1))).toBe(false);
    expect(epochIsValid(m, 2, a(1))).toBe(true);
    expect(epochIsValid(m, 2, a(1, 7))).toBe(false);
    expect(epochIsValid(m, 2, null)).toBe(false);
    expect(epochIsValid(m, 1, a())).toBe(false);
  });
});
