// A storage broker SIGKILLed mid-stream keeps every record it acknowledged, recovers its logs
// on restart, and serves them again (real etcd, real processes).
import { buildRecordBatch } from '@dms/kafka-codec';
import { KafkaClient, readPartitionValues } from '@dms/kafka-client';
import { waitFor } from '@dms/devcluster';
import { cleanup, startTestCluster, type TestCluster } from '@dms/testing';

jest.setTimeout(120_000);

let tc: TestCluster;
let client: KafkaClient;

beforeAll(async () => {
  tc = await startTestCluster({ brokers: 1, controllers: 1, gateways: 1 });
  client = new KafkaClient({ bootstrapServers: [tc.bootstrap], requestTimeoutMs: 10_000 });
});

afterAll(async () => {
  client?.close();
  await cleanup();
});

describe('broker crash and restart', () => {
  it('keeps every acknowledged record across SIGKILL and serves it after restart', async () => {
    const topic = 'crash-safe';
    const created = await client.createTopics([{ name: topic, numPartitions: 2 }]);
    expect(created[0].errorCode).toBe(0);
    const acked: string[][] = [[], []];
    // Appends in flight while the broker dies: only acknowledged ones are promised to survive.
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop && i < 100_000; i++) {
        const p = i % 2;
        const value = `m-${i}`;
        const batch = await buildRecordBatch({ records: [{ key: `k${i}`, value }] });
        try {
          await client.produce(topic, p, batch, -1, 5_000);
          acked[p].push(value);
        } catch {
          return; // the broker is gone: stop writing
        }
      }
    })();
    await waitFor('some acknowledged writes', () => acked[0].length + acked[1].length >= 200, 30_000);
    await tc.cluster.kill('broker', 1, 'SIGKILL');
    stop = true;
    await writer;
    const before = acked.map((a) => [...a]);
    await tc.cluster.restart('broker', 1);
    for (const p of [0, 1]) {
      const end = await waitFor(`partition ${p} served again`, async () => (await client.listOffsets(topic, p, -1n)).offset, 30_000);
      expect(end).toBeGreaterThanOrEqual(BigInt(before[p].length));
      const values = await readPartitionValues(client, topic, p, end);
      // Everything acknowledged is there, in order, as a prefix of what the log holds.
      expect(values.slice(0, before[p].length)).toEqual(before[p]);
    }
  });
});
