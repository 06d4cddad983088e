// Exactly-once on the log across real processes: an idempotent batch resent to a new leader after
// the old one was SIGKILLed is answered with its original offset and stored once; a transaction
// with an ABORT marker (WriteTxnMarkers on the storage broker) is hidden from read_committed
// fetches, which stop at the last stable offset and learn the aborted transaction.
import { Etcd3 } from 'etcd3';
import { buildRecordBatch, decodeRecordBatches } from '@dms/kafka-codec';
import { describeProducers, KafkaClient, readPartitionValues } from '@dms/kafka-client';
import { ApiKey } from '@dms/kafka-schema';
import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { brokerKey, brokerRegistration } from '@dms/cluster';
import { createClient, StorageServiceClient, unary, type WriteTxnMarkersResponse } from '@dms/rpc';
import { cleanup, serviceTls, startTestCluster, type TestCluster } from '@dms/testing';
import { stateOf, waitState } from './replication-helpers';

jest.setTimeout(120_000);

let tc: TestCluster;
let client: KafkaClient;
let etcd: Etcd3;

beforeAll(async () => {
  tc = await startTestCluster({
    brokers: 3,
    controllers: 1,
    gateways: 1,
    config: {
      broker: { 'etcd.lease.ttl.ms': 3000, 'replica.lag.time.max.ms': 1500 },
      controller: { 'etcd.lease.ttl.ms': 3000 },
    },
  });
  client = new KafkaClient({ bootstrapServers: [tc.bootstrap], requestTimeoutMs: 10_000 });
  etcd = new Etcd3({ hosts: `http://${tc.etcdEndpoint}` });
});

afterAll(async () => {
  client?.close();
  etcd?.close();
  await cleanup();
});

const idem = (value: string, seq: number, o: { pid?: bigint; epoch?: number; transactional?: boolean } = {}) =>
  buildRecordBatch({ producerId: o.pid ?? 1000n, producerEpoch: o.epoch ?? 0, baseSequence: seq, transactional: o.transactional, records: [{ value }] });

async function produceCode(topic: string, records: Buffer, transactionalId: string | null = null): Promise<{ errorCode: number; baseOffset: bigint }> {
  const conn = await client.leaderConnection(topic, 0);
  const res = await conn.request<any>(ApiKey.Produce, { transactionalId, acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
  const p = res.responses[0].partitionResponses[0];
  return { errorCode: p.errorCode, baseOffset: p.baseOffset };
}

async function fetchAt(topic: string, offset: bigint, isolationLevel: number) {
  const conn = await client.leaderConnection(topic, 0);
  const res = await conn.request<any>(ApiKey.Fetch, {
    clusterId: null, replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [], rackId: '',
  });
  const p = res.responses[0].partitions[0];
  const batches = await decodeRecordBatches(p.records ?? Buffer.alloc(0));
  return {
    errorCode: p.errorCode as number,
    highWatermark: p.highWatermark as bigint,
    lastStableOffset: p.lastStableOffset as bigint,
    abortedTransactions: p.abortedTransactions as { producerId: bigint; firstOffset: bigint }[] | null,
    offsets: batches.flatMap((b) => b.records.map((r) => r.offset)),
    controlOffsets: batches.filter((b) => b.header.isControl).map((b) => b.header.baseOffset),
  };
}

async function latest(topic: string, isolationLevel: number): Promise<bigint> {
  const conn = await client.leaderConnection(topic, 0);
  const res = await conn.request<any>(ApiKey.ListOffsets, {
    replicaId: -1, isolationLevel, timeoutMs: 10_000,
    topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }],
  });
  return res.topics[0].partitions[0].offset;
}

async function storageClient(brokerId: number): Promise<StorageServiceClient> {
  const reg = brokerRegistration.decode(await etcd.get(brokerKey('dms', brokerId)).buffer());
  if (!reg) throw new Error(`broker ${brokerId} is not registered`);
  // Markers come from transaction coordinators, which run on brokers: call as that broker.
  return createClient(StorageServiceClient, `${reg.host}:${reg.port}`, { tls: serviceTls(tc.dataDir, 'broker', brokerId) });
}

async function writeMarker(brokerId: number, topic: string, m: { pid: bigint; epoch: number; committed: boolean; coordinatorEpoch?: number }): Promise<number> {
  const c = await storageClient(brokerId);
  try {
    const res: WriteTxnMarkersResponse = await unary(c.writeTxnMarkers.bind(c), {
      markers: [{ producerId: m.pid, producerEpoch: m.epoch, committed: m.committed, coordinatorEpoch: m.coordinatorEpoch ?? 0, partitions: [{ topic, partition: 0 }] }],
      timeoutMs: 10_000,
      traceContext: {},
    }, { timeoutMs: 15_000 });
    return res.markers[0]!.partitions[0]!.errorCode;
  } finally {
    c.close();
  }
}

describe('idempotent producer', () => {
  it('answers a resend to the new leader with the original offset and stores the batch once', async () => {
    const topic = 'idem';
    const [created] = await client.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }]);
    expect(created.errorCode).toBe(0);
    expect((await client.produce(topic, 0, await idem('a', 0))).baseOffset).toBe(0n);
    expect((await client.produce(topic, 0, await idem('b', 1))).baseOffset).toBe(1n);
    // A retry on the same leader is a duplicate too.
    expect((await client.produce(topic, 0, await idem('b', 1))).baseOffset).toBe(1n);
    const err = await client.produce(topic, 0, await idem('x', 5)).catch((e: unknown) => e);
    expect((err as KafkaError).code).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);

    const initial = await stateOf(etcd, topic);
    await tc.cluster.kill('broker', initial.leader, 'SIGKILL');
    try {
      await waitState(etcd, topic, 'a new leader', (s) => s.leader >= 0 && s.leader !== initial.leader);
      // The new leader learned the producer's sequences as a follower.
      expect((await client.produce(topic, 0, await idem('b', 1))).baseOffset).toBe(1n);
      expect((await client.produce(topic, 0, await idem('a', 0))).baseOffset).toBe(0n);
      expect((await client.produce(topic, 0, await idem('c', 2))).baseOffset).toBe(2n);
      expect(await readPartitionValues(client, topic, 0)).toEqual(['a', 'b', 'c']);
      expect(await describeProducers(client, topic, 0)).toEqual([
        expect.objectContaining({ producerId: 1000n, producerEpoch: 0, lastSequence: 2, coordinatorEpoch: -1, currentTxnStartOffset: -1n }),
      ]);
    } finally {
      await tc.cluster.restart('broker', initial.leader);
    }
    await waitState(etcd, topic, 'the restarted broker back in the ISR', (s) => s.isr.length === 3);
  });
});

describe('transactions on the log', () => {
  it('hides an open and an aborted transaction from read_committed, which stops at the LSO', async () => {
    const topic = 'txn';
    const [created] = await client.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }]);
    expect(created.errorCode).toBe(0);
    expect((await client.produce(topic, 0, await buildRecordBatch({ records: [{ value: 'plain' }] }))).baseOffset).toBe(0n);
    const txn = await buildRecordBatch({ producerId: 2000n, producerEpoch: 0, baseSequence: 0, transactional: true, records: [{ value: 't1' }, { value: 't2' }] });
    // Transactional batches need a transactional id on the request, as in Kafka.
    expect((await produceCode(topic, txn)).errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    expect(await produceCode(topic, txn, 'tx-1')).toEqual({ errorCode: 0, baseOffset: 1n });

    expect(await describeProducers(client, topic, 0)).toEqual([expect.objectContaining({ producerId: 2000n, currentTxnStartOffset: 1n })]);
    const open = await fetchAt(topic, 0n, 1);
    expect(open).toMatchObject({ errorCode: 0, highWatermark: 3n, lastStableOffset: 1n, offsets: [0n], abortedTransactions: [] });
    expect((await fetchAt(topic, 0n, 0)).offsets).toEqual([0n, 1n, 2n]);
    expect(await latest(topic, 1)).toBe(1n);
    expect(await latest(topic, 0)).toBe(3n);

    const s = await stateOf(etcd, topic);
    const follower = s.replicas.find((id) => id !== s.leader)!;
    expect(await writeMarker(follower, topic, { pid: 2000n, epoch: 0, committed: false })).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(await writeMarker(s.leader, 'no-such-topic', { pid: 2000n, epoch: 0, committed: false })).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(await writeMarker(s.leader, topic, { pid: 2000n, epoch: 0, committed: false })).toBe(ErrorCode.NONE);

    const done = await fetchAt(topic, 0n, 1);
    expect(done).toMatchObject({ highWatermark: 4n, lastStableOffset: 4n, abortedTransactions: [{ producerId: 2000n, firstOffset: 1n }] });
    expect(done.offsets).toEqual([0n, 1n, 2n, 3n]);
    expect(done.controlOffsets).toEqual([3n]);
    expect(await latest(topic, 1)).toBe(4n);
    // A fetch past the aborted range is told nothing about it.
    expect((await fetchAt(topic, 4n, 1)).abortedTransactions).toEqual([]);

    // A marker from an older producer epoch is refused once the producer moved on.
    const next = await buildRecordBatch({ producerId: 2000n, producerEpoch: 1, baseSequence: 0, transactional: true, records: [{ value: 't3' }] });
    expect(await produceCode(topic, next, 'tx-1')).toEqual({ errorCode: 0, baseOffset: 4n });
    expect(await writeMarker(s.leader, topic, { pid: 2000n, epoch: 0, committed: true })).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(await writeMarker(s.leader, topic, { pid: 2000n, epoch: 1, committed: true })).toBe(ErrorCode.NONE);
    const committed = await fetchAt(topic, 4n, 1);
    expect(committed).toMatchObject({ lastStableOffset: 6n, offsets: [4n, 5n], abortedTransactions: [] });
    expect(await describeProducers(client, topic, 0)).toEqual([
      expect.objectContaining({ producerId: 2000n, producerEpoch: 1, lastSequence: 0, coordinatorEpoch: 0, currentTxnStartOffset: -1n }),
    ]);
    expect(tc.unexpectedExits).toEqual([]);
  });
});
