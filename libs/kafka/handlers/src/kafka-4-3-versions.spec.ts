// What the versions Kafka added up to 4.3 (and the old versions Kafka 4.0 removed that DMS keeps)
// mean at the gateway. Each request goes through the codec at its version, the real handler runs
// against recording ports, and the answer is encoded and decoded again at that version, so the
// new fields are checked on the wire as well.
import { decodeRequestBody, decodeRequestHeader, decodeResponse, encodeRequest, encodeResponse } from '@dms/kafka-codec';
import { ErrorCode } from '@dms/kafka-errors';
import { produceHandler } from './00-produce';
import { listOffsetsHandler } from './02-list-offsets';
import { metadataHandler } from './03-metadata';
import { offsetCommitHandler } from './08-offset-commit';
import { offsetFetchHandler } from './09-offset-fetch';
import { findCoordinatorHandler } from './10-find-coordinator';
import { describeGroupsHandler } from './15-describe-groups';
import { listGroupsHandler } from './16-list-groups';
import { createTopicsHandler } from './19-create-topics';
import { deleteTopicsHandler } from './20-delete-topics';
import { endTxnHandler } from './26-end-txn';
import { describeLogDirsHandler } from './35-describe-log-dirs';
import { describeClusterHandler } from './60-describe-cluster';
import { listTransactionsHandler } from './66-list-transactions';
import type { KafkaHandler } from './handler';
import type { RequestContext, TopicView } from './ports';

const ORDERS_ID = '6a1c0c4e-1111-4000-8000-000000000001';
const UNKNOWN_ID = '6a1c0c4e-9999-4000-8000-000000000009';

function fixture() {
  const calls: { api: string; input: any }[] = [];
  const record = (api: string, answer: (...args: any[]) => any) => (...args: any[]): Promise<any> => {
    calls.push({ api, input: args.length === 1 ? args[0] : args });
    return Promise.resolve(answer(...args));
  };
  const orders: TopicView = {
    name: 'orders', topicId: ORDERS_ID, internal: false, configs: {},
    partitions: [0, 1].map((partition) => ({ partition, storageLeader: 1, advertisedLeader: 7, leaderAvailable: true, leaderEpoch: 3, replicas: [1], isr: [1] })),
  };
  const cluster = {
    clusterId: () => 'c1',
    controllerId: () => 7,
    nodes: () => [{ nodeId: 7, host: 'gw', port: 9092, rack: null }],
    topics: () => [orders],
    topic: (n: string) => (n === 'orders' ? orders : undefined),
    topicById: (id: string) => (id === ORDERS_ID ? orders : undefined),
    config: { messageMaxBytes: 1 << 20, autoCreateTopicsEnable: false },
    awaitTopics: async () => undefined,
    topicConfigLayers: () => ({ perBroker: {}, clusterDefault: {}, static: {} }),
    cordonedBrokers: () => new Set([2]),
  };
  const storage = {
    produce: record('produce', (_acks: number, _timeout: number, parts: any[]) =>
      parts.map((p) => ({ topic: p.topic, partition: p.partition, errorCode: 0, errorMessage: null, baseOffset: 10n, logAppendTimeMs: -1n, logStartOffset: 0n }))),
    listOffsets: record('listOffsets', (_iso: number, parts: any[]) =>
      parts.map((p) => ({ topic: p.topic, partition: p.partition, errorCode: 0, timestamp: -1n, offset: p.timestamp === -2n ? 4n : p.timestamp === -1n ? 42n : -1n, leaderEpoch: 3 }))),
    describeLogDirs: record('describeLogDirs', () => [
      { brokerId: 1, logDir: '/data', errorCode: 0, totalBytes: 100n, usableBytes: 50n, partitions: [] },
      { brokerId: 2, logDir: '/data2', errorCode: 0, totalBytes: 100n, usableBytes: 50n, partitions: [] },
    ]),
  };
  const groups = {
    offsetCommit: record('offsetCommit', (i: any) => ({
      topics: i.topics.map((t: any) => ({ name: t.name, partitions: t.partitions.map((p: any) => ({ partitionIndex: p.partitionIndex, errorCode: 0 })) })),
    })),
    offsetFetch: record('offsetFetch', (i: any) => ({
      errorCode: 0,
      topics: (i.allTopics ? [{ name: 'orders', partitionIndexes: [0] }, { name: 'deleted-topic', partitionIndexes: [0] }] : i.topics).map((t: any) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p: number) => ({ partitionIndex: p, committedOffset: 5n, committedLeaderEpoch: -1, metadata: 'm', errorCode: 0 })),
      })),
    })),
    describeGroups: record('describeGroups', (ids: string[]) => ids.map((groupId) => (groupId === 'live'
      ? { errorCode: 0, groupId, groupState: 'Stable', protocolType: 'consumer', protocolData: 'range', members: [] }
      : { errorCode: 0, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] }))),
    listGroups: record('listGroups', () => ({ errorCode: 0, groups: [{ groupId: 'g', protocolType: 'consumer', groupState: 'Stable' }] })),
  };
  const transactions = {
    endTxn: record('endTxn', () => ErrorCode.NONE),
    listTransactions: record('listTransactions', () => ({
      errorCode: 0,
      transactions: ['orders-writer-1', 'orders-writer-2', 'billing-1'].map((transactionalId, i) => ({ transactionalId, producerId: BigInt(i), transactionState: 'Ongoing' })),
    })),
  };
  const controller = {
    createTopics: record('createTopics', (specs: any[]) => specs.map((s) => ({ name: s.name, errorCode: 0, errorMessage: null, topicId: ORDERS_ID, numPartitions: 1, replicationFactor: 1, configs: [] }))),
    deleteTopics: record('deleteTopics', (names: string[]) => names.map((name) => ({ name, errorCode: 0, errorMessage: null }))),
  };
  const ctx = { clientId: 'spec', clientHost: '127.0.0.1', cluster, storage, groups, transactions, controller } as unknown as RequestContext;
  return { ctx, calls };
}

/** Request and answer through the codec at `version`: what a client would send and read. */
async function exchange(handler: KafkaHandler, version: number, request: object, ctx: RequestContext): Promise<any> {
  const frame = encodeRequest({ requestApiKey: handler.apiKey, requestApiVersion: version, correlationId: 9, clientId: 'spec' }, request);
  const { bodyOffset } = decodeRequestHeader(frame.subarray(4));
  const decoded = decodeRequestBody(handler.apiKey, version, frame.subarray(4), bodyOffset);
  const answer = await handler.handle(ctx, decoded, version);
  const out = encodeResponse(handler.apiKey, version, 9, answer as object);
  return decodeResponse(handler.apiKey, version, out.subarray(4)).body;
}

const batch = (): Buffer => {
  // The smallest valid magic-2 batch is built by the codec specs; here only the handler's id
  // resolution matters, so a malformed batch answers CORRUPT_MESSAGE after the topic was found.
  return Buffer.from('not a batch');
};

describe('Produce v13 (KIP-516 topic ids)', () => {
  it('resolves topics by id and answers UNKNOWN_TOPIC_ID for an unknown one, echoing the ids', async () => {
    const { ctx } = fixture();
    const res = await exchange(produceHandler, 13, {
      transactionalId: null, acks: 1, timeoutMs: 1000,
      topicData: [
        { topicId: ORDERS_ID, partitionData: [{ index: 0, records: batch() }, { index: 5, records: batch() }] },
        { topicId: UNKNOWN_ID, partitionData: [{ index: 0, records: batch() }] },
      ],
    }, ctx);
    expect(res.responses.map((t: any) => t.topicId)).toEqual([ORDERS_ID, UNKNOWN_ID]);
    expect(res.responses[0].partitionResponses.map((p: any) => p.errorCode)).toEqual([ErrorCode.CORRUPT_MESSAGE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    expect(res.responses[1].partitionResponses).toMatchObject([{ index: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_ID }]);
  });

  it('advertises v0-v13 but serves v3-v13 (v0-v2 close the connection at the gateway)', () => {
    expect([produceHandler.advertisedMinVersion, produceHandler.minVersion, produceHandler.maxVersion]).toEqual([0, 3, 13]);
  });
});

describe('ListOffsets v0 (Burrow) and v11', () => {
  it('v0 answers old-style offsets: latest, earliest, none for max_num_offsets 0', async () => {
    const { ctx } = fixture();
    const res = await exchange(listOffsetsHandler, 0, {
      replicaId: -1,
      topics: [{ name: 'orders', partitions: [
        { partitionIndex: 0, timestamp: -1n, maxNumOffsets: 1 },
        { partitionIndex: 1, timestamp: -2n, maxNumOffsets: 1 },
        { partitionIndex: 0, timestamp: -1n, maxNumOffsets: 0 },
      ] }, { name: 'nope', partitions: [{ partitionIndex: 0, timestamp: -1n, maxNumOffsets: 1 }] }],
    }, ctx);
    expect(res.topics[0].partitions.map((p: any) => [p.errorCode, p.oldStyleOffsets])).toEqual([[0, [42n]], [0, [4n]], [0, []]]);
    expect(res.topics[1].partitions[0]).toMatchObject({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, oldStyleOffsets: [] });
  });

  it('v11 earliest-pending-upload (-6) and latest-tiered (-5) answer offset -1 without asking storage', async () => {
    const { ctx, calls } = fixture();
    const res = await exchange(listOffsetsHandler, 11, {
      replicaId: -1, isolationLevel: 0, timeoutMs: 1000,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -6n }, { partitionIndex: 1, currentLeaderEpoch: -1, timestamp: -5n }] }],
    }, ctx);
    expect(res.topics[0].partitions.map((p: any) => [p.errorCode, p.offset, p.timestamp])).toEqual([[0, -1n, -1n], [0, -1n, -1n]]);
    expect(calls.filter((c) => c.api === 'listOffsets')).toEqual([]);
    const latest = await exchange(listOffsetsHandler, 11, {
      replicaId: -1, isolationLevel: 0, timeoutMs: 1000, topics: [{ name: 'orders', partitions: [{ partitionIndex: 1, currentLeaderEpoch: -1, timestamp: -1n }] }],
    }, ctx);
    expect(latest.topics[0].partitions[0]).toMatchObject({ errorCode: 0, offset: 42n, leaderEpoch: 3 });
  });
});

describe('Metadata v13', () => {
  it('carries the top-level error code (NONE)', async () => {
    const { ctx } = fixture();
    const res = await exchange(metadataHandler, 13, { topics: [{ topicId: ORDERS_ID, name: null }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }, ctx);
    expect(res.errorCode).toBe(ErrorCode.NONE);
    expect(res.topics[0]).toMatchObject({ name: 'orders', topicId: ORDERS_ID, errorCode: 0 });
  });
});

describe('OffsetCommit v0 and v10, OffsetFetch v0 and v10', () => {
  it('OffsetCommit v0 commits as a simple consumer (generation -1, no member)', async () => {
    const { ctx, calls } = fixture();
    const res = await exchange(offsetCommitHandler, 0, { groupId: 'g', topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 12n, committedMetadata: 'x' }] }] }, ctx);
    expect(res.topics).toEqual([{ name: 'orders', topicId: '00000000-0000-0000-0000-000000000000', partitions: [{ partitionIndex: 0, errorCode: 0 }] }]);
    expect(calls[0].input).toMatchObject({ groupId: 'g', generationId: -1, memberId: '', topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 12n }] }] });
  });

  it('OffsetCommit v10 names topics by id: known ones commit under their name, unknown ones answer UNKNOWN_TOPIC_ID', async () => {
    const { ctx, calls } = fixture();
    const res = await exchange(offsetCommitHandler, 10, {
      groupId: 'g', generationIdOrMemberEpoch: 4, memberId: 'm', groupInstanceId: null,
      topics: [
        { topicId: ORDERS_ID, partitions: [{ partitionIndex: 1, committedOffset: 3n, committedLeaderEpoch: 2, committedMetadata: null }] },
        { topicId: UNKNOWN_ID, partitions: [{ partitionIndex: 0, committedOffset: 3n, committedLeaderEpoch: -1, committedMetadata: null }] },
      ],
    }, ctx);
    expect(res.topics).toEqual([
      { name: '', topicId: ORDERS_ID, partitions: [{ partitionIndex: 1, errorCode: 0 }] },
      { name: '', topicId: UNKNOWN_ID, partitions: [{ partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_ID }] },
    ]);
    expect(calls.map((c) => c.input.topics.map((t: any) => t.name))).toEqual([['orders']]);
  });

  it('OffsetFetch v0 answers per partition like v1', async () => {
    const { ctx } = fixture();
    const res = await exchange(offsetFetchHandler, 0, { groupId: 'g', topics: [{ name: 'orders', partitionIndexes: [0] }] }, ctx);
    expect(res.topics).toEqual([{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, metadata: 'm', errorCode: 0 }] }]);
  });

  it('OffsetFetch v10 asks by id, answers UNKNOWN_TOPIC_ID for an unknown id, and leaves id-less topics out of an all-topics answer', async () => {
    const { ctx } = fixture();
    const res = await exchange(offsetFetchHandler, 10, {
      groups: [
        { groupId: 'g', memberId: null, memberEpoch: -1, topics: [{ topicId: UNKNOWN_ID, partitionIndexes: [0] }, { topicId: ORDERS_ID, partitionIndexes: [1] }] },
        { groupId: 'h', memberId: null, memberEpoch: -1, topics: null },
      ],
      requireStable: false,
    }, ctx);
    expect(res.groups[0].topics).toEqual([
      { name: '', topicId: UNKNOWN_ID, partitions: [{ partitionIndex: 0, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNKNOWN_TOPIC_ID }] },
      { name: '', topicId: ORDERS_ID, partitions: [{ partitionIndex: 1, committedOffset: 5n, committedLeaderEpoch: -1, metadata: 'm', errorCode: 0 }] },
    ]);
    expect(res.groups[1].topics.map((t: any) => t.topicId)).toEqual([ORDERS_ID]);
  });
});

describe('group APIs', () => {
  it('FindCoordinator v6: the share key type answers INVALID_REQUEST', async () => {
    const { ctx } = fixture();
    const res = await exchange(findCoordinatorHandler, 6, { keyType: 2, coordinatorKeys: ['g:id:0'] }, ctx);
    expect(res.coordinators[0]).toMatchObject({ key: 'g:id:0', errorCode: ErrorCode.INVALID_REQUEST, nodeId: -1 });
  });

  it('DescribeGroups v6: an unknown group answers GROUP_ID_NOT_FOUND with a message; v5 keeps Dead without error', async () => {
    const { ctx } = fixture();
    const v6 = await exchange(describeGroupsHandler, 6, { groups: ['live', 'ghost'], includeAuthorizedOperations: false }, ctx);
    expect(v6.groups.map((g: any) => [g.groupId, g.errorCode, g.errorMessage])).toEqual([
      ['live', 0, null],
      ['ghost', ErrorCode.GROUP_ID_NOT_FOUND, 'Group ghost not found.'],
    ]);
    const v5 = await exchange(describeGroupsHandler, 5, { groups: ['ghost'], includeAuthorizedOperations: false }, fixture().ctx);
    expect(v5.groups[0]).toMatchObject({ errorCode: 0, groupState: 'Dead' });
  });

  it('ListGroups v5: group types, filtered without regard to case', async () => {
    const { ctx } = fixture();
    const all = await exchange(listGroupsHandler, 5, { statesFilter: [], typesFilter: [] }, ctx);
    expect(all.groups).toEqual([{ groupId: 'g', protocolType: 'consumer', groupState: 'Stable', groupType: 'classic' }]);
    expect((await exchange(listGroupsHandler, 5, { statesFilter: [], typesFilter: ['Classic'] }, ctx)).groups).toHaveLength(1);
    expect((await exchange(listGroupsHandler, 5, { statesFilter: [], typesFilter: ['consumer', 'share'] }, ctx)).groups).toEqual([]);
  });
});

describe('topic admin at removed versions', () => {
  it('CreateTopics v0 (no validate_only) and DeleteTopics v0 reach the controller', async () => {
    const { ctx, calls } = fixture();
    const created = await exchange(createTopicsHandler, 0, {
      topics: [{ name: 'fresh', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 0,
    }, ctx);
    expect(created.topics).toMatchObject([{ name: 'fresh', errorCode: 0 }]);
    expect(calls.find((c) => c.api === 'createTopics')!.input[1]).toBe(false);
    const deleted = await exchange(deleteTopicsHandler, 0, { topicNames: ['orders'], timeoutMs: 0 }, ctx);
    expect(deleted.responses).toMatchObject([{ name: 'orders', errorCode: 0 }]);
  });
});

describe('transactions and cluster APIs', () => {
  it('EndTxn v5 answers the producer id and epoch (transaction version 1: unchanged)', async () => {
    const { ctx } = fixture();
    const res = await exchange(endTxnHandler, 5, { transactionalId: 'tx', producerId: 77n, producerEpoch: 3, committed: true }, ctx);
    expect(res).toMatchObject({ errorCode: 0, producerId: 77n, producerEpoch: 3 });
  });

  it('ListTransactions v2 filters by a whole-id regular expression and refuses a bad one', async () => {
    const { ctx } = fixture();
    const res = await exchange(listTransactionsHandler, 2, { stateFilters: [], producerIdFilters: [], durationFilter: -1n, transactionalIdPattern: 'orders-.*' }, ctx);
    expect(res.transactionStates.map((t: any) => t.transactionalId)).toEqual(['orders-writer-1', 'orders-writer-2']);
    // Whole-id match: "writer" alone matches nothing.
    const partial = await exchange(listTransactionsHandler, 2, { stateFilters: [], producerIdFilters: [], durationFilter: -1n, transactionalIdPattern: 'writer' }, ctx);
    expect(partial.transactionStates).toEqual([]);
    for (const bad of ['orders-(', '(a+)+$', '(\\w)\\1']) {
      const refused = await exchange(listTransactionsHandler, 2, { stateFilters: [], producerIdFilters: [], durationFilter: -1n, transactionalIdPattern: bad }, ctx);
      expect([bad, refused.errorCode]).toEqual([bad, ErrorCode.INVALID_REGULAR_EXPRESSION]);
    }
    // An empty or null pattern lists everything.
    const every = await exchange(listTransactionsHandler, 2, { stateFilters: [], producerIdFilters: [], durationFilter: -1n, transactionalIdPattern: '' }, ctx);
    expect(every.transactionStates).toHaveLength(3);
  });

  it('DescribeCluster v2 lists gateways as unfenced, with or without include_fenced_brokers', async () => {
    const { ctx } = fixture();
    const res = await exchange(describeClusterHandler, 2, { includeClusterAuthorizedOperations: false, endpointType: 1, includeFencedBrokers: true }, ctx);
    expect(res.brokers).toEqual([{ brokerId: 7, host: 'gw', port: 9092, rack: null, isFenced: false }]);
  });

  it('DescribeLogDirs v5 reports the log dirs of a cordoned broker as cordoned', async () => {
    const { ctx } = fixture();
    const res = await exchange(describeLogDirsHandler, 5, { topics: null }, ctx);
    expect(res.results.map((r: any) => [r.logDir, r.isCordoned])).toEqual([['/data', false], ['/data2', true]]);
    expect(res.results[0]).toMatchObject({ totalBytes: 100n, usableBytes: 50n });
  });
});
