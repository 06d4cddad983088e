import { FakeTimer } from '@dms/coordinator';
import { decodeMessage, encodeMessage } from '@dms/kafka-codec';
import { ErrorCode } from '@dms/kafka-errors';
import { consumerProtocolAssignmentDescriptor, consumerProtocolSubscriptionDescriptor } from '@dms/kafka-schema';
import { GroupCoordinator } from '../../coordinator';
import type { GroupCoordinatorConfig } from '../../config';
import { MemoryLog } from '../../testing/memory-log';
import { fromWire } from '../assignment';
import type { ConsumerGroupHeartbeatInput, TopicsImage } from './types';

const T = '00000000-0000-0000-0000-00000000000b';
const topicsImage: TopicsImage = new Map([['orders', { topicId: T, numPartitions: 4 }]]);
const SESSION = 10_000;

async function coordinator(log: MemoryLog, timer = new FakeTimer(), config: Partial<GroupCoordinatorConfig> = {}) {
  const c = new GroupCoordinator({ log, timer, numPartitions: () => 1, topics: () => topicsImage, config: { initialRebalanceDelayMs: 3_000, ...config } });
  await c.loadPartition(0, 0, log.read(0));
  return c;
}

const withVersion = (v: number, body: Buffer) => Buffer.concat([Buffer.from([0, v]), body]);
const subscription = (owned: number[] = []) => withVersion(1, encodeMessage(consumerProtocolSubscriptionDescriptor, 1, {
  topics: ['orders'], userData: null, ownedPartitions: owned.length > 0 ? [{ topic: 'orders', partitions: owned }] : [],
}));
const assignment = (partitions: number[]) => withVersion(0, encodeMessage(consumerProtocolAssignmentDescriptor, 0, {
  assignedPartitions: [{ topic: 'orders', partitions }], userData: null,
}));
const decoded = (buf: Buffer): number[] => {
  const v = decodeMessage(consumerProtocolAssignmentDescriptor, buf.readInt16BE(0), buf, 2);
  return v.assignedPartitions.flatMap((tp: { partitions: number[] }) => tp.partitions).sort();
};

const join = (memberId: string, owned: number[] = []) => ({
  groupId: 'g', memberId, clientId: 'classic', clientHost: '/127.0.0.1', sessionTimeoutMs: SESSION, rebalanceTimeoutMs: 20_000,
  protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription(owned) }], requireKnownMemberId: false,
});
const hb = (memberId: string, memberEpoch: number, owned: number[] | null): ConsumerGroupHeartbeatInput => ({
  groupId: 'g', memberId, memberEpoch, instanceId: null, rackId: null, rebalanceTimeoutMs: memberEpoch === 0 ? 20_000 : -1,
  subscribedTopicNames: memberEpoch === 0 ? ['orders'] : null, serverAssignor: 'range',
  topicPartitions: owned === null ? null : [{ topicId: T, partitions: owned }].filter((tp) => tp.partitions.length > 0),
  clientId: 'next', clientHost: '/127.0.0.1',
});

/** A Stable classic group of two members: the first owns 0-1, the second 2-3. */
async function classicGroup(c: GroupCoordinator, timer: FakeTimer) {
  let settled = 0;
  const a = c.joinGroup(join('')).finally(() => settled++);
  const b = c.joinGroup(join('')).finally(() => settled++);
  for (let i = 0; i < 10 && settled < 2; i++) await timer.advance(1_000);
  const [ja, jb] = await Promise.all([a, b]);
  const leader = ja.leader === ja.memberId ? ja : jb;
  const other = leader === ja ? jb : ja;
  const assignments = [{ memberId: leader.memberId, assignment: assignment([0, 1]) }, { memberId: other.memberId, assignment: assignment([2, 3]) }];
  await Promise.all([
    c.syncGroup({ groupId: 'g', generationId: leader.generationId, memberId: leader.memberId, assignments }),
    c.syncGroup({ groupId: 'g', generationId: other.generationId, memberId: other.memberId, assignments: [] }),
  ]);
  return { a: leader.memberId, b: other.memberId, generation: leader.generationId };
}

/** Every partition each member holds, from ConsumerGroupDescribe; none may be held twice. */
function holdings(c: GroupCoordinator): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const seen = new Set<number>();
  for (const m of c.consumerGroupDescribe(['g'])[0].members) {
    const ps = [...(fromWire(m.assignment.topicPartitions).get(T) ?? [])].sort();
    for (const p of ps) {
      expect(seen.has(p)).toBe(false);
      seen.add(p);
    }
    out.set(m.memberId, ps);
  }
  return out;
}

describe('online migration between classic and consumer groups (fake time)', () => {
  it('upgrades a classic group with members, runs classic and KIP-848 members together, and downgrades when the last KIP-848 member leaves', async () => {
    const log = new MemoryLog();
    const timer = new FakeTimer();
    const c = await coordinator(log, timer);
    const { a, b, generation } = await classicGroup(c, timer);

    // Upgrade: the classic members stay, with the epoch of their generation and their partitions.
    const c1 = await c.consumerGroupHeartbeat(hb('C', 0, []));
    expect(c1).toMatchObject({ errorCode: ErrorCode.NONE, memberEpoch: generation + 1 });
    expect(c1.assignment?.topicPartitions ?? []).toEqual([]); // everything is still held by A and B
    expect(c.listGroups([]).groups).toEqual([expect.objectContaining({ groupId: 'g', groupType: 'consumer' })]);
    expect(holdings(c)).toEqual(new Map([[a, [0, 1]], [b, [2, 3]], ['C', []]]));
    const types = new Map(c.consumerGroupDescribe(['g'])[0].members.map((m) => [m.memberId, m.memberType]));
    expect(types).toEqual(new Map([[a, 0], [b, 0], ['C', 1]]));

    // A classic heartbeat in the old generation: rejoin. The eager rejoin releases everything.
    expect(c.heartbeat({ groupId: 'g', generationId: generation, memberId: a }).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(c.heartbeat({ groupId: 'g', generationId: generation - 1, memberId: a }).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    const ja = await c.joinGroup({ ...join(a), requireKnownMemberId: true });
    expect(ja).toMatchObject({ errorCode: ErrorCode.NONE, memberId: a, generationId: generation + 1, protocolType: 'consumer', protocolName: 'range', members: [] });
    const sa = await c.syncGroup({ groupId: 'g', generationId: ja.generationId, memberId: a, assignments: [] });
    expect(sa.errorCode).toBe(ErrorCode.NONE);

    // Mixed operation: classic members heartbeat and rejoin (cooperatively, telling what they own)
    // when told to; C heartbeats with what it owns. No partition is ever held twice, and the group
    // settles with every partition owned.
    const owned = new Map<string, number[]>([[a, decoded(sa.assignment)], [b, [2, 3]], ['C', []]]);
    const generations = new Map<string, number>([[a, ja.generationId], [b, generation]]);
    let cEpoch = c1.memberEpoch;
    for (let round = 0; round < 6; round++) {
      for (const m of [a, b]) {
        if (c.heartbeat({ groupId: 'g', generationId: generations.get(m)!, memberId: m }).errorCode !== ErrorCode.REBALANCE_IN_PROGRESS) continue;
        const j = await c.joinGroup(join(m, owned.get(m)!));
        expect(j.errorCode).toBe(ErrorCode.NONE);
        generations.set(m, j.generationId);
        owned.set(m, decoded((await c.syncGroup({ groupId: 'g', generationId: j.generationId, memberId: m, assignments: [] })).assignment));
        holdings(c);
      }
      const r = await c.consumerGroupHeartbeat(hb('C', cEpoch, owned.get('C')!));
      expect(r.errorCode).toBe(ErrorCode.NONE);
      cEpoch = r.memberEpoch;
      if (r.assignment) owned.set('C', [...(fromWire(r.assignment.topicPartitions).get(T) ?? [])].sort());
      holdings(c);
    }
    expect([...owned.values()].flat().sort()).toEqual([0, 1, 2, 3]);
    expect(owned.get('C')!.length).toBeGreaterThan(0);
    expect(c.consumerGroupDescribe(['g'])[0].groupState).toBe('Stable');
    const c2 = { memberEpoch: cEpoch };

    // The coordinator moves: the classic members are rebuilt with their classic metadata.
    c.close();
    const d = await coordinator(log, timer);
    expect(d.runtime.read(0, (s) => s.consumer.groups.get('g')?.members.get(a)?.classicMemberMetadata?.sessionTimeoutMs)).toBe(SESSION);
    expect(d.heartbeat({ groupId: 'g', generationId: generations.get(a)!, memberId: a }).errorCode).toBe(ErrorCode.NONE);

    // Downgrade: the KIP-848 member leaves; the group is classic again and rebalances.
    expect((await d.consumerGroupHeartbeat(hb('C', c2.memberEpoch, null))).errorCode).toBe(ErrorCode.NONE);
    expect((await d.consumerGroupHeartbeat({ ...hb('C', -1, null) })).errorCode).toBe(ErrorCode.NONE);
    expect(d.consumerGroupDescribe(['g'])[0].errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    expect(d.listGroups([]).groups).toEqual([{ groupId: 'g', protocolType: 'consumer', groupState: 'PreparingRebalance' }]);
    const hbA = d.heartbeat({ groupId: 'g', generationId: generations.get(a)!, memberId: a }).errorCode;
    expect([ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.ILLEGAL_GENERATION]).toContain(hbA);
    let rejoined = 0;
    const rejoins = [d.joinGroup(join(a)), d.joinGroup(join(b))].map((p) => p.finally(() => rejoined++));
    for (let i = 0; i < 30 && rejoined < 2; i++) await timer.advance(1_000);
    const [ra, rb] = await Promise.all(rejoins);
    expect(ra.errorCode).toBe(ErrorCode.NONE);
    expect(rb.errorCode).toBe(ErrorCode.NONE);
    expect(ra.generationId).toBeGreaterThan(generations.get(a)!);
    expect(d.describeGroups(['g'])[0]).toMatchObject({ errorCode: ErrorCode.NONE, groupState: 'CompletingRebalance' });
    d.close();
  });

  it('times out a classic member inside a consumer group on its own session timeout', async () => {
    const log = new MemoryLog();
    const timer = new FakeTimer();
    const c = await coordinator(log, timer, { consumerSessionTimeoutMs: 60_000 });
    const { a, b } = await classicGroup(c, timer);
    await c.consumerGroupHeartbeat(hb('C', 0, []));
    // C and B keep heartbeating; A falls silent and is removed after its 10 s session.
    for (let t = 0; t < 3; t++) {
      await timer.advance(SESSION / 2);
      await c.consumerGroupHeartbeat(hb('C', c.consumerGroupDescribe(['g'])[0].members.find((m) => m.memberId === 'C')!.memberEpoch, null));
      c.heartbeat({ groupId: 'g', generationId: c.consumerGroupDescribe(['g'])[0].members.find((m) => m.memberId === b)!.memberEpoch, memberId: b });
    }
    const ids = c.consumerGroupDescribe(['g'])[0].members.map((m) => m.memberId);
    expect(ids).not.toContain(a);
    expect(ids).toContain(b);
    expect(c.heartbeat({ groupId: 'g', generationId: 1, memberId: a }).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    c.close();
  });

  it('leaves a classic group with members alone when the policy allows no upgrade; a classic LeaveGroup downgrades nothing', async () => {
    const log = new MemoryLog();
    const timer = new FakeTimer();
    const c = await coordinator(log, timer, { consumerMigrationPolicy: 'downgrade' });
    await classicGroup(c, timer);
    const refused = await c.consumerGroupHeartbeat(hb('C', 0, []));
    expect(refused.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    expect(refused.errorMessage).toContain('group.consumer.migration.policy');
    expect(c.describeGroups(['g'])[0]).toMatchObject({ errorCode: ErrorCode.NONE, groupState: 'Stable' });
    c.close();

    const log2 = new MemoryLog();
    const timer2 = new FakeTimer();
    const e = await coordinator(log2, timer2, { consumerMigrationPolicy: 'upgrade' });
    const { a } = await classicGroup(e, timer2);
    await e.consumerGroupHeartbeat(hb('C', 0, []));
    // A classic member leaving keeps the consumer group; the last KIP-848 one leaving with policy
    // `upgrade` does not downgrade it either.
    expect((await e.leaveGroup({ groupId: 'g', members: [{ memberId: a }] })).members[0].errorCode).toBe(ErrorCode.NONE);
    await e.consumerGroupHeartbeat(hb('C', -1, null));
    expect(e.consumerGroupDescribe(['g'])[0]).toMatchObject({ errorCode: ErrorCode.NONE });
    expect(e.consumerGroupDescribe(['g'])[0].members).toHaveLength(1);
    e.close();
  });

  it('keeps the protocols apart: errors a classic or KIP-848 member gets for the other protocol\'s requests', async () => {
    const log = new MemoryLog();
    const timer = new FakeTimer();
    const c = await coordinator(log, timer);
    const { a } = await classicGroup(c, timer);
    const joined = await c.consumerGroupHeartbeat(hb('C', 0, []));
    // A classic member's id on ConsumerGroupHeartbeat, a KIP-848 member's on the classic requests.
    expect((await c.consumerGroupHeartbeat(hb(a, 1, []))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(c.heartbeat({ groupId: 'g', generationId: joined.memberEpoch, memberId: 'C' }).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await c.syncGroup({ groupId: 'g', generationId: joined.memberEpoch, memberId: 'C', assignments: [] })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await c.joinGroup(join('C'))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    // No protocol in common with the classic members, another protocol type, or a bad subscription.
    expect((await c.joinGroup({ ...join(''), protocols: [{ name: 'roundrobin', metadata: subscription() }] })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await c.joinGroup({ ...join(''), protocolType: 'connect' })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await c.joinGroup({ ...join(''), protocols: [{ name: 'range', metadata: Buffer.from([0, 1, 0]) }] })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    // KIP-394 inside a consumer group: the id first, nothing recorded until the member comes back with it.
    const required = await c.joinGroup({ ...join(''), requireKnownMemberId: true });
    expect(required.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(c.consumerGroupDescribe(['g'])[0].members).toHaveLength(3);
    const third = await c.joinGroup({ ...join(required.memberId), requireKnownMemberId: true });
    expect(third).toMatchObject({ errorCode: ErrorCode.NONE, memberId: required.memberId });
    expect(c.consumerGroupDescribe(['g'])[0].members).toHaveLength(4);
    // SyncGroup in another generation.
    expect((await c.syncGroup({ groupId: 'g', generationId: third.generationId + 7, memberId: third.memberId, assignments: [] })).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    c.close();
  });
});
