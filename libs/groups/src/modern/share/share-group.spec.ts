import { FakeTimer } from '@dms/coordinator';
import { ErrorCode } from '@dms/kafka-errors';
import { GroupCoordinator } from '../../coordinator';
import { MemoryLog } from '../../testing/memory-log';
import { assignShare } from './share-assignor';
import type { ShareHeartbeatInput } from './share-group-manager';

const N = 2;
const topics = new Map([
  ['orders', { topicId: 'aaaaaaaa-0000-0000-0000-000000000001', partitions: 1 }],
  ['events', { topicId: 'bbbbbbbb-0000-0000-0000-000000000002', partitions: 4 }],
]);

async function setup(log = new MemoryLog()) {
  const timer = new FakeTimer();
  const c = new GroupCoordinator({
    log, timer, numPartitions: () => N,
    share: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, maxSize: 3 },
    topic: (name) => topics.get(name),
  });
  for (let p = 0; p < N; p++) await c.loadPartition(p, 0, log.read(p));
  return { c, timer, log };
}

const hb = (memberId: string, memberEpoch: number, subscribedTopicNames: string[] | null = null): ShareHeartbeatInput => ({
  groupId: 'sg', memberId, memberEpoch, rackId: null, subscribedTopicNames, clientId: 'c', clientHost: '/127.0.0.1',
});

describe('share groups (ShareGroupHeartbeat, ShareGroupDescribe) on fake time', () => {
  it('members join at epoch 0, share a single partition, and get new epochs as the group changes', async () => {
    const { c } = await setup();
    const a = (await c.shareGroupHeartbeat(hb('a', 0, ['orders'])));
    expect(a).toMatchObject({ errorCode: ErrorCode.NONE, memberEpoch: 1, heartbeatIntervalMs: 1_000 });
    expect(a.assignment).toEqual([{ topicId: 'aaaaaaaa-0000-0000-0000-000000000001', topicName: 'orders', partitions: [0] }]);
    const b = (await c.shareGroupHeartbeat(hb('b', 0, ['orders'])));
    expect(b.memberEpoch).toBe(2);
    expect(b.assignment).toEqual([{ topicId: 'aaaaaaaa-0000-0000-0000-000000000001', topicName: 'orders', partitions: [0] }]);
    // a's next heartbeat moves it to the group's epoch; its assignment is unchanged, so none is sent... but the epoch is.
    const a2 = (await c.shareGroupHeartbeat(hb('a', 1)));
    expect(a2.memberEpoch).toBe(2);
    expect((await c.shareGroupHeartbeat(hb('a', 2))).assignment).toBeNull();
    const d = c.shareGroupDescribe(['sg'])[0]!;
    expect(d).toMatchObject({ errorCode: ErrorCode.NONE, groupState: 'Stable', groupEpoch: 2, assignmentEpoch: 2, assignorName: 'simple' });
    expect(d.members.map((m) => m.memberId).sort()).toEqual(['a', 'b']);
    expect(c.listGroups([]).groups).toEqual([{ groupId: 'sg', protocolType: 'share', groupState: 'Stable', groupType: 'share' }]);
  });

  it('fences stale epochs, refuses unknown members, and removes a member whose session expires', async () => {
    const { c, timer } = await setup();
    (await c.shareGroupHeartbeat(hb('a', 0, ['orders'])));
    (await c.shareGroupHeartbeat(hb('b', 0, ['orders'])));
    expect((await c.shareGroupHeartbeat(hb('b', 7))).errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH);
    expect((await c.shareGroupHeartbeat(hb('zz', 3))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await c.shareGroupHeartbeat(hb('', 0, ['orders']))).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await c.shareGroupHeartbeat(hb('x', 0, []))).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    await timer.advance(9_000);
    (await c.shareGroupHeartbeat(hb('a', 1)));
    await timer.advance(2_000);
    const members = c.shareGroupDescribe(['sg'])[0]!.members;
    expect(members.map((m) => m.memberId)).toEqual(['a']);
    expect(c.shareGroupDescribe(['sg'])[0]!.groupEpoch).toBe(3);
  });

  it('leaving with epoch -1 empties the group; an empty share group can be deleted, a non-empty one not', async () => {
    const { c } = await setup();
    (await c.shareGroupHeartbeat(hb('a', 0, ['orders'])));
    expect(await c.deleteGroups(['sg'])).toEqual([{ groupId: 'sg', errorCode: ErrorCode.NON_EMPTY_GROUP }]);
    expect((await c.shareGroupHeartbeat(hb('a', -1)))).toMatchObject({ errorCode: ErrorCode.NONE, memberEpoch: -1 });
    expect(c.shareGroupDescribe(['sg'])[0]!.groupState).toBe('Empty');
    expect(await c.deleteGroups(['sg'])).toEqual([{ groupId: 'sg', errorCode: ErrorCode.NONE }]);
    expect(c.shareGroupDescribe(['sg'])[0]!.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it('members, their epochs and assignments survive a coordinator failover (records reloaded)', async () => {
    const { c, log } = await setup();
    await c.shareGroupHeartbeat(hb('a', 0, ['events']));
    const b = await c.shareGroupHeartbeat(hb('b', 0, ['events']));
    const before = c.shareGroupDescribe(['sg'])[0]!;
    c.close();
    const next = await setup(log);
    const after = next.c.shareGroupDescribe(['sg'])[0]!;
    expect(after).toMatchObject({ errorCode: ErrorCode.NONE, groupState: 'Stable', groupEpoch: before.groupEpoch });
    expect(after.members.map((m) => [m.memberId, m.memberEpoch, m.assignment]).sort()).toEqual(before.members.map((m) => [m.memberId, m.memberEpoch, m.assignment]).sort());
    // b heartbeats on with the epoch it had: no rejoin needed.
    expect((await next.c.shareGroupHeartbeat(hb('b', b.memberEpoch))).errorCode).toBe(ErrorCode.NONE);
    // A member that left is gone after the reload too; a deleted group leaves nothing.
    await next.c.shareGroupHeartbeat(hb('a', -1));
    await next.c.shareGroupHeartbeat(hb('b', -1));
    expect(await next.c.deleteGroups(['sg'])).toEqual([{ groupId: 'sg', errorCode: ErrorCode.NONE }]);
    next.c.close();
    const third = await setup(log);
    expect(third.c.shareGroupDescribe(['sg'])[0]!.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it('enforces group.share.max.size', async () => {
    const { c } = await setup();
    for (const m of ['a', 'b', 'c']) expect((await c.shareGroupHeartbeat(hb(m, 0, ['orders']))).errorCode).toBe(ErrorCode.NONE);
    expect((await c.shareGroupHeartbeat(hb('d', 0, ['orders']))).errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
  });
});

describe('the simple share assignor', () => {
  const t = new Map([['events', { topicId: 'E', name: 'events', partitions: 4 }], ['orders', { topicId: 'O', name: 'orders', partitions: 1 }]]);

  it('spreads partitions over members and gives every member at least one', () => {
    const two = assignShare([{ memberId: 'a', subscribedTopicNames: ['events'] }, { memberId: 'b', subscribedTopicNames: ['events'] }], t);
    expect(two.get('a')!.get('E')).toEqual([0, 2]);
    expect(two.get('b')!.get('E')).toEqual([1, 3]);
    const many = assignShare(['a', 'b', 'c'].map((memberId) => ({ memberId, subscribedTopicNames: ['orders'] })), t);
    for (const m of ['a', 'b', 'c']) expect(many.get(m)!.get('O')).toEqual([0]);
  });

  it('assigns only subscribed topics', () => {
    const a = assignShare([{ memberId: 'a', subscribedTopicNames: ['orders'] }, { memberId: 'b', subscribedTopicNames: ['events'] }], t);
    expect([...a.get('a')!.keys()]).toEqual(['O']);
    expect(a.get('b')!.get('E')).toEqual([0, 1, 2, 3]);
  });
});
