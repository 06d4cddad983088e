// Fetch size limits as Kafka (KIP-74) across partitions led by different storage brokers, and the
// topic settings the partition leader applies to produced batches: compression.type
// recompression (kcat sends gzip, the topic stores zstd), keyless records on a compacted topic and
// timestamps out of range refused with per-record errors.
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { ApiKey, buildRecordBatch, CompressionType, decodeRecordBatches } from '@dms/kafka-codec';
import { KafkaClient, KafkaConnection } from '@dms/kafka-client';
import { ErrorCode } from '@dms/kafka-errors';
import { waitFor } from '@dms/devcluster';
import { cleanup, startTestCluster, type TestCluster } from '@dms/testing';
import { runProcess } from './run-process';

jest.setTimeout(180_000);
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

let tc: TestCluster;
let kafka: Kafka;
let admin: Admin;
let client: KafkaClient;
let conn: KafkaConnection;

const MB = 1 << 20;

beforeAll(async () => {
  tc = await startTestCluster({ brokers: 3, controllers: 1, gateways: 1 });
  kafka = new Kafka({ brokers: [tc.bootstrap], clientId: 'dms-limits', logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
  admin = kafka.admin();
  await admin.connect();
  client = new KafkaClient({ bootstrapServers: [tc.bootstrap] });
  const [host, port] = tc.bootstrap.split(':');
  conn = await KafkaConnection.open(host, Number(port), {});
});

afterAll(async () => {
  conn?.close();
  client?.close();
  await admin?.disconnect();
  await cleanup();
});

function fetchBody(topic: string, maxBytes: number, partitions: { partition: number; offset: bigint; maxBytes: number }[]) {
  return {
    replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, rackId: '', forgottenTopicsData: [],
    topics: [{ topic, partitions: partitions.map((p) => ({ partition: p.partition, currentLeaderEpoch: -1, fetchOffset: p.offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: p.maxBytes })) }],
  };
}

function produceBody(topic: string, records: Buffer) {
  return { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] };
}

describe('Fetch size limits', () => {
  const topic = 'big-records';

  beforeAll(async () => {
    // One partition per storage broker, so the gateway splits the fetch three ways.
    await admin.createTopics({
      topics: [{ topic, replicaAssignment: [{ partition: 0, replicas: [1] }, { partition: 1, replicas: [2] }, { partition: 2, replicas: [3] }] }],
      waitForLeaders: true,
    });
    for (const partition of [0, 1, 2]) {
      await client.produce(topic, partition, await buildRecordBatch({ records: [{ key: `k${partition}`, value: Buffer.alloc(1_000_000, partition + 1) }] }));
    }
  });

  it('answers at most max_bytes over partitions of different brokers, except one first oversized batch', async () => {
    const parts = (offsets: bigint[]) => offsets.map((offset, partition) => ({ partition, offset, maxBytes: 2 * MB }));
    const first: any = await conn.request(ApiKey.Fetch, fetchBody(topic, MB - 1024, parts([0n, 0n, 0n])), { version: 11 });
    const sizes = first.responses[0].partitions.map((p: any) => p.records.length);
    expect(first.responses[0].partitions.map((p: any) => p.errorCode)).toEqual([0, 0, 0]);
    expect(sizes[0]).toBeGreaterThan(1_000_000); // the first batch, whole, although above max_bytes
    expect(sizes.slice(1)).toEqual([0, 0]);
    // Next time the client asks from where it is: the next partition gets its turn.
    const second: any = await conn.request(ApiKey.Fetch, fetchBody(topic, MB - 1024, parts([1n, 0n, 0n])), { version: 11 });
    expect(second.responses[0].partitions.map((p: any) => p.records.length > 0)).toEqual([false, true, false]);
    // A budget for two batches returns two of them, never a third.
    const two: any = await conn.request(ApiKey.Fetch, fetchBody(topic, 2_100_000, parts([0n, 0n, 0n])), { version: 11 });
    const twoSizes: number[] = two.responses[0].partitions.map((p: any) => p.records.length);
    expect(twoSizes.filter((n) => n > 0)).toHaveLength(2);
    expect(twoSizes.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2_100_000);
    // partition_max_bytes binds each partition under the same rule.
    const perPartition: any = await conn.request(ApiKey.Fetch, fetchBody(topic, 50 * MB, [{ partition: 0, offset: 0n, maxBytes: 2 * MB }, { partition: 1, offset: 0n, maxBytes: 1000 }, { partition: 2, offset: 0n, maxBytes: 2 * MB }]), { version: 11 });
    expect(perPartition.responses[0].partitions.map((p: any) => p.records.length > 0)).toEqual([true, false, true]);
  });

  it('lets a kafkajs consumer with 1 MB fetches read all three ~1 MB records', async () => {
    const consumer = kafka.consumer({ groupId: 'big-readers', maxBytes: MB, maxBytesPerPartition: 2 * MB, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen = new Set<number>();
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          expect(message.value!.length).toBe(1_000_000);
          seen.add(partition);
          if (seen.size === 3) resolve();
        },
      });
    });
    await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error(`only partitions ${[...seen]} read`)), 60_000))]);
    await consumer.disconnect();
  });
});

describe('Fetch long poll over several storage brokers', () => {
  const topic = 'spread';
  const wait = (maxWaitMs: number, offsets: [bigint, bigint]) => {
    const body = fetchBody(topic, 50 * MB, offsets.map((offset, partition) => ({ partition, offset, maxBytes: MB })));
    return conn.request(ApiKey.Fetch, { ...body, maxWaitMs }, { version: 11, timeoutMs: maxWaitMs + 20_000 }) as Promise<any>;
  };

  beforeAll(async () => {
    await admin.createTopics({ topics: [{ topic, replicaAssignment: [{ partition: 0, replicas: [1] }, { partition: 1, replicas: [2] }] }], waitForLeaders: true });
    // Under load a leader may still be opening the new log (it answers NOT_LEADER until then).
    for (const partition of [0, 1]) {
      await waitFor(`${topic}-${partition} served`, () => client.listOffsets(topic, partition, -1n).then(() => true, () => false), 20_000);
    }
  });

  it('answers as soon as one broker has min_bytes, without waiting out the others', async () => {
    await client.produce(topic, 0, await buildRecordBatch({ records: [{ value: 'here' }] }));
    const started = Date.now();
    const res = await wait(15_000, [0n, 0n]);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(res.responses[0].partitions.map((p: any) => [p.errorCode, p.records.length > 0])).toEqual([[0, true], [0, false]]);
    // The woken broker still reports its partition's marks.
    expect(res.responses[0].partitions[1].highWatermark).toBe(0n);
  });

  it('answers a waiting fetch when data arrives on either broker', async () => {
    const waiting = wait(15_000, [1n, 0n]);
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 300));
    await client.produce(topic, 1, await buildRecordBatch({ records: [{ value: 'late' }] }));
    const res = await waiting;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(res.responses[0].partitions.map((p: any) => p.records.length > 0)).toEqual([false, true]);
  });

  it('still waits max_wait_ms when no broker has data', async () => {
    const started = Date.now();
    const res = await wait(1_500, [1n, 1n]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    expect(res.responses[0].partitions.map((p: any) => p.records.length)).toEqual([0, 0]);
  });
});

describe('topic settings on the produce path', () => {
  it('recompresses gzip batches from kcat into zstd for a compression.type=zstd topic', async () => {
    const topic = 'zstd-topic';
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'compression.type', value: 'zstd' }] }], waitForLeaders: true });
    const lines = Array.from({ length: 200 }, (_, i) => `key${i}:value-${i}-${'x'.repeat(50)}`);
    const produced = await runProcess('kcat', ['-b', tc.bootstrap, '-P', '-t', topic, '-K:', '-z', 'gzip', '-X', 'linger.ms=20'], { input: lines.join('\n') + '\n', timeoutMs: 60_000 });
    expect(produced.code).toBe(0);
    const fetched = await client.fetch(topic, 0, 0n, 10 * MB, 1_000);
    const batches = await decodeRecordBatches(fetched.records);
    expect(batches.length).toBeGreaterThan(0);
    for (const b of batches) expect(b.header.compression).toBe(CompressionType.Zstd);
    const values = batches.flatMap((b) => b.records.map((r) => `${r.key!.toString()}:${r.value!.toString()}`));
    expect(values).toEqual(lines);
    // librdkafka reads the zstd batches back.
    const consumed = await runProcess('kcat', ['-b', tc.bootstrap, '-C', '-t', topic, '-e', '-o', 'beginning', '-f', '%k:%s\n'], { timeoutMs: 60_000 });
    expect(consumed.stdout.trim().split('\n')).toEqual(lines);
  });

  it('refuses keyless records on a compacted topic with INVALID_RECORD, record_errors and error_message (v8+)', async () => {
    const topic = 'compacted-topic';
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }], waitForLeaders: true });
    const batch = await buildRecordBatch({ records: [{ key: 'a', value: '1' }, { key: null, value: '2' }] });
    const res: any = await conn.request(ApiKey.Produce, produceBody(topic, batch), { version: 9 });
    const p = res.responses[0].partitionResponses[0];
    expect(p.errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(p.recordErrors).toEqual([{ batchIndex: 1, batchIndexErrorMessage: `Compacted topic cannot accept message without key in topic partition ${topic}-0.` }]);
    expect(p.errorMessage).toContain('One or more records have been rejected');
    const producer = kafka.producer();
    await producer.connect();
    await expect(producer.send({ topic, messages: [{ value: 'no key' }] })).rejects.toMatchObject({ type: 'INVALID_RECORD' });
    await producer.send({ topic, messages: [{ key: 'k', value: 'keyed' }] });
    await producer.disconnect();
    // Nothing of the refused batch was appended.
    const fetched = await client.fetch(topic, 0, 0n, MB, 500);
    const records = (await decodeRecordBatches(fetched.records)).flatMap((b) => b.records);
    expect(records.map((r) => r.value!.toString())).toEqual(['keyed']);
  });

  it('refuses CreateTime records outside message.timestamp.after/before.max.ms with INVALID_TIMESTAMP', async () => {
    const topic = 'timestamps';
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'message.timestamp.before.max.ms', value: '60000' }] }], waitForLeaders: true });
    const now = Date.now();
    const future = await buildRecordBatch({ records: [{ value: 'now', timestamp: now }, { value: 'future', timestamp: now + 2 * 3_600_000 }] });
    const res: any = await conn.request(ApiKey.Produce, produceBody(topic, future), { version: 9 });
    const p = res.responses[0].partitionResponses[0];
    expect(p.errorCode).toBe(ErrorCode.INVALID_TIMESTAMP);
    expect(p.recordErrors.map((e: any) => e.batchIndex)).toEqual([1]);
    const past = await buildRecordBatch({ records: [{ value: 'old', timestamp: now - 120_000 }] });
    const old: any = await conn.request(ApiKey.Produce, produceBody(topic, past), { version: 9 });
    expect(old.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.INVALID_TIMESTAMP);
    const fine = await buildRecordBatch({ records: [{ value: 'fine', timestamp: now - 1_000 }] });
    const ok: any = await conn.request(ApiKey.Produce, produceBody(topic, fine), { version: 9 });
    expect(ok.responses[0].partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0n });
  });
});
