import { formatBalance } from './cluster-balance';

describe('dms cluster balance output', () => {
  it('says when no round ran yet', () => {
    expect(formatBalance({ status: null, reassignments: [], bytesLeft: 0 })).toContain('no round yet');
  });

  it('shows state, imbalance, moves and each broker', () => {
    const text = formatBalance({
      status: {
        updatedAtMs: 1_000, controllerId: 2, state: 'in_progress', reason: '1 moves running, 0 starting, 3 waiting', absentSince: {},
        inFlight: [{ topic: 't', partition: 4, target: [4, 1, 2], reason: 'topicReplicas', bytes: 5e6, startedAtMs: 900 }],
        pendingMoves: 3, pendingBytes: 15e6, movesCompleted: 7, bytesMoved: 35e6, imbalance: { replicas: 100, leaders: 50, disk: 100 },
        brokers: [{ id: 4, rack: 'r1', state: 'live', replicas: 1, leaders: 0, bytes: 0 }, { id: 3, rack: null, state: 'decommissioning', replicas: 9, leaders: 3, bytes: 45e6 }],
      },
      reassignments: [{ topic: 't', partition: 4, replicas: [4, 1, 2, 3], adding: [4], removing: [3] }],
      bytesLeft: 20e6,
    }, 4_000);
    expect(text).toContain('self-balancer: in_progress: 1 moves running, 0 starting, 3 waiting');
    expect(text).toContain('last round 3 s ago on controller 2');
    expect(text).toContain('imbalance: replicas 100%, leaders 50%, disk 100%, inbound 0%');
    expect(text).toContain('moves: 1 running, 3 planned next, 7 completed (35.0 MB moved), 20.0 MB left');
    expect(text).toMatch(/3 +- +decommissioning +9 +3 +45\.0 MB/);
    expect(text).toContain('moving t-4: replicas 4,1,2,3 adding 4 removing 3');
  });
});
