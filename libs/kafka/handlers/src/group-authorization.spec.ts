// The consumer-group APIs check Kafka's ACLs before the coordinator is asked: these specs run
// the real handlers against a recording group port and a security port that grants only the
// listed (operation, resource type, name) triples.
import { decodeRequestBody, decodeRequestHeader, encodeRequest } from '@dms/kafka-codec';
import { ErrorCode } from '@dms/kafka-errors';
import { Operation, Resource } from './authorize';
import { offsetCommitHandler } from './08-offset-commit';
import { offsetFetchHandler } from './09-offset-fetch';
import { findCoordinatorHandler } from './10-find-coordinator';
import { joinGroupHandler } from './11-join-group';
import { heartbeatHandler } from './12-heartbeat';
import { leaveGroupHandler } from './13-leave-group';
import { syncGroupHandler } from './14-sync-group';
import { describeGroupsHandler } from './15-describe-groups';
import { listGroupsHandler } from './16-list-groups';
import { deleteGroupsHandler } from './42-delete-groups';
import { txnOffsetCommitHandler } from './28-txn-offset-commit';
import { offsetDeleteHandler } from './47-offset-delete';
import { consumerGroupHeartbeatHandler } from './68-consumer-group-heartbeat';
import { consumerGroupDescribeHandler } from './69-consumer-group-describe';
import type { GroupPort, RequestContext, SecurityPort, TopicView } from './ports';

type Grant = [operation: number, resourceType: number, name: string];

function context(grants: Grant[], topics: string[] = ['t', 'u']) {
  const calls: { api: string; input: any }[] = [];
  const record = (api: string, answer: (input: any) => any) => (input: any): Promise<any> => {
    calls.push({ api, input });
    return Promise.resolve(answer(input));
  };
  const groups: GroupPort = {
    findCoordinator: record('findCoordinator', (key) => ({ key, errorCode: 0, errorMessage: null, nodeId: 1, host: 'h', port: 9 })),
    joinGroup: record('joinGroup', () => ({ errorCode: 0, generationId: 1, leader: 'm', skipAssignment: false, memberId: 'm', members: [] })),
    syncGroup: record('syncGroup', () => ({ errorCode: 0, assignment: Buffer.alloc(0) })),
    heartbeat: record('heartbeat', () => ({ errorCode: 0 })),
    leaveGroup: record('leaveGroup', (i) => ({ errorCode: 0, members: i.members.map((m: any) => ({ ...m, errorCode: 0 })) })),
    offsetCommit: record('offsetCommit', (i) => ({
      topics: i.topics.map((t: any) => ({ name: t.name, partitions: t.partitions.map((p: any) => ({ partitionIndex: p.partitionIndex, errorCode: 0 })) })),
    })),
    txnOffsetCommit: record('txnOffsetCommit', (i) => ({
      topics: i.topics.map((t: any) => ({ name: t.name, partitions: t.partitions.map((p: any) => ({ partitionIndex: p.partitionIndex, errorCode: 0 })) })),
    })),
    offsetFetch: record('offsetFetch', (i) => ({
      errorCode: 0,
      topics: (i.allTopics ? [{ name: 't', partitionIndexes: [0] }, { name: 'u', partitionIndexes: [0] }] : i.topics).map((t: any) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p: number) => ({ partitionIndex: p, committedOffset: 5n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 })),
      })),
    })),
    offsetDelete: record('offsetDelete', (i) => ({
      errorCode: 0,
      topics: i.topics.map((t: any) => ({ name: t.name, partitions: t.partitionIndexes.map((p: number) => ({ partitionIndex: p, errorCode: 0 })) })),
    })),
    describeGroups: record('describeGroups', (ids: string[]) => ids.map((groupId) => ({ errorCode: 0, groupId, groupState: 'Stable', protocolType: 'consumer', protocolData: 'range', members: [] }))),
    listGroups: record('listGroups', () => ({ errorCode: 0, groups: ['g', 'h'].map((groupId) => ({ groupId, protocolType: 'consumer', groupState: 'Stable' })) })),
    deleteGroups: record('deleteGroups', (ids: string[]) => ids.map((groupId) => ({ groupId, errorCode: 0 }))),
    consumerGroupHeartbeat: record('consumerGroupHeartbeat', (i) => ({
      errorCode: 0, errorMessage: null, memberId: i.memberId, memberEpoch: 1, heartbeatIntervalMs: 5000, assignment: null,
    })),
    consumerGroupDescribe: record('consumerGroupDescribe', (ids: string[]) => ids.map((groupId) => ({
      errorCode: 0, errorMessage: null, groupId, groupState: 'Stable', groupEpoch: 1, assignmentEpoch: 1, assignorName: 'uniform', authorizedOperations: 0,
      members: [{
        memberId: 'm', instanceId: null, rackId: null, memberEpoch: 1, clientId: 'c', clientHost: 'h', subscribedTopicNames: [groupId === 'g' ? 't' : 'u'],
        subscribedTopicRegex: null, assignment: { topicPartitions: [{ topicId: 'x', topicName: groupId === 'g' ? 't' : 'u', partitions: [0] }] },
        targetAssignment: { topicPartitions: [] }, memberType: 1,
      }],
    }))),
  };
  const security = {
    authorizerEnabled: () => true,
    authorize: (_principal: string, _host: string, operation: number, resourceType: number, name: string) =>
      grants.some(([o, r, n]) => o === operation && r === resourceType && n === name),
  } as unknown as SecurityPort;
  const views = new Map<string, TopicView>(topics.map((name) => [name, {
    name, topicId: name, internal: false, configs: {},
    partitions: [0, 1].map((partition) => ({ partition, storageLeader: 1, advertisedLeader: 1, leaderAvailable: true, leaderEpoch: 0, replicas: [1], isr: [1] })),
  }]));
  const ctx = {
    clientId: 'spec',
    clientHost: '127.0.0.1',
    cluster: { topic: (n: string) => views.get(n) } as unknown as RequestContext['cluster'],
    groups,
    security,
  } as unknown as RequestContext;
  return { ctx, calls };
}

const { READ, WRITE, DESCRIBE, DELETE } = Operation;
const { GROUP, TOPIC, CLUSTER, TRANSACTIONAL_ID } = Resource;

describe('FindCoordinator', () => {
  it('needs DESCRIBE on the group (key type 0) and on the transactional id (key type 1), per key', async () => {
    const { ctx, calls } = context([[DESCRIBE, GROUP, 'g'], [DESCRIBE, TRANSACTIONAL_ID, 'tx']]);
    const res = await findCoordinatorHandler.handle(ctx, { keyType: 0, coordinatorKeys: ['g', 'h'] }, 4);
    expect(res.coordinators.map((c: any) => c.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.GROUP_AUTHORIZATION_FAILED]);
    expect(calls.map((c) => c.input)).toEqual(['g']);
    const old = await findCoordinatorHandler.handle(ctx, { keyType: 0, key: 'h' }, 2);
    expect(old.errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const tx = await findCoordinatorHandler.handle(ctx, { keyType: 1, coordinatorKeys: ['tx', 'other'] }, 4);
    expect(tx.coordinators[1].errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    expect(tx.coordinators[0].errorCode).not.toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  });
});

describe('membership APIs need READ on the group', () => {
  const cases: [string, any, any, number][] = [
    ['JoinGroup', joinGroupHandler, { groupId: 'h', memberId: '', sessionTimeoutMs: 1, rebalanceTimeoutMs: 1, protocolType: 'consumer', protocols: [] }, 9],
    ['SyncGroup', syncGroupHandler, { groupId: 'h', generationId: 1, memberId: 'm', assignments: [] }, 5],
    ['Heartbeat', heartbeatHandler, { groupId: 'h', generationId: 1, memberId: 'm' }, 4],
    ['LeaveGroup', leaveGroupHandler, { groupId: 'h', members: [{ memberId: 'm' }] }, 5],
  ];
  it.each(cases)('%s', async (_name, handler, req, version) => {
    const refused = context([[DESCRIBE, GROUP, 'h'], [READ, GROUP, 'g']]);
    expect((await handler.handle(refused.ctx, req, version)).errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    expect(refused.calls).toEqual([]);
    const allowed = context([[READ, GROUP, 'h']]);
    expect((await handler.handle(allowed.ctx, req, version)).errorCode).toBe(ErrorCode.NONE);
    expect(allowed.calls).toHaveLength(1);
  });
});

describe('OffsetCommit', () => {
  const req = { groupId: 'g', generationIdOrMemberEpoch: 1, memberId: 'm', topics: [
    { name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n }] },
    { name: 'u', partitions: [{ partitionIndex: 0, committedOffset: 1n }, { partitionIndex: 1, committedOffset: 1n }] },
    { name: 'gone', partitions: [{ partitionIndex: 0, committedOffset: 1n }] },
  ] };
  const codes = (res: any) => res.topics.map((t: any) => t.partitions.map((p: any) => p.errorCode));

  it('serves v1, the version sarama 1.22 commits with, passing its generation and member on', async () => {
    expect(offsetCommitHandler.minVersion).toBeLessThanOrEqual(1);
    const frame = encodeRequest({ requestApiKey: 8, requestApiVersion: 1, correlationId: 1, clientId: 'sarama' }, {
      groupId: 'g', generationIdOrMemberEpoch: 4, memberId: 'm-1',
      topics: [{ name: 't', partitions: [{ partitionIndex: 1, committedOffset: 42n, commitTimestamp: -1n, committedMetadata: '' }] }],
    }).subarray(4);
    const { header, bodyOffset } = decodeRequestHeader(frame);
    const body = decodeRequestBody(8, header.requestApiVersion, frame, bodyOffset);
    const { ctx, calls } = context([[READ, GROUP, 'g'], [READ, TOPIC, 't']]);
    const res = await offsetCommitHandler.handle(ctx, body, 1);
    expect(codes(res)).toEqual([[ErrorCode.NONE]]);
    expect(calls[0].input).toMatchObject({ groupId: 'g', generationId: 4, memberId: 'm-1', topics: [{ name: 't', partitions: [{ partitionIndex: 1, committedOffset: 42n }] }] });
  });

  it('answers GROUP_AUTHORIZATION_FAILED for every partition without READ on the group', async () => {
    const { ctx, calls } = context([[READ, TOPIC, 't'], [READ, TOPIC, 'u']]);
    expect(codes(await offsetCommitHandler.handle(ctx, req, 8))).toEqual([[30], [30, 30], [30]]);
    expect(calls).toEqual([]);
  });

  it('answers TOPIC_AUTHORIZATION_FAILED per partition of a topic without READ, before existence', async () => {
    const { ctx, calls } = context([[READ, GROUP, 'g'], [READ, TOPIC, 't']]);
    const res = await offsetCommitHandler.handle(ctx, req, 8);
    expect(codes(res)).toEqual([[0], [ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.TOPIC_AUTHORIZATION_FAILED], [ErrorCode.TOPIC_AUTHORIZATION_FAILED]]);
    expect(calls[0].input.topics.map((t: any) => t.name)).toEqual(['t']);
  });
});

describe('TxnOffsetCommit', () => {
  const req = { transactionalId: 'tx', groupId: 'g', producerId: 7n, producerEpoch: 2, topics: [
    { name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] },
    { name: 'u', partitions: [{ partitionIndex: 1, committedOffset: 1n, committedMetadata: null }] },
    { name: 'gone', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] },
  ] };
  const codes = (res: any) => res.topics.map((t: any) => t.partitions.map((p: any) => p.errorCode));
  const all = [[READ, GROUP, 'g'], [READ, TOPIC, 't'], [READ, TOPIC, 'u'], [READ, TOPIC, 'gone']] as Grant[];

  it('needs WRITE on the transactional id, then READ on the group, for every partition', async () => {
    const noTxn = context(all);
    expect(codes(await txnOffsetCommitHandler.handle(noTxn.ctx, req, 3))).toEqual([[53], [53], [53]]);
    const noGroup = context([[WRITE, TRANSACTIONAL_ID, 'tx'], [READ, TOPIC, 't']]);
    expect(codes(await txnOffsetCommitHandler.handle(noGroup.ctx, req, 3))).toEqual([[30], [30], [30]]);
    expect([...noTxn.calls, ...noGroup.calls]).toEqual([]);
  });

  it('refuses topics without READ before existence and passes producer, generation and member on', async () => {
    const { ctx, calls } = context([[WRITE, TRANSACTIONAL_ID, 'tx'], [READ, GROUP, 'g'], [READ, TOPIC, 't'], [READ, TOPIC, 'gone']]);
    const v3 = { ...req, generationId: 4, memberId: 'm-1', groupInstanceId: null };
    expect(codes(await txnOffsetCommitHandler.handle(ctx, v3, 3)))
      .toEqual([[0], [ErrorCode.TOPIC_AUTHORIZATION_FAILED], [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
    expect(calls).toEqual([{ api: 'txnOffsetCommit', input: {
      transactionalId: 'tx', groupId: 'g', producerId: 7n, producerEpoch: 2, generationId: 4, memberId: 'm-1', groupInstanceId: undefined,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: undefined }] }],
    } }]);
  });

  it('decodes v0 (kafkajs) as a commit without generation or member', async () => {
    const frame = encodeRequest({ requestApiKey: 28, requestApiVersion: 0, correlationId: 1, clientId: 'kafkajs' }, req).subarray(4);
    const { header, bodyOffset } = decodeRequestHeader(frame);
    const body = decodeRequestBody(28, header.requestApiVersion, frame, bodyOffset);
    const { ctx, calls } = context([[WRITE, TRANSACTIONAL_ID, 'tx'], [READ, GROUP, 'g'], [READ, TOPIC, 't']], ['t']);
    await txnOffsetCommitHandler.handle(ctx, { ...body, topics: [body.topics[0]] }, 0);
    expect(calls[0].input).toMatchObject({ generationId: -1, memberId: '', producerId: 7n, producerEpoch: 2 });
  });
});

describe('OffsetFetch', () => {
  it('needs DESCRIBE on the group', async () => {
    const { ctx, calls } = context([[DESCRIBE, TOPIC, 't']]);
    const res = await offsetFetchHandler.handle(ctx, { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }] }, 7);
    expect(res.errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    expect(calls).toEqual([]);
  });

  it('refuses asked-for partitions of undescribable topics and leaves them out of an all-partitions answer', async () => {
    const { ctx } = context([[DESCRIBE, GROUP, 'g'], [DESCRIBE, TOPIC, 't']]);
    const asked = await offsetFetchHandler.handle(ctx, { groupId: 'g', topics: [{ name: 'u', partitionIndexes: [0, 1] }, { name: 't', partitionIndexes: [0] }] }, 7);
    expect(asked.errorCode).toBe(ErrorCode.NONE);
    expect(asked.topics.map((t: any) => [t.name, t.partitions.map((p: any) => [p.errorCode, p.committedOffset])])).toEqual([
      ['u', [[ErrorCode.TOPIC_AUTHORIZATION_FAILED, -1n], [ErrorCode.TOPIC_AUTHORIZATION_FAILED, -1n]]],
      ['t', [[ErrorCode.NONE, 5n]]],
    ]);
    const all = await offsetFetchHandler.handle(ctx, { groupId: 'g', topics: null }, 7);
    expect(all.topics.map((t: any) => t.name)).toEqual(['t']);
  });

  it('checks each group of a v8 request on its own', async () => {
    const { ctx } = context([[DESCRIBE, GROUP, 'g'], [DESCRIBE, TOPIC, 't']]);
    const res = await offsetFetchHandler.handle(ctx, { groups: [{ groupId: 'g', topics: null }, { groupId: 'h', topics: null }] }, 8);
    expect(res.groups.map((g: any) => [g.groupId, g.errorCode])).toEqual([['g', 0], ['h', ErrorCode.GROUP_AUTHORIZATION_FAILED]]);
  });

  it('passes require_stable (v7+) to the coordinator, per group of a v8 request', async () => {
    const { ctx, calls } = context([[DESCRIBE, GROUP, 'g'], [DESCRIBE, TOPIC, 't']]);
    await offsetFetchHandler.handle(ctx, { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }], requireStable: true }, 7);
    await offsetFetchHandler.handle(ctx, { groups: [{ groupId: 'g', topics: null }], requireStable: true }, 8);
    await offsetFetchHandler.handle(ctx, { groupId: 'g', topics: null }, 6);
    expect(calls.map((c) => c.input.requireStable)).toEqual([true, true, false]);
  });
});

describe('group administration', () => {
  it('DescribeGroups answers GROUP_AUTHORIZATION_FAILED for groups without DESCRIBE, in the order asked', async () => {
    const { ctx, calls } = context([[DESCRIBE, GROUP, 'h']]);
    const res = await describeGroupsHandler.handle(ctx, { groups: ['g', 'h'] }, 5);
    expect(res.groups.map((g: any) => [g.groupId, g.errorCode])).toEqual([['g', ErrorCode.GROUP_AUTHORIZATION_FAILED], ['h', 0]]);
    expect(calls[0].input).toEqual(['h']);
  });

  it('ListGroups lists everything with DESCRIBE on the cluster, else only describable groups', async () => {
    const all = context([[DESCRIBE, CLUSTER, 'kafka-cluster']]);
    expect((await listGroupsHandler.handle(all.ctx, { statesFilter: [] }, 4)).groups.map((g: any) => g.groupId)).toEqual(['g', 'h']);
    const some = context([[DESCRIBE, GROUP, 'h']]);
    const res = await listGroupsHandler.handle(some.ctx, { statesFilter: [] }, 4);
    expect(res.errorCode).toBe(ErrorCode.NONE);
    expect(res.groups.map((g: any) => g.groupId)).toEqual(['h']);
  });

  it('DeleteGroups needs DELETE on each group', async () => {
    const { ctx, calls } = context([[DELETE, GROUP, 'g'], [DESCRIBE, GROUP, 'h']]);
    const res = await deleteGroupsHandler.handle(ctx, { groupsNames: ['g', 'h'] }, 2);
    expect(res.results).toEqual([{ groupId: 'g', errorCode: 0 }, { groupId: 'h', errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED }]);
    expect(calls[0].input).toEqual(['g']);
  });

  it('OffsetDelete needs DELETE on the group and READ on each topic', async () => {
    const req = { groupId: 'g', topics: [{ name: 't', partitions: [{ partitionIndex: 0 }] }, { name: 'u', partitions: [{ partitionIndex: 0 }] }] };
    const noGroup = context([[READ, GROUP, 'g'], [READ, TOPIC, 't']]);
    expect((await offsetDeleteHandler.handle(noGroup.ctx, req, 0)).errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    expect(noGroup.calls).toEqual([]);
    const { ctx, calls } = context([[DELETE, GROUP, 'g'], [READ, TOPIC, 't']]);
    const res = await offsetDeleteHandler.handle(ctx, req, 0);
    expect(res.topics.map((t: any) => [t.name, t.partitions[0].errorCode])).toEqual([['t', 0], ['u', ErrorCode.TOPIC_AUTHORIZATION_FAILED]]);
    expect(calls[0].input.topics).toEqual([{ name: 't', partitionIndexes: [0] }]);
  });
});

describe('ConsumerGroupHeartbeat', () => {
  const join = (over: object = {}) => ({
    groupId: 'g', memberId: 'm1', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30000,
    subscribedTopicNames: ['t'], subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [], ...over,
  });

  it('needs READ on the group and DESCRIBE on each subscribed topic, naming the denied ones', async () => {
    const noGroup = context([[DESCRIBE, TOPIC, 't']]);
    expect((await consumerGroupHeartbeatHandler.handle(noGroup.ctx, join(), 1))!.errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const noTopic = context([[READ, GROUP, 'g'], [DESCRIBE, TOPIC, 't']]);
    const res = (await consumerGroupHeartbeatHandler.handle(noTopic.ctx, join({ subscribedTopicNames: ['t', 'u'] }), 1))!;
    expect(res).toMatchObject({ errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Unauthorized topics: u' });
    expect(noGroup.calls.length + noTopic.calls.length).toBe(0);
    const ok = context([[READ, GROUP, 'g'], [DESCRIBE, TOPIC, 't']]);
    expect((await consumerGroupHeartbeatHandler.handle(ok.ctx, join(), 1))!).toMatchObject({ errorCode: 0, memberId: 'm1', memberEpoch: 1 });
    expect(ok.calls[0].input).toMatchObject({ groupId: 'g', memberId: 'm1', clientId: 'spec', clientHost: '127.0.0.1' });
  });

  it('v1 needs a client-generated member id; v0 lets the coordinator pick it at join', async () => {
    const { ctx, calls } = context([[READ, GROUP, 'g'], [DESCRIBE, TOPIC, 't']]);
    expect((await consumerGroupHeartbeatHandler.handle(ctx, join({ memberId: '' }), 1))!).toMatchObject({
      errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'MemberId can\'t be empty.',
    });
    expect(calls).toHaveLength(0);
    expect((await consumerGroupHeartbeatHandler.handle(ctx, join({ memberId: '' }), 0))!.errorCode).toBe(0);
    expect((await consumerGroupHeartbeatHandler.handle(ctx, join({ memberId: '', memberEpoch: 3 }), 0))!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await consumerGroupHeartbeatHandler.handle(ctx, join({ instanceId: '' }), 1))!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });
});

describe('ConsumerGroupDescribe', () => {
  it('needs DESCRIBE on each group, and on the topics its members use', async () => {
    const { ctx } = context([[DESCRIBE, GROUP, 'g'], [DESCRIBE, GROUP, 'h'], [DESCRIBE, TOPIC, 't']]);
    const res = (await consumerGroupDescribeHandler.handle(ctx, { groupIds: ['g', 'h', 'x'], includeAuthorizedOperations: false }, 1))!;
    expect(res.groups.map((g) => g.errorCode)).toEqual([0, ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.GROUP_AUTHORIZATION_FAILED]);
    expect(res.groups[0].members[0].memberType).toBe(1);
    expect(res.groups[1].members).toEqual([]);
    const v0 = (await consumerGroupDescribeHandler.handle(ctx, { groupIds: ['g'], includeAuthorizedOperations: false }, 0))!;
    expect(v0.groups[0].members[0].memberType).toBeUndefined();
  });
});
