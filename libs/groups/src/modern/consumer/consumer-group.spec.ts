import { FakeTimer } from '@dms/coordinator';
import { ErrorCode } from '@dms/kafka-errors';
import { GroupCoordinator } from '../../coordinator';
import { MemoryLog } from '../../testing/memory-log';
import { fromWire, type WireTopicPartitions } from '../assignment';
import { MemberState } from './member';
import type { ConsumerGroupHeartbeatInput, TopicsImage } from './types';

const N = 1;
const T = '00000000-0000-0000-0000-00000000000a';
const topicsImage: TopicsImage = new Map([['orders', { topicId: T, numPartitions: 4 }]]);

async function coordinator(log: MemoryLog, timer = new FakeTimer()) {
  const c = new GroupCoordinator({ log, timer, numPartitions: () => N, topics: () => topicsImage, config: { consumerSessionTimeoutMs: 45_000 } });
  await c.loadPartition(0, 0, log.read(0));
  return c;
}

const hb = (memberId: string, memberEpoch: number, owned: number[] | null, extra: Partial<ConsumerGroupHeartbeatInput> = {}): ConsumerGroupHeartbeatInput => ({
  groupId: 'g', memberId, memberEpoch, instanceId: null, rackId: null, rebalanceTimeoutMs: memberEpoch === 0 ? 30_000 : -1,
  subscribedTopicNames: memberEpoch === 0 ? ['orders'] : null, serverAssignor: 'range',
  topicPartitions: owned === null ? null : [{ topicId: T, partitions: owned }].filter((tp) => tp.partitions.length > 0),
  clientId: 'c', clientHost: '/127.0.0.1', ...extra,
});
const parts = (tps: WireTopicPartitions[] | undefined | null) => [...(fromWire(tps).get(T) ?? [])].sort();

describe('KIP-848 consumer groups (fake time)', () => {
  it('assigns, rebalances incrementally revoking before assigning, and survives a coordinator failover mid-reconciliation', async () => {
    const log = new MemoryLog();
    const c = await coordinator(log);
    const a1 = await c.consumerGroupHeartbeat(hb('A', 0, []));
    expect(a1).toMatchObject({ errorCode: 0, memberId: 'A', memberEpoch: 1, heartbeatIntervalMs: 5_000 });
    expect(parts(a1.assignment?.topicPartitions)).toEqual([0, 1, 2, 3]);

    // B joins: epoch 2, range gives A 0-1 and B 2-3, but A still owns 2-3: B waits for them.
    const b1 = await c.consumerGroupHeartbeat(hb('B', 0, []));
    expect(b1).toMatchObject({ errorCode: 0, memberEpoch: 2 });
    expect(parts(b1.assignment?.topicPartitions)).toEqual([]);
    expect(c.runtime.read(0, (s) => s.consumer.memberState('g', 'B')?.state)).toBe(MemberState.UNRELEASED_PARTITIONS);

    // A must first revoke 2-3; it stays in epoch 1 meanwhile.
    const a2 = await c.consumerGroupHeartbeat(hb('A', 1, [0, 1, 2, 3]));
    expect(a2).toMatchObject({ errorCode: 0, memberEpoch: 1 });
    expect(parts(a2.assignment?.topicPartitions)).toEqual([0, 1]);
    expect(c.runtime.read(0, (s) => s.consumer.memberState('g', 'A')?.state)).toBe(MemberState.UNREVOKED_PARTITIONS);
    // Still owning them, it cannot move on.
    expect((await c.consumerGroupHeartbeat(hb('A', 1, [0, 1, 2, 3]))).memberEpoch).toBe(1);
    c.close();

    // The coordinator moves: a new one rebuilds the group from the log, mid-reconciliation.
    const d = await coordinator(log);
    expect(d.runtime.read(0, (s) => s.consumer.memberState('g', 'A'))).toMatchObject({ memberEpoch: 1, state: MemberState.UNREVOKED_PARTITIONS });
    const b2 = await d.consumerGroupHeartbeat(hb('B', 2, []));
    expect(parts(b2.assignment?.topicPartitions)).toEqual([]);
    const a3 = await d.consumerGroupHeartbeat(hb('A', 1, [0, 1]));
    expect(a3).toMatchObject({ errorCode: 0, memberEpoch: 2 });
    const b3 = await d.consumerGroupHeartbeat(hb('B', 2, []));
    expect(parts(b3.assignment?.topicPartitions)).toEqual([2, 3]);
    expect(d.runtime.read(0, (s) => s.consumer.memberState('g', 'B'))).toMatchObject({ memberEpoch: 2, state: MemberState.STABLE });
    expect(d.runtime.read(0, (s) => s.consumer.groups.get('g')?.state)).toBe('Stable');
    d.close();
  });

  it('fences stale and future epochs, unknown members; a leave bumps the epoch', async () => {
    const log = new MemoryLog();
    const c = await coordinator(log);
    await c.consumerGroupHeartbeat(hb('A', 0, []));
    expect((await c.consumerGroupHeartbeat(hb('A', 5, [0]))).errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH);
    expect((await c.consumerGroupHeartbeat(hb('Z', 1, []))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await c.consumerGroupHeartbeat(hb('B', 0, [], { rebalanceTimeoutMs: -1 }))).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await c.consumerGroupHeartbeat(hb('B', 0, [], { serverAssignor: 'sticky' }))).errorCode).toBe(ErrorCode.UNSUPPORTED_ASSIGNOR);
    const left = await c.consumerGroupHeartbeat(hb('A', -1, null));
    expect(left).toMatchObject({ errorCode: 0, memberEpoch: -1 });
    expect(c.runtime.read(0, (s) => s.consumer.groups.get('g'))).toMatchObject({ groupEpoch: 2 });
    expect(c.runtime.read(0, (s) => s.consumer.groups.get('g')?.state)).toBe('Empty');
    c.close();
  });

  it('removes a member that misses its session and gives its partitions to the others', async () => {
    const log = new MemoryLog();
    const timer = new FakeTimer();
    const c = await coordinator(log, timer);
    await c.consumerGroupHeartbeat(hb('A', 0, []));
    await c.consumerGroupHeartbeat(hb('B', 0, []));
    await c.consumerGroupHeartbeat(hb('A', 1, [0, 1, 2, 3]));
    await c.consumerGroupHeartbeat(hb('A', 1, [0, 1]));
    await c.consumerGroupHeartbeat(hb('B', 2, []));
    // A keeps heartbeating; B goes silent.
    for (let i = 0; i < 9; i++) {
      await timer.advance(5_000);
      expect((await c.consumerGroupHeartbeat(hb('A', 2, [0, 1]))).errorCode).toBe(0);
    }
    await timer.advance(1_000);
    expect(c.runtime.read(0, (s) => s.consumer.groups.get('g')?.members.has('B'))).toBe(false);
    const a = await c.consumerGroupHeartbeat(hb('A', 2, [0, 1]));
    expect(a.memberEpoch).toBe(3);
    expect(parts(a.assignment?.topicPartitions)).toEqual([0, 1, 2, 3]);
    c.close();
  });

  it('fences a member that does not revoke within its rebalance timeout', async () => {
    const log = new MemoryLog();
    const timer = new FakeTimer();
    const c = await coordinator(log, timer);
    await c.consumerGroupHeartbeat(hb('A', 0, [], { rebalanceTimeoutMs: 10_000 }));
    await c.consumerGroupHeartbeat(hb('B', 0, []));
    const a = await c.consumerGroupHeartbeat(hb('A', 1, [0, 1, 2, 3]));
    expect(c.runtime.read(0, (s) => s.consumer.memberState('g', 'A')?.state)).toBe(MemberState.UNREVOKED_PARTITIONS);
    expect(a.memberEpoch).toBe(1);
    await timer.advance(5_000);
    await c.consumerGroupHeartbeat(hb('A', 1, [0, 1, 2, 3]));
    await c.consumerGroupHeartbeat(hb('B', 2, []));
    await timer.advance(5_000);
    expect(c.runtime.read(0, (s) => s.consumer.groups.get('g')?.members.has('A'))).toBe(false);
    expect((await c.consumerGroupHeartbeat(hb('A', 1, [0, 1, 2, 3]))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const b = await c.consumerGroupHeartbeat(hb('B', 2, []));
    expect(parts(b.assignment?.topicPartitions)).toEqual([0, 1, 2, 3]);
    c.close();
  });

  it('lets a static member leave and come back under a new member id with its partitions, without a rebalance', async () => {
    const log = new MemoryLog();
    const timer = new FakeTimer();
    const c = await coordinator(log, timer);
    await c.consumerGroupHeartbeat(hb('A', 0, [], { instanceId: 'i-a' }));
    await c.consumerGroupHeartbeat(hb('B', 0, []));
    await c.consumerGroupHeartbeat(hb('A', 1, [0, 1, 2, 3]));
    await c.consumerGroupHeartbeat(hb('A', 1, [0, 1]));
    await c.consumerGroupHeartbeat(hb('B', 2, []));
    expect((await c.consumerGroupHeartbeat(hb('A2', 0, [], { instanceId: 'i-a' }))).errorCode).toBe(ErrorCode.UNRELEASED_INSTANCE_ID);
    expect(await c.consumerGroupHeartbeat(hb('A', -2, null))).toMatchObject({ errorCode: 0, memberEpoch: -2 });
    const epoch = c.runtime.read(0, (s) => s.consumer.groups.get('g')!.groupEpoch);
    // B's partitions stay B's, A's stay reserved: nobody rebalances.
    expect((await c.consumerGroupHeartbeat(hb('B', 2, [2, 3]))).memberEpoch).toBe(2);
    const back = await c.consumerGroupHeartbeat(hb('A2', 0, [], { instanceId: 'i-a' }));
    expect(back).toMatchObject({ errorCode: 0, memberId: 'A2', memberEpoch: 2 });
    expect(parts(back.assignment?.topicPartitions)).toEqual([0, 1]);
    expect(c.runtime.read(0, (s) => s.consumer.groups.get('g')!.groupEpoch)).toBe(epoch);
    expect(c.runtime.read(0, (s) => [...s.consumer.groups.get('g')!.members.keys()].sort())).toEqual(['A2', 'B']);
    c.close();

    // The replacement is in the log.
    const d = await coordinator(log);
    expect(d.runtime.read(0, (s) => s.consumer.memberState('g', 'A2'))).toMatchObject({ memberEpoch: 2, instanceId: 'i-a' });
    d.close();
  });

  it('describes the group and checks member epochs of offset commits', async () => {
    const log = new MemoryLog();
    const c = await coordinator(log);
    await c.consumerGroupHeartbeat(hb('A', 0, []));
    const [described] = c.consumerGroupDescribe(['g']);
    expect(described).toMatchObject({ errorCode: 0, groupState: 'Stable', groupEpoch: 1, assignmentEpoch: 1, assignorName: 'range' });
    expect(described.members[0]).toMatchObject({ memberId: 'A', memberEpoch: 1, subscribedTopicNames: ['orders'] });
    expect(described.members[0].assignment.topicPartitions).toEqual([{ topicId: T, topicName: 'orders', partitions: [0, 1, 2, 3] }]);
    expect(c.consumerGroupDescribe(['nope'])[0].errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);

    const commit = (memberId: string, generationId: number) => c.offsetCommit({
      groupId: 'g', generationId, memberId, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 10n, committedLeaderEpoch: 0 }] }],
    }).then((r) => r.topics[0].partitions[0].errorCode);
    expect(await commit('A', 0)).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    expect(await commit('X', 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await commit('', -1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await commit('A', 1)).toBe(ErrorCode.NONE);
    expect(c.offsetFetch({ groupId: 'g', allTopics: true, topics: [] }).topics[0].partitions[0].committedOffset).toBe(10n);
    // OffsetFetch v9+: a member fetches with its current epoch; an admin (no id, -1) always may.
    const fetchCode = (memberId: string | undefined, memberEpoch: number) => c.offsetFetch({ groupId: 'g', allTopics: true, topics: [], memberId, memberEpoch }).errorCode;
    expect(fetchCode('A', 1)).toBe(ErrorCode.NONE);
    expect(fetchCode('A', 0)).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    expect(fetchCode('X', 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(fetchCode(undefined, -1)).toBe(ErrorCode.NONE);
    // Listed once, as a consumer group (its offsets' entry is no classic group); DescribeGroups finds no classic group.
    expect(c.listGroups([]).groups).toEqual([{ groupId: 'g', protocolType: 'consumer', groupState: 'Stable', groupType: 'consumer' }]);
    expect(c.listGroups(['empty']).groups).toEqual([]);
    expect(c.describeGroups(['g'])[0]).toMatchObject({ errorCode: 0, groupState: 'Dead', protocolType: '', members: [] });
    // OffsetDelete keeps the offsets of topics the members subscribe to.
    const del = await c.offsetDelete({ groupId: 'g', topics: [{ name: 'orders', partitionIndexes: [0] }] });
    expect(del.topics[0].partitions[0].errorCode).toBe(ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
    await c.consumerGroupHeartbeat(hb('A', -1, null));
    expect(await commit('', -1)).toBe(ErrorCode.NONE);
    c.close();
  });

  it('subscribes by RE2 regex, follows topics that appear, and keeps the resolution in the log', async () => {
    const log = new MemoryLog();
    const EU = '00000000-0000-0000-0000-0000000000e1';
    const US = '00000000-0000-0000-0000-0000000000e2';
    const image = new Map([['orders-eu', { topicId: EU, numPartitions: 2 }], ['payments', { topicId: T, numPartitions: 3 }]]);
    const c = new GroupCoordinator({ log, timer: new FakeTimer(), numPartitions: () => N, topics: () => image });
    await c.loadPartition(0, 0, log.read(0));
    const bad = await c.consumerGroupHeartbeat(hb('R', 0, [], { subscribedTopicNames: null, subscribedTopicRegex: '(a)\\1' }));
    expect(bad.errorCode).toBe(ErrorCode.INVALID_REGULAR_EXPRESSION);
    const r1 = await c.consumerGroupHeartbeat(hb('R', 0, [], { subscribedTopicNames: null, subscribedTopicRegex: 'orders-.*' }));
    expect(r1).toMatchObject({ errorCode: 0, memberEpoch: 1 });
    expect(r1.assignment?.topicPartitions).toEqual([{ topicId: EU, partitions: [0, 1] }]);
    image.set('orders-us', { topicId: US, numPartitions: 1 });
    const r2 = await c.consumerGroupHeartbeat(hb('R', 1, null, { topicPartitions: [{ topicId: EU, partitions: [0, 1] }] }));
    expect(r2).toMatchObject({ errorCode: 0, memberEpoch: 2 });
    expect(r2.assignment?.topicPartitions).toEqual([{ topicId: EU, partitions: [0, 1] }, { topicId: US, partitions: [0] }]);
    c.close();
    const d = new GroupCoordinator({ log, timer: new FakeTimer(), numPartitions: () => N, topics: () => image });
    await d.loadPartition(0, 0, log.read(0));
    expect(d.runtime.read(0, (s) => s.consumer.groups.get('g')?.regexes.get('orders-.*')?.topics)).toEqual(['orders-eu', 'orders-us']);
    d.close();
  });

  it('deletes a consumer group only once it has no members, with its offsets', async () => {
    const log = new MemoryLog();
    const c = await coordinator(log);
    await c.consumerGroupHeartbeat(hb('A', 0, []));
    await c.offsetCommit({ groupId: 'g', generationId: 1, memberId: 'A', topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 3n, committedLeaderEpoch: 0 }] }] });
    expect(await c.deleteGroups(['g'])).toEqual([{ groupId: 'g', errorCode: ErrorCode.NON_EMPTY_GROUP }]);
    await c.consumerGroupHeartbeat(hb('A', -1, null));
    expect(await c.deleteGroups(['g'])).toEqual([{ groupId: 'g', errorCode: ErrorCode.NONE }]);
    expect(c.runtime.read(0, (s) => s.consumer.groups.get('g'))).toBeUndefined();
    expect(c.offsetFetch({ groupId: 'g', allTopics: true, topics: [] }).topics).toEqual([]);
    c.close();
    const d = await coordinator(log);
    expect(d.runtime.read(0, (s) => s.consumer.groups.get('g'))).toBeUndefined();
    expect(d.offsetFetch({ groupId: 'g', allTopics: true, topics: [] }).topics).toEqual([]);
    d.close();
  });

  it('keeps a classic join out of a consumer group, and its offsets from expiring while it has members', async () => {
    const log = new MemoryLog();
    const timer = new FakeTimer();
    const c = new GroupCoordinator({ log, timer, numPartitions: () => N, topics: () => topicsImage, config: { offsetsRetentionMs: 60_000 } });
    await c.loadPartition(0, 0, log.read(0));
    await c.consumerGroupHeartbeat(hb('A', 0, []));
    await c.offsetCommit({ groupId: 'g', generationId: 1, memberId: 'A', topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 3n, committedLeaderEpoch: 0 }] }] });
    const joined = await c.joinGroup({
      groupId: 'g', memberId: '', clientId: 'c', clientHost: '/h', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000,
      protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], requireKnownMemberId: false,
    });
    expect(joined.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    await timer.advance(40_000);
    await c.consumerGroupHeartbeat(hb('A', 1, [0, 1, 2, 3]));
    await timer.advance(40_000);
    await c.expireOffsets();
    expect(c.offsetFetch({ groupId: 'g', allTopics: true, topics: [] }).topics[0].partitions[0].committedOffset).toBe(3n);
    c.close();
  });
});

describe('conversion between classic and consumer groups (empty groups)', () => {
  const classicJoin = (groupId: string) => ({
    groupId, memberId: '', clientId: 'client', clientHost: '/127.0.0.1', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 20_000,
    protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.from('sub') }], requireKnownMemberId: false,
  });

  it('an empty consumer group becomes classic on a classic JoinGroup, keeping its offsets; back again once the classic group is empty', async () => {
    const log = new MemoryLog();
    const timer = new FakeTimer();
    const c = await coordinator(log, timer);
    await c.consumerGroupHeartbeat(hb('A', 0, []));
    expect(await c.offsetCommit({
      groupId: 'g', generationId: 1, memberId: 'A', topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 7n, committedLeaderEpoch: 0 }] }],
    }).then((r) => r.topics[0].partitions[0].errorCode)).toBe(ErrorCode.NONE);

    // A classic member whose metadata is no ConsumerProtocolSubscription cannot join a consumer group.
    expect((await c.joinGroup(classicJoin('g'))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    await c.consumerGroupHeartbeat(hb('A', -1, null));

    // Empty: the classic member converts it.
    // The conversion is written first; then the join waits for the initial rebalance delay.
    let settled = false;
    const joining = c.joinGroup(classicJoin('g')).finally(() => { settled = true; });
    for (let i = 0; i < 20 && !settled; i++) await timer.advance(1_000);
    const joined = await joining;
    expect(joined).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1 });
    expect(c.listGroups([]).groups).toEqual([{ groupId: 'g', protocolType: 'consumer', groupState: 'CompletingRebalance' }]);
    expect(c.consumerGroupDescribe(['g'])[0].errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    expect(c.offsetFetch({ groupId: 'g', allTopics: true, topics: [] }).topics[0].partitions[0].committedOffset).toBe(7n);
    // A classic group with members mid-rebalance is not upgraded.
    expect((await c.consumerGroupHeartbeat(hb('B', 0, []))).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);

    // The classic member leaves: a consumer-protocol member upgrades the empty group.
    await c.leaveGroup({ groupId: 'g', members: [{ memberId: joined.memberId }] });
    expect(await c.consumerGroupHeartbeat(hb('B', 0, []))).toMatchObject({ errorCode: ErrorCode.NONE, memberEpoch: expect.any(Number) });
    expect(c.listGroups([]).groups).toEqual([{ groupId: 'g', protocolType: 'consumer', groupState: 'Stable', groupType: 'consumer' }]);
    expect(c.offsetFetch({ groupId: 'g', allTopics: true, topics: [] }).topics[0].partitions[0].committedOffset).toBe(7n);
    c.close();

    // Replayed the same way by the next coordinator.
    const d = await coordinator(log);
    expect(d.listGroups([]).groups).toEqual([{ groupId: 'g', protocolType: 'consumer', groupState: 'Stable', groupType: 'consumer' }]);
    d.close();
  });
});
