import { FakeTimer, settle } from '@dms/coordinator';
import { ErrorCode } from '@dms/kafka-errors';
import { GroupCoordinator } from '../coordinator';
import { isReplayMarker } from '../coordinator-log';
import { groupPartition } from '../placement';
import { decodeGroupMetadataValue, decodeKey, encodeRecordKey, encodeRecordValue, RecordTypeId } from '../records';
import { MemoryLog } from '../testing/memory-log';
import type { JoinGroupInput, JoinGroupResult } from '../types';
import { Group, IllegalGroupTransitionError } from './group';

const N = 2;
const SESSION = 10_000;
const DELAY = 100;

function setup(config = {}, log = new MemoryLog()) {
  const timer = new FakeTimer();
  const errors: string[] = [];
  const c = new GroupCoordinator({
    log, timer, numPartitions: () => N,
    config: { initialRebalanceDelayMs: DELAY, offsetsRetentionMs: 60_000, retentionCheckIntervalMs: 5_000, ...config },
    onError: (_e, what) => errors.push(what),
  });
  return { c, timer, log, errors };
}

async function loadAll(c: GroupCoordinator, log: MemoryLog, epoch = 0) {
  for (let p = 0; p < N; p++) await c.loadPartition(p, epoch, log.read(p));
}

const join = (groupId: string, extra: Partial<JoinGroupInput> = {}): JoinGroupInput => ({
  groupId, memberId: '', clientId: 'client', clientHost: '/127.0.0.1', sessionTimeoutMs: SESSION, rebalanceTimeoutMs: 20_000,
  protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.from('sub') }], requireKnownMemberId: false, ...extra,
});

/** Joins every member at once (the initial rebalance delay gathers them) and syncs the generation. */
async function formGroup(c: GroupCoordinator, timer: FakeTimer, groupId: string, members: Partial<JoinGroupInput>[]): Promise<JoinGroupResult[]> {
  const joining = Promise.all(members.map((m) => c.joinGroup(join(groupId, m))));
  // A member joining during the delay extends it by one more round.
  await timer.advance(2 * DELAY);
  const joined = await joining;
  const leader = joined.find((r) => r.memberId === r.leader)!;
  await Promise.all(joined.map((r) => c.syncGroup({
    groupId, generationId: r.generationId, memberId: r.memberId, groupInstanceId: members[joined.indexOf(r)].groupInstanceId,
    assignments: r === leader ? leader.members.map((m) => ({ memberId: m.memberId, assignment: Buffer.from(`a-${m.memberId}`) })) : [],
  })));
  return joined;
}

const beat = (c: GroupCoordinator, groupId: string, r: JoinGroupResult, groupInstanceId?: string) =>
  c.heartbeat({ groupId, generationId: r.generationId, memberId: r.memberId, ...(groupInstanceId ? { groupInstanceId } : {}) }).errorCode;

describe('classic groups on the coordinator runtime (fake time)', () => {
  it('expires a silent member exactly at its session timeout, and a heartbeat restarts it', async () => {
    const { c, timer, log } = setup();
    await loadAll(c, log);
    const [a, b] = await formGroup(c, timer, 'g', [{}, {}]);
    await timer.advance(SESSION / 2);
    expect(beat(c, 'g', a)).toBe(ErrorCode.NONE);
    await timer.advance(SESSION / 2 - 1);
    expect(beat(c, 'g', b)).toBe(ErrorCode.NONE);
    await timer.advance(SESSION / 2);
    expect(beat(c, 'g', a)).toBe(ErrorCode.NONE);
    await timer.advance(SESSION / 2 - 1);
    expect(beat(c, 'g', a)).toBe(ErrorCode.NONE);
    await timer.advance(1);
    // b never heartbeat: gone; a is told to rejoin.
    expect(beat(c, 'g', b)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(beat(c, 'g', a)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    c.close();
    expect(timer.pending).toBe(0);
  });

  it('holds the first rebalance for the initial delay, extended while members keep coming', async () => {
    const { c, timer, log } = setup({ initialRebalanceDelayMs: 3_000 });
    await loadAll(c, log);
    let done = 0;
    const first = c.joinGroup(join('d')).then((r) => (done++, r));
    await timer.advance(2_000);
    const second = c.joinGroup(join('d')).then((r) => (done++, r));
    await timer.advance(999);
    expect(done).toBe(0);
    await timer.advance(1);
    // The delay ran out with a member added during it: it extends by another round.
    expect(done).toBe(0);
    await timer.advance(3_000);
    const [r1, r2] = await Promise.all([first, second]);
    expect(done).toBe(2);
    expect(r1.generationId).toBe(1);
    expect(r2.generationId).toBe(1);
    c.close();
  });

  it('answers a static member replacement once durable, and reverts it when the write fails', async () => {
    const { c, log, timer } = setup();
    await loadAll(c, log);
    const [r1] = await formGroup(c, timer, 's', [{ groupInstanceId: 'i' }]);
    const p = groupPartition('s', N);

    log.failWith = ErrorCode.NOT_ENOUGH_REPLICAS;
    const failed = await c.joinGroup(join('s', { groupInstanceId: 'i' }));
    expect(failed).toMatchObject({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, memberId: '', generationId: r1.generationId });
    // The old incarnation is still the member: it heartbeats, the group did not rebalance.
    expect(beat(c, 's', r1, 'i')).toBe(ErrorCode.NONE);
    expect(c.groupState('s')).toBe('Stable');
    expect(c.describeGroups(['s'])[0].members.map((m) => m.memberId)).toEqual([r1.memberId]);

    log.failWith = 0;
    const r2 = await c.joinGroup(join('s', { groupInstanceId: 'i' }));
    expect(r2.errorCode).toBe(ErrorCode.NONE);
    expect(r2.skipAssignment).toBe(true);
    expect(beat(c, 's', r1, 'i')).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(beat(c, 's', r2, 'i')).toBe(ErrorCode.NONE);
    // The replacement is in the log: the last GroupMetadata names the new member id.
    const metas = (log.partitions.get(p) ?? []).filter((e) => !isReplayMarker(e) && decodeKey(e.key)?.kind === 'group');
    const last = metas[metas.length - 1];
    expect(!isReplayMarker(last) && decodeGroupMetadataValue(last.value!).members.map((m) => m.memberId)).toEqual([r2.memberId]);
    c.close();
  });

  it('runs offset expiry on the retention check interval', async () => {
    const { c, timer, log } = setup();
    await loadAll(c, log);
    c.start();
    const commit = await c.offsetCommit({ groupId: 'x', generationId: -1, memberId: '', topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: 0 }] }] });
    expect(commit.topics[0].partitions[0].errorCode).toBe(ErrorCode.NONE);
    await timer.advance(55_000);
    expect(c.groupState('x')).toBe('Empty');
    await timer.advance(10_000);
    await settle();
    expect(c.groupState('x')).toBeUndefined();
    const p = groupPartition('x', N);
    const tombstones = (log.partitions.get(p) ?? []).filter((e) => !isReplayMarker(e) && e.value === null).map((e) => !isReplayMarker(e) && decodeKey(e.key)?.kind);
    expect(tombstones).toEqual(['offset', 'group']);
    c.close();
  });

  it('keeps a group Empty when its delete cannot be written', async () => {
    const { c, log } = setup();
    await loadAll(c, log);
    await c.offsetCommit({ groupId: 'e', generationId: -1, memberId: '', topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: 0 }] }] });
    log.failWith = ErrorCode.NOT_LEADER_OR_FOLLOWER;
    expect(await c.deleteGroups(['e'])).toEqual([{ groupId: 'e', errorCode: ErrorCode.NOT_COORDINATOR }]);
    expect(c.groupState('e')).toBe('Empty');
    expect(c.offsetFetch({ groupId: 'e', allTopics: true, topics: [] }).topics[0].partitions[0].committedOffset).toBe(5n);
    log.failWith = 0;
    expect(await c.deleteGroups(['e'])).toEqual([{ groupId: 'e', errorCode: ErrorCode.NONE }]);
    expect(c.groupState('e')).toBeUndefined();
    c.close();
  });

  it('loads past KIP-848 and share-group records and unknown record types, and skips an unreadable record', async () => {
    const log = new MemoryLog();
    const p = groupPartition('mixed', N);
    await log.append(p, [
      { key: encodeRecordKey(RecordTypeId.ConsumerGroupMetadata, { groupId: 'modern' }), value: encodeRecordValue(RecordTypeId.ConsumerGroupMetadata, { epoch: 3, metadataHash: 1n }) },
      { key: encodeRecordKey(RecordTypeId.ConsumerGroupCurrentMemberAssignment, { groupId: 'modern', memberId: 'm' }), value: null },
      { key: encodeRecordKey(RecordTypeId.ShareGroupMetadata, { groupId: 'share' }), value: encodeRecordValue(RecordTypeId.ShareGroupMetadata, { epoch: 1, metadataHash: 0n }) },
      { key: Buffer.from('00630001', 'hex'), value: Buffer.from('00') },
      { key: Buffer.from('0001000178', 'hex'), value: Buffer.from('0003', 'hex') },
      {
        key: encodeRecordKey(RecordTypeId.OffsetCommit, { group: 'mixed', topic: 't', partition: 1 }),
        value: encodeRecordValue(RecordTypeId.OffsetCommit, { offset: 9n, leaderEpoch: 1, metadata: 'm', commitTimestamp: 1n, expireTimestamp: -1n }, 4),
      },
    ]);
    const { c, errors } = setup({}, log);
    await loadAll(c, log);
    expect(errors).toHaveLength(1);
    // The KIP-848 group and the share group are listed with their types.
    expect(c.listGroups([]).groups.map((g) => [g.groupId, g.groupType ?? 'classic'])).toEqual([['mixed', 'classic'], ['modern', 'consumer'], ['share', 'share']]);
    const fetched = c.offsetFetch({ groupId: 'mixed', allTopics: true, topics: [] });
    expect(fetched.topics).toEqual([{ name: 't', partitions: [{ partitionIndex: 1, committedOffset: 9n, committedLeaderEpoch: 1, metadata: 'm', errorCode: 0 }] }]);
    c.close();
  });

  it('allows only the state transitions Kafka allows', () => {
    const g = new Group('g', 0, 0n);
    expect(() => g.transitionTo('Stable', 1n)).toThrow(IllegalGroupTransitionError);
    expect(() => g.transitionTo('CompletingRebalance', 1n)).toThrow(IllegalGroupTransitionError);
    g.transitionTo('PreparingRebalance', 2n);
    expect(g.currentStateTimestamp).toBe(2n);
    expect(() => g.transitionTo('Stable', 3n)).toThrow(IllegalGroupTransitionError);
    g.transitionTo('CompletingRebalance', 3n);
    g.transitionTo('Stable', 4n);
    expect(() => g.transitionTo('Empty', 5n)).toThrow(IllegalGroupTransitionError);
    g.transitionTo('Dead', 5n);
    expect(() => g.transitionTo('Empty', 6n)).toThrow(IllegalGroupTransitionError);
  });
});
