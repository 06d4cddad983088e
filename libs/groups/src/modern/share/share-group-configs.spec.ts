// A share group's own settings (GROUP config resource) over the broker's: heartbeat interval and
// session timeout on fake time, read at each heartbeat so an altered value applies at once; and the
// consumer-group timeouts the shard exposes for KIP-848 groups.
import { FakeTimer } from '@dms/coordinator';
import { ErrorCode } from '@dms/kafka-errors';
import { GroupCoordinator } from '../../coordinator';
import { MemoryLog } from '../../testing/memory-log';
import type { GroupOverrides } from './share-config';
import type { ShareHeartbeatInput } from './share-group-manager';

const topics = new Map([['orders', { topicId: 'aaaaaaaa-0000-0000-0000-000000000001', partitions: 1 }]]);
const hb = (groupId: string, memberId: string, memberEpoch: number, subscribedTopicNames: string[] | null = null): ShareHeartbeatInput => ({
  groupId, memberId, memberEpoch, rackId: null, subscribedTopicNames, clientId: 'c', clientHost: '/127.0.0.1',
});

async function setup(own: Map<string, GroupOverrides>) {
  const log = new MemoryLog();
  const timer = new FakeTimer();
  const c = new GroupCoordinator({
    log, timer, numPartitions: () => 1,
    config: { consumerSessionTimeoutMs: 45_000, consumerHeartbeatIntervalMs: 5_000 },
    share: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000 },
    topic: (name) => topics.get(name),
    groupConfig: (groupId) => own.get(groupId) ?? {},
  });
  await c.loadPartition(0, 0, log.read(0));
  return { c, timer };
}

describe('share groups with their own configs', () => {
  it('take share.heartbeat.interval.ms and share.session.timeout.ms from the group, the broker\'s otherwise', async () => {
    const own = new Map<string, GroupOverrides>([['tuned', { shareHeartbeatIntervalMs: 3_000, shareSessionTimeoutMs: 50_000 }]]);
    const { c, timer } = await setup(own);
    expect(await c.shareGroupHeartbeat(hb('tuned', 'a', 0, ['orders']))).toMatchObject({ errorCode: ErrorCode.NONE, heartbeatIntervalMs: 3_000 });
    expect(await c.shareGroupHeartbeat(hb('plain', 'b', 0, ['orders']))).toMatchObject({ errorCode: ErrorCode.NONE, heartbeatIntervalMs: 1_000 });
    // Past the broker's 10 s session: the plain group's member is gone, the tuned group's stays.
    await timer.advance(11_000);
    expect(c.shareGroupDescribe(['tuned', 'plain']).map((g) => g.members.length)).toEqual([1, 0]);
    await timer.advance(40_000);
    expect(c.shareGroupDescribe(['tuned'])[0]!.members).toEqual([]);
  });

  it('apply an altered value at the next heartbeat', async () => {
    const own = new Map<string, GroupOverrides>();
    const { c } = await setup(own);
    const a = await c.shareGroupHeartbeat(hb('g', 'a', 0, ['orders']));
    expect(a.heartbeatIntervalMs).toBe(1_000);
    own.set('g', { shareHeartbeatIntervalMs: 2_500 });
    expect((await c.shareGroupHeartbeat(hb('g', 'a', a.memberEpoch))).heartbeatIntervalMs).toBe(2_500);
  });

  it('give KIP-848 groups their consumer.* timeouts through the shard', async () => {
    const own = new Map<string, GroupOverrides>([['cg', { consumerSessionTimeoutMs: 50_000 }]]);
    const { c } = await setup(own);
    const shard = c.runtime.read(0, (s) => s);
    expect(shard.consumerTimeouts('cg')).toEqual({ sessionTimeoutMs: 50_000, heartbeatIntervalMs: 5_000 });
    expect(shard.consumerTimeouts('other')).toEqual({ sessionTimeoutMs: 45_000, heartbeatIntervalMs: 5_000 });
  });
});
