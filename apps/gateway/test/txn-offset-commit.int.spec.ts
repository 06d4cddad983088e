// Transactional offset commits end to end: TxnOffsetCommit through the gateway to the group
// coordinator on the broker, pending until the transaction's marker reaches the group's
// __consumer_offsets partition, applied on COMMIT, dropped on ABORT, and replayed as they were
// when the coordinator reloads (broker restart). The markers are written the way the
// transaction coordinator does: the storage broker's WriteTxnMarkers where it is served (the
// coordinator applies them at once), otherwise a control batch through the broker's Produce path
// (then only a reload reads it, so the broker is restarted to show the replay).
import { status as GrpcStatus } from '@grpc/grpc-js';
import { Etcd3 } from 'etcd3';
import { brokerKey, brokerRegistration, partitionKey, partitionState } from '@dms/cluster';
import { waitFor } from '@dms/devcluster';
import { buildRecordBatch, endTxnMarker } from '@dms/kafka-codec';
import { KafkaClient } from '@dms/kafka-client';
import { ErrorCode } from '@dms/kafka-errors';
import { groupPartition, OFFSETS_TOPIC } from '@dms/groups';
import { StorageServiceClient, StreamMux, createClient, unary, type ProduceRequest, type ProduceResponse } from '@dms/rpc';
import { cleanup, serviceTls, startTestCluster, type TestCluster } from '@dms/testing';

jest.setTimeout(180_000);

const OFFSETS_PARTITIONS = 3;
const GROUP = 'g-txn';
const TOPIC = 'txo';
const PID = 4242n;

let tc: TestCluster;
let etcd: Etcd3;
let client: KafkaClient;

beforeAll(async () => {
  tc = await startTestCluster({ config: { controller: { 'offsets.topic.num.partitions': OFFSETS_PARTITIONS } } });
  etcd = new Etcd3({ hosts: tc.etcdEndpoint });
  client = new KafkaClient({ bootstrapServers: tc.bootstrap, clientId: 'txn-offsets-spec' });
});

afterAll(async () => {
  client?.close();
  etcd?.close();
  await cleanup();
});

async function request<Res>(apiKey: number, body: object, version: number): Promise<Res> {
  const conn = await client.anyBrokerConnection();
  return conn.request<Res>(apiKey, body, { version });
}

/** OffsetFetch v8 of partitions 0 and 1: `offset` or `unstable` each; undefined while the coordinator moves. */
async function fetched(requireStable: boolean): Promise<string[] | undefined> {
  const res = await request<any>(9, { groups: [{ groupId: GROUP, topics: [{ name: TOPIC, partitionIndexes: [0, 1] }] }], requireStable }, 8);
  const g = res.groups[0];
  if (g.errorCode !== ErrorCode.NONE) return undefined;
  return g.topics[0].partitions.map((p: any) => (p.errorCode === ErrorCode.UNSTABLE_OFFSET_COMMIT ? 'unstable' : String(p.committedOffset)));
}

const settled = (requireStable: boolean, want: string[], what: string) =>
  waitFor(what, async () => {
    const got = await fetched(requireStable).catch(() => undefined);
    return JSON.stringify(got) === JSON.stringify(want) ? got : false;
  }, 60_000, 200);

async function txnCommit(producerEpoch: number, offsets: [bigint, bigint]): Promise<number[]> {
  const res = await request<any>(28, {
    transactionalId: 'tx-1', groupId: GROUP, producerId: PID, producerEpoch, generationId: -1, memberId: '', groupInstanceId: null,
    topics: [{ name: TOPIC, partitions: offsets.map((o, i) => ({ partitionIndex: i, committedOffset: o, committedLeaderEpoch: -1, committedMetadata: '' })) }],
  }, 3);
  return res.topics[0].partitions.map((p: any) => p.errorCode);
}

async function offsetsLeader(): Promise<{ address: string; partition: number; leader: number }> {
  const partition = groupPartition(GROUP, OFFSETS_PARTITIONS);
  const state = partitionState.decode(await etcd.get(partitionKey('dms', OFFSETS_TOPIC, partition)).buffer());
  if (!state || state.leader < 0) throw new Error('offsets partition has no leader');
  const reg = brokerRegistration.decode(await etcd.get(brokerKey('dms', state.leader)).buffer());
  if (!reg) throw new Error(`broker ${state.leader} is not registered`);
  return { address: `${reg.host}:${reg.port}`, partition, leader: state.leader };
}

/**
 * Ends the producer's transaction on the group's offsets partition. Answers 'live' when the
 * broker served WriteTxnMarkers, 'log' when the marker went in through Produce.
 */
async function endTxn(producerEpoch: number, committed: boolean): Promise<'live' | 'log'> {
  const { address, partition, leader } = await offsetsLeader();
  // As the leading broker itself (a transaction coordinator writes markers; it may produce only to itself).
  const storage = createClient(StorageServiceClient, address, { tls: serviceTls(tc.dataDir, 'broker', leader) });
  try {
    try {
      const res = await unary(storage.writeTxnMarkers.bind(storage), {
        markers: [{ producerId: PID, producerEpoch, committed, coordinatorEpoch: 0, partitions: [{ topic: OFFSETS_TOPIC, partition }] }],
        timeoutMs: 10_000,
        traceContext: {},
      }, { timeoutMs: 15_000 });
      expect(res.markers[0].partitions[0].errorCode).toBe(ErrorCode.NONE);
      return 'live';
    } catch (err) {
      if ((err as { code?: number }).code !== GrpcStatus.UNIMPLEMENTED) throw err;
    }
    const produce = new StreamMux<ProduceRequest, ProduceResponse>(() => storage.produce(), { name: 'spec marker' });
    try {
      const records = await buildRecordBatch({
        control: true, transactional: true, producerId: PID, producerEpoch, records: [endTxnMarker(committed ? 'commit' : 'abort', 0)],
      });
      const res = await produce.request({ acks: -1, timeoutMs: 10_000, partitions: [{ topic: OFFSETS_TOPIC, partition, records }], traceContext: {} }, { timeoutMs: 15_000 });
      expect(res.partitions[0].errorCode).toBe(ErrorCode.NONE);
      return 'log';
    } finally {
      produce.close();
    }
  } finally {
    storage.close();
  }
}

/** Restarts the broker: the coordinator of the group reloads its partition from the log. */
async function reload(): Promise<void> {
  await tc.cluster.restart('broker', 1);
}

it('applies committed transactional offsets, drops aborted ones, and replays both and an open one on reload', async () => {
  await client.createTopics([{ name: TOPIC, numPartitions: 2, replicationFactor: 1 }]);
  // The first coordinator lookup creates __consumer_offsets.
  await waitFor('group coordinator', async () => {
    const res = await request<any>(10, { keyType: 0, coordinatorKeys: [GROUP] }, 4).catch(() => undefined);
    return res?.coordinators[0].errorCode === ErrorCode.NONE;
  }, 60_000, 200);
  await waitFor('plain commit', async () => {
    const res = await request<any>(8, {
      groupId: GROUP, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null,
      topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: '' }] }],
    }, 8).catch(() => undefined);
    return res?.topics[0].partitions[0].errorCode === ErrorCode.NONE;
  }, 60_000, 200);

  // A committed transaction.
  expect(await txnCommit(0, [10n, 20n])).toEqual([0, 0]);
  expect(await fetched(false)).toEqual(['5', '-1']);
  expect(await fetched(true)).toEqual(['unstable', 'unstable']);
  if ((await endTxn(0, true)) === 'log') await reload();
  await settled(true, ['10', '20'], 'committed transaction applied');

  // An aborted one.
  expect(await txnCommit(0, [30n, 40n])).toEqual([0, 0]);
  expect(await fetched(true)).toEqual(['unstable', 'unstable']);
  if ((await endTxn(0, false)) === 'log') await reload();
  await settled(true, ['10', '20'], 'aborted transaction dropped');

  // One left open across a reload stays pending, then commits.
  expect(await txnCommit(0, [50n, 60n])).toEqual([0, 0]);
  await reload();
  await settled(true, ['unstable', 'unstable'], 'open transaction pending after reload');
  expect(await fetched(false)).toEqual(['10', '20']);
  if ((await endTxn(0, true)) === 'log') await reload();
  await settled(true, ['50', '60'], 'reloaded open transaction committed');

  // And the whole history replays to the same view.
  await reload();
  await settled(true, ['50', '60'], 'history replayed');
  expect(tc.unexpectedExits).toEqual([]);
});
