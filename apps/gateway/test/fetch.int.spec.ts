// Fetch semantics clients rely on: empty partitions answer an empty (not null) record set after
// max wait; a waiting fetch returns as soon as data arrives; per-partition max bytes is honoured
// but the first batch is always returned whole.
import { randomBytes } from 'node:crypto';
import { ApiKey, buildRecordBatch, CompressionType, decodeRecordBatches } from '@dms/kafka-codec';
import { KafkaClient, KafkaConnection } from '@dms/kafka-client';
import { waitFor } from '@dms/devcluster';
import { cleanup, startTestCluster, type TestCluster } from '@dms/testing';

jest.setTimeout(60_000);

let tc: TestCluster;
let client: KafkaClient;
let conn: KafkaConnection;

beforeAll(async () => {
  tc = await startTestCluster({ brokers: 1, controllers: 1, gateways: 1 });
  client = new KafkaClient({ bootstrapServers: [tc.bootstrap] });
  await client.createTopics([{ name: 'fetchy', numPartitions: 2 }]);
  // Under load the leader may still be opening the new logs (fetch would answer NOT_LEADER).
  for (const partition of [0, 1]) {
    await waitFor(`fetchy-${partition} served`, () => client.listOffsets('fetchy', partition, -1n).then(() => true, () => false), 20_000);
  }
  const [host, port] = tc.bootstrap.split(':');
  conn = await KafkaConnection.open(host, Number(port), {});
});

afterAll(async () => {
  conn?.close();
  client?.close();
  await cleanup();
});

function fetchRequest(partitions: { partition: number; offset: bigint; maxBytes: number }[], maxWaitMs: number, minBytes: number) {
  return {
    replicaId: -1,
    maxWaitMs,
    minBytes,
    maxBytes: 50 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic: 'fetchy', partitions: partitions.map((p) => ({ partition: p.partition, currentLeaderEpoch: -1, fetchOffset: p.offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: p.maxBytes })) }],
    forgottenTopicsData: [],
    rackId: '',
  };
}

describe('Fetch', () => {
  it('answers an empty partition with an empty record set after max wait', async () => {
    const started = Date.now();
    const res: any = await conn.request(ApiKey.Fetch, fetchRequest([{ partition: 0, offset: 0n, maxBytes: 1 << 20 }], 400, 1), { version: 11 });
    const elapsed = Date.now() - started;
    const p = res.responses[0].partitions[0];
    expect(p.errorCode).toBe(0);
    expect(p.records).not.toBeNull();
    expect(p.records.length).toBe(0);
    expect(elapsed).toBeGreaterThanOrEqual(350);
  });

  it('returns a waiting fetch as soon as data arrives', async () => {
    const waiting = conn.request(ApiKey.Fetch, fetchRequest([{ partition: 1, offset: 0n, maxBytes: 1 << 20 }], 20_000, 1), { version: 11 });
    const started = Date.now();
    await client.produce('fetchy', 1, await buildRecordBatch({ records: [{ value: 'wake up' }] }));
    const res: any = await waiting;
    expect(Date.now() - started).toBeLessThan(10_000);
    const [batch] = await decodeRecordBatches(res.responses[0].partitions[0].records);
    expect(batch.records[0].value!.toString()).toBe('wake up');
  });

  it('honours partition max bytes but returns the first batch whole', async () => {
    for (let i = 0; i < 5; i++) await client.produce('fetchy', 0, await buildRecordBatch({ records: [{ value: Buffer.alloc(2000, i) }] }));
    const small: any = await conn.request(ApiKey.Fetch, fetchRequest([{ partition: 0, offset: 0n, maxBytes: 100 }], 0, 1), { version: 11 });
    const one = await decodeRecordBatches(small.responses[0].partitions[0].records);
    expect(one).toHaveLength(1);
    const some: any = await conn.request(ApiKey.Fetch, fetchRequest([{ partition: 0, offset: 0n, maxBytes: 4500 }], 0, 1), { version: 11 });
    expect(await decodeRecordBatches(some.responses[0].partitions[0].records)).toHaveLength(2);
    const bad: any = await conn.request(ApiKey.Fetch, fetchRequest([{ partition: 0, offset: 99n, maxBytes: 4500 }], 0, 1), { version: 11 });
    expect(bad.responses[0].partitions[0].errorCode).toBe(1); // OFFSET_OUT_OF_RANGE
  });
});

describe('Produce order', () => {
  it('appends pipelined requests of one partition in the order they were sent, a slow compressed batch ahead of a fast plain one', async () => {
    await client.createTopics([{ name: 'ordered', numPartitions: 1 }]);
    await waitFor('ordered-0 served', () => client.listOffsets('ordered', 0, -1n).then(() => true, () => false), 20_000);
    // The broker decompresses a gzip batch to validate it, which takes far longer than scanning a
    // small plain batch; without arrival order the second request would be appended first.
    const big = await buildRecordBatch({
      records: Array.from({ length: 2000 }, (_, i) => ({ key: `big-${i}`, value: randomBytes(200).toString('hex') })),
      compression: CompressionType.Gzip,
    });
    const small = await buildRecordBatch({ records: [{ key: 'small', value: 'after the big one' }] });
    for (let round = 0; round < 3; round++) {
      const first = client.produce('ordered', 0, Buffer.from(big), 1);
      const second = client.produce('ordered', 0, Buffer.from(small), 1);
      const [a, b] = await Promise.all([first, second]);
      expect(b.baseOffset).toBe(a.baseOffset + 2000n);
    }
  });
});
