import type { PartitionState } from '@dms/cluster';
import { ErrorCode } from '@dms/kafka-errors';
import { cancelReassignment, completeReassignment, inProgress, keepReassignment, originalReplicas, startReassignment, targetReplicas, type ReassignFacts } from './reassignment';

const facts = (registered: number[], live = registered): ReassignFacts => ({ isRegistered: (id) => registered.includes(id), isLive: (id) => live.includes(id) });
const state = (over: Partial<PartitionState> = {}): PartitionState => ({ replicas: [1, 2, 3], leader: 1, leaderEpoch: 4, isr: [1, 2, 3], partitionEpoch: 10, ...over });

describe('startReassignment', () => {
  it('records target first, then the originals leaving, with adding and removing replicas', () => {
    const step = startReassignment(state(), [2, 3, 4], facts([1, 2, 3, 4]));
    expect(step).toEqual({ ok: true, state: { replicas: [2, 3, 4, 1], leader: 1, leaderEpoch: 4, isr: [1, 2, 3], partitionEpoch: 11, addingReplicas: [4], removingReplicas: [1] } });
    const s = (step as { state: PartitionState }).state;
    expect(inProgress(s)).toBe(true);
    expect(originalReplicas(s)).toEqual([2, 3, 1]); // the members, in the current order
    expect(targetReplicas(s)).toEqual([2, 3, 4]);
  });

  it('refuses empty, duplicate and unregistered replica lists with INVALID_REPLICA_ASSIGNMENT', () => {
    for (const target of [[], [2, 2, 3], [2, 3, 9], [-1, 2, 3]]) {
      const step = startReassignment(state(), target, facts([1, 2, 3, 4]));
      expect(step.ok).toBe(false);
      expect(step).toMatchObject({ errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT });
    }
    expect(startReassignment(state(), [2, 3, 9], facts([1, 2, 3, 4]))).toMatchObject({ errorMessage: expect.stringContaining('9') });
  });

  it('changes nothing when the target is the current assignment', () => {
    expect(startReassignment(state(), [1, 2, 3], facts([1, 2, 3]))).toEqual({ ok: true, state: undefined });
  });

  it('applies a pure reorder at once (nothing to copy)', () => {
    const step = startReassignment(state(), [3, 1, 2], facts([1, 2, 3]));
    expect(step).toEqual({ ok: true, state: { replicas: [3, 1, 2], leader: 1, leaderEpoch: 4, isr: [1, 2, 3], partitionEpoch: 11 } });
  });

  it('replacing a move keeps the original set and drops an adding replica the new target leaves out', () => {
    const moving = state({ replicas: [2, 3, 4, 1], isr: [1, 2, 3], addingReplicas: [4], removingReplicas: [1] });
    const step = startReassignment(moving, [2, 3, 5], facts([1, 2, 3, 4, 5]));
    expect(step).toEqual({ ok: true, state: { replicas: [2, 3, 5, 1], leader: 1, leaderEpoch: 4, isr: [1, 2, 3], partitionEpoch: 11, addingReplicas: [5], removingReplicas: [1] } });
  });

  it('a new target equal to the original set reverts like a cancel', () => {
    const moving = state({ replicas: [2, 3, 4, 1], isr: [1, 2, 3, 4], addingReplicas: [4], removingReplicas: [1] });
    const step = startReassignment(moving, [1, 2, 3], facts([1, 2, 3, 4]));
    expect(step).toEqual({ ok: true, state: { replicas: [1, 2, 3], leader: 1, leaderEpoch: 4, isr: [1, 2, 3], partitionEpoch: 11 } });
  });
});

describe('completeReassignment', () => {
  const moving = (over: Partial<PartitionState> = {}) => state({ replicas: [2, 3, 4, 1], addingReplicas: [4], removingReplicas: [1], ...over });

  it('waits while an adding replica is not in the ISR', () => {
    expect(completeReassignment(moving({ isr: [1, 2, 3] }), facts([1, 2, 3, 4]))).toBeUndefined();
  });

  it('completes once every adding replica is in sync: replicas = target, ISR ∩ target, leader moved off a removed broker', () => {
    const done = completeReassignment(moving({ isr: [1, 2, 3, 4] }), facts([1, 2, 3, 4]));
    expect(done).toEqual({ replicas: [2, 3, 4], leader: 2, leaderEpoch: 5, isr: [2, 3, 4], partitionEpoch: 11 });
  });

  it('keeps the leader and its epoch when the leader stays', () => {
    const done = completeReassignment(moving({ leader: 3, isr: [1, 2, 3, 4] }), facts([1, 2, 3, 4]));
    expect(done).toEqual({ replicas: [2, 3, 4], leader: 3, leaderEpoch: 4, isr: [2, 3, 4], partitionEpoch: 11 });
  });

  it('hands leadership to the first live in-sync target replica', () => {
    const done = completeReassignment(moving({ isr: [1, 2, 3, 4] }), facts([1, 2, 3, 4], [1, 3, 4]));
    expect(done).toMatchObject({ leader: 3, leaderEpoch: 5 });
  });

  it('nothing to complete without a move', () => {
    expect(completeReassignment(state(), facts([1, 2, 3]))).toBeUndefined();
  });
});

describe('cancelReassignment', () => {
  it('NO_REASSIGNMENT_IN_PROGRESS when none runs', () => {
    expect(cancelReassignment(state())).toMatchObject({ ok: false, errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS });
  });

  it('reverts to the original replicas, the adding ones out of replicas and ISR', () => {
    const moving = state({ replicas: [2, 3, 4, 1], isr: [1, 2, 3, 4], addingReplicas: [4], removingReplicas: [1] });
    expect(cancelReassignment(moving)).toEqual({ ok: true, state: { replicas: [2, 3, 1], leader: 1, leaderEpoch: 4, isr: [1, 2, 3], partitionEpoch: 11 } });
  });

  it('moves the leader back to an original replica when an adding one led', () => {
    const moving = state({ replicas: [4, 5, 1, 2], leader: 4, isr: [4, 5, 1], addingReplicas: [4, 5], removingReplicas: [2] });
    const step = cancelReassignment(moving);
    expect(step).toEqual({ ok: true, state: { replicas: [1, 2], leader: 1, leaderEpoch: 5, isr: [1], partitionEpoch: 11 } });
  });

  it('refuses when no original replica is in sync (nothing safe to go back to)', () => {
    const moving = state({ replicas: [4, 1], leader: 4, isr: [4], addingReplicas: [4], removingReplicas: [1] });
    expect(cancelReassignment(moving)).toMatchObject({ ok: false, errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT });
  });
});

describe('keepReassignment', () => {
  it('carries a move across an election that rebuilt the state', () => {
    const before = state({ replicas: [2, 3, 4, 1], addingReplicas: [4], removingReplicas: [1] });
    const elected = { replicas: [2, 3, 4, 1], leader: 2, leaderEpoch: 5, isr: [2, 3], partitionEpoch: 11 };
    expect(keepReassignment(before, elected)).toEqual({ ...elected, addingReplicas: [4], removingReplicas: [1] });
  });
});
