import { ErrorCode } from '@dms/kafka-errors';
import { GroupCoordinator } from './coordinator';
import { groupPartition } from './placement';
import { MemoryLog } from './testing/memory-log';
import type { JoinGroupInput, JoinGroupResult } from './types';

const N = 4;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function coordinator(log = new MemoryLog(), config = {}) {
  const c = new GroupCoordinator({
    log,
    numPartitions: () => N,
    config: { initialRebalanceDelayMs: 30, minSessionTimeoutMs: 10, ...config },
  });
  for (let p = 0; p < N; p++) await c.loadPartition(p, 0, log.read(p));
  return { c, log };
}

const join = (groupId: string, memberId = '', extra: Partial<JoinGroupInput> = {}): JoinGroupInput => ({
  groupId,
  memberId,
  clientId: 'client',
  clientHost: '/127.0.0.1',
  sessionTimeoutMs: 200,
  rebalanceTimeoutMs: 400,
  protocolType: 'consumer',
  protocols: [{ name: 'range', metadata: Buffer.from('sub') }],
  requireKnownMemberId: true,
  ...extra,
});

/** A v4+ first join: MEMBER_ID_REQUIRED, then the join with the assigned id. */
async function joinNew(c: GroupCoordinator, groupId: string, extra: Partial<JoinGroupInput> = {}) {
  const first = await c.joinGroup(join(groupId, '', extra));
  expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  expect(first.memberId).not.toBe('');
  return { memberId: first.memberId, joined: c.joinGroup(join(groupId, first.memberId, extra)) };
}

async function syncAll(c: GroupCoordinator, groupId: string, results: JoinGroupResult[]) {
  const leader = results.find((r) => r.memberId === r.leader)!;
  return Promise.all(results.map((r) => c.syncGroup({
    groupId,
    generationId: r.generationId,
    memberId: r.memberId,
    assignments: r === leader ? leader.members.map((m) => ({ memberId: m.memberId, assignment: Buffer.from(`a-${m.memberId}`) })) : [],
  })));
}

describe('GroupCoordinator', () => {
  let c: GroupCoordinator;
  afterEach(() => c?.close());

  it('needs a member id on v4+, then forms a generation with one leader who gets the members', async () => {
    ({ c } = await coordinator());
    const a = await joinNew(c, 'g1');
    const b = await joinNew(c, 'g1');
    const [ra, rb] = await Promise.all([a.joined, b.joined]);
    expect(ra.errorCode).toBe(0);
    expect(rb.errorCode).toBe(0);
    expect(ra.generationId).toBe(1);
    expect(ra.leader).toBe(rb.leader);
    expect(ra.protocolName).toBe('range');
    const leader = ra.memberId === ra.leader ? ra : rb;
    const follower = leader === ra ? rb : ra;
    expect(leader.members.map((m) => m.memberId).sort()).toEqual([a.memberId, b.memberId].sort());
    expect(follower.members).toEqual([]);
    const synced = await syncAll(c, 'g1', [ra, rb]);
    expect(synced.map((s) => s.assignment.toString())).toEqual([`a-${ra.memberId}`, `a-${rb.memberId}`]);
    expect(c.groupState('g1')).toBe('Stable');
    expect(c.heartbeat({ groupId: 'g1', generationId: 1, memberId: ra.memberId }).errorCode).toBe(0);
    expect(c.heartbeat({ groupId: 'g1', generationId: 0, memberId: ra.memberId }).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(c.heartbeat({ groupId: 'g1', generationId: 1, memberId: 'nobody' }).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('gives a v0-v3 first join a member id directly', async () => {
    ({ c } = await coordinator());
    const r = await c.joinGroup(join('old', '', { requireKnownMemberId: false }));
    expect(r.errorCode).toBe(0);
    expect(r.memberId).toMatch(/^client-/);
    expect(r.leader).toBe(r.memberId);
    expect(r.members).toHaveLength(1);
  });

  it('rebalances when a member joins: others see REBALANCE_IN_PROGRESS and rejoin', async () => {
    ({ c } = await coordinator());
    const a = await joinNew(c, 'g2');
    const ra = await a.joined;
    await syncAll(c, 'g2', [ra]);
    const b = await joinNew(c, 'g2');
    expect(c.heartbeat({ groupId: 'g2', generationId: ra.generationId, memberId: ra.memberId }).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const [ra2, rb] = await Promise.all([c.joinGroup(join('g2', ra.memberId)), b.joined]);
    expect(ra2.generationId).toBe(ra.generationId + 1);
    expect(rb.generationId).toBe(ra2.generationId);
    await syncAll(c, 'g2', [ra2, rb]);
    expect(c.groupState('g2')).toBe('Stable');
  });

  it('removes a member whose session times out and rebalances the rest', async () => {
    ({ c } = await coordinator());
    const a = await joinNew(c, 'g3');
    const b = await joinNew(c, 'g3');
    const [ra, rb] = await Promise.all([a.joined, b.joined]);
    await syncAll(c, 'g3', [ra, rb]);
    // Only a heartbeats; b goes silent.
    const until = Date.now() + 350;
    let code = 0;
    while (Date.now() < until && code === 0) {
      code = c.heartbeat({ groupId: 'g3', generationId: ra.generationId, memberId: ra.memberId }).errorCode;
      await sleep(40);
    }
    expect(code).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const again = await c.joinGroup(join('g3', ra.memberId));
    expect(again.members.map((m) => m.memberId)).toEqual([ra.memberId]);
    expect(c.heartbeat({ groupId: 'g3', generationId: again.generationId, memberId: rb.memberId }).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('leaves by member id and by instance id, and an emptied group goes Empty', async () => {
    ({ c } = await coordinator());
    const s = c.joinGroup(join('g4', '', { groupInstanceId: 'inst-1' }));
    const rs = await s;
    expect(rs.errorCode).toBe(0);
    await syncAll(c, 'g4', [rs]);
    const left = await c.leaveGroup({ groupId: 'g4', members: [{ memberId: '', groupInstanceId: 'inst-1' }, { memberId: 'ghost' }] });
    expect(left.members.map((m) => m.errorCode)).toEqual([0, ErrorCode.UNKNOWN_MEMBER_ID]);
    await sleep(10);
    expect(c.groupState('g4')).toBe('Empty');
  });

  it('lets a static member rejoin with a new id without a rebalance and fences the old id', async () => {
    ({ c } = await coordinator());
    const r1 = await c.joinGroup(join('g5', '', { groupInstanceId: 'i' }));
    await syncAll(c, 'g5', [r1]);
    const r2 = await c.joinGroup(join('g5', '', { groupInstanceId: 'i' }));
    expect(r2.errorCode).toBe(0);
    expect(r2.memberId).not.toBe(r1.memberId);
    expect(r2.generationId).toBe(r1.generationId);
    expect(c.heartbeat({ groupId: 'g5', generationId: r1.generationId, memberId: r1.memberId, groupInstanceId: 'i' }).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(c.groupState('g5')).toBe('Stable');
  });

  it('rejects inconsistent protocols and bad session timeouts', async () => {
    ({ c } = await coordinator());
    const a = await joinNew(c, 'g6');
    await a.joined;
    const other = await c.joinGroup(join('g6', '', { protocols: [{ name: 'roundrobin', metadata: Buffer.alloc(0) }] }));
    expect(other.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await c.joinGroup(join('g6', '', { sessionTimeoutMs: 1 }))).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
  });

  it('commits and fetches offsets; an unknown group answers -1 without error', async () => {
    ({ c } = await coordinator());
    const unknown = c.offsetFetch({ groupId: 'nope', allTopics: false, topics: [{ name: 't', partitionIndexes: [0, 1] }] });
    expect(unknown.errorCode).toBe(0);
    expect(unknown.topics[0].partitions.map((p) => p.committedOffset)).toEqual([-1n, -1n]);
    const commit = await c.offsetCommit({
      groupId: 'simple', generationId: -1, memberId: '',
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 10n, committedLeaderEpoch: 2, committedMetadata: 'meta' }, { partitionIndex: 1, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: 'x'.repeat(5000) }] }],
    });
    expect(commit.topics[0].partitions.map((p) => p.errorCode)).toEqual([0, ErrorCode.OFFSET_METADATA_TOO_LARGE]);
    const all = c.offsetFetch({ groupId: 'simple', allTopics: true, topics: [] });
    expect(all.topics).toEqual([{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 10n, committedLeaderEpoch: 2, metadata: 'meta', errorCode: 0 }] }]);
  });

  it('checks generation and membership on commits from group members', async () => {
    ({ c } = await coordinator());
    const a = await joinNew(c, 'g7');
    const ra = await a.joined;
    const commit = (generationId: number, memberId: string) => c.offsetCommit({
      groupId: 'g7', generationId, memberId, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1 }] }],
    }).then((r) => r.topics[0].partitions[0].errorCode);
    expect(await commit(ra.generationId, ra.memberId)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    await syncAll(c, 'g7', [ra]);
    expect(await commit(ra.generationId, ra.memberId)).toBe(0);
    expect(await commit(ra.generationId + 1, ra.memberId)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(await commit(ra.generationId, 'other')).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await commit(-1, '')).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('follows Kafka on commits during a rebalance: accepted while PreparingRebalance, member and generation checked before CompletingRebalance', async () => {
    ({ c } = await coordinator());
    const commit = (generationId: number, memberId: string, offset: bigint) => c.offsetCommit({
      groupId: 'g9', generationId, memberId, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1 }] }],
    }).then((r) => r.topics[0].partitions[0].errorCode);
    const a = await joinNew(c, 'g9');
    const b = await joinNew(c, 'g9');
    const [ra, rb] = await Promise.all([a.joined, b.joined]);
    // CompletingRebalance: an unknown member and a stale generation are told so first.
    expect(await commit(ra.generationId, 'ghost', 1n)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await commit(ra.generationId - 1, ra.memberId, 1n)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(await commit(ra.generationId, ra.memberId, 1n)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    await syncAll(c, 'g9', [ra, rb]);
    // sarama's close: a leaves, so the group prepares a rebalance; b, still of the current
    // generation, commits what it processed, then leaves too.
    expect((await c.leaveGroup({ groupId: 'g9', members: [{ memberId: ra.memberId }] })).members[0].errorCode).toBe(0);
    expect(c.groupState('g9')).toBe('PreparingRebalance');
    expect(await commit(rb.generationId, rb.memberId, 100n)).toBe(0);
    expect((await c.leaveGroup({ groupId: 'g9', members: [{ memberId: rb.memberId }] })).members[0].errorCode).toBe(0);
    expect(c.groupState('g9')).toBe('Empty');
    // A new member resumes at the committed offset.
    const fetched = c.offsetFetch({ groupId: 'g9', allTopics: false, topics: [{ name: 't', partitionIndexes: [0] }] });
    expect(fetched.topics[0].partitions[0].committedOffset).toBe(100n);
  });

  it('rebuilds groups and offsets from the log on load, and serves nothing it does not lead', async () => {
    const log = new MemoryLog();
    ({ c } = await coordinator(log));
    const a = await joinNew(c, 'g8');
    const ra = await a.joined;
    await syncAll(c, 'g8', [ra]);
    await c.offsetCommit({ groupId: 'g8', generationId: ra.generationId, memberId: ra.memberId, topics: [{ name: 't', partitions: [{ partitionIndex: 3, committedOffset: 77n, committedLeaderEpoch: 0 }] }] });
    await c.offsetCommit({ groupId: 'gone', generationId: -1, memberId: '', topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: 0 }] }] });
    expect((await c.deleteGroups(['gone', 'g8', 'never']))).toEqual([
      { groupId: 'gone', errorCode: 0 },
      { groupId: 'g8', errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: 'never', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    ]);
    c.close();

    const other = new GroupCoordinator({ log, numPartitions: () => N, config: { minSessionTimeoutMs: 10 } });
    c = other;
    const p = groupPartition('g8', N);
    expect(other.heartbeat({ groupId: 'g8', generationId: ra.generationId, memberId: ra.memberId }).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const loading = other.loadPartition(p, 1, (async function* () {
      await gate;
      yield* log.read(p);
    })());
    expect(other.heartbeat({ groupId: 'g8', generationId: ra.generationId, memberId: ra.memberId }).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    release();
    await loading;
    for (let q = 0; q < N; q++) if (q !== p) await other.loadPartition(q, 1, log.read(q));
    expect(other.groupState('g8')).toBe('Stable');
    expect(other.heartbeat({ groupId: 'g8', generationId: ra.generationId, memberId: ra.memberId }).errorCode).toBe(0);
    const fetched = other.offsetFetch({ groupId: 'g8', allTopics: false, topics: [{ name: 't', partitionIndexes: [3] }] });
    expect(fetched.topics[0].partitions[0].committedOffset).toBe(77n);
    expect(other.groupState('gone')).toBeUndefined();
    const described = other.describeGroups(['g8'])[0];
    expect(described.groupState).toBe('Stable');
    expect(described.members[0].memberAssignment.toString()).toBe(`a-${ra.memberId}`);
    other.unloadPartition(p);
    expect(other.describeGroups(['g8'])[0].errorCode).toBe(ErrorCode.NOT_COORDINATOR);
  });

  it('maps append failures to coordinator errors and keeps nothing it could not write', async () => {
    const log = new MemoryLog();
    ({ c } = await coordinator(log));
    log.failWith = ErrorCode.NOT_LEADER_OR_FOLLOWER;
    const r = await c.offsetCommit({ groupId: 's', generationId: -1, memberId: '', topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: 0 }] }] });
    expect(r.topics[0].partitions[0].errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(c.offsetFetch({ groupId: 's', allTopics: true, topics: [] }).topics).toEqual([]);
  });

  it('lists groups with a state filter and expires offsets of a group empty past retention', async () => {
    let now = 1_000_000;
    const log = new MemoryLog();
    c = new GroupCoordinator({ log, numPartitions: () => N, now: () => now, config: { minSessionTimeoutMs: 10, initialRebalanceDelayMs: 0, offsetsRetentionMs: 60_000 } });
    for (let p = 0; p < N; p++) await c.loadPartition(p, 0, log.read(p));
    await c.offsetCommit({ groupId: 'old', generationId: -1, memberId: '', topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: 0 }] }] });
    const ra = await c.joinGroup(join('live', '', { requireKnownMemberId: false }));
    await syncAll(c, 'live', [ra]);
    expect(c.listGroups([]).groups.map((g) => g.groupId).sort()).toEqual(['live', 'old']);
    expect(c.listGroups(['stable']).groups.map((g) => g.groupId)).toEqual(['live']);
    now += 61_000;
    await c.expireOffsets();
    expect(c.groupState('old')).toBeUndefined();
    expect(c.groupState('live')).toBe('Stable');
  });
});
