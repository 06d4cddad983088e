// The whole cluster SIGKILLed at once (every broker, controller, gateway and etcd) under
// acks=all load, then restarted from the same data dir: every acknowledged record is read back
// in order, and the brokers had checkpointed their high watermarks (replication-offset-checkpoint)
// so a restarted replica starts from what was committed instead of 0.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { buildRecordBatch } from '@dms/kafka-codec';
import { KafkaClient, readPartitionValues } from '@dms/kafka-client';
import { waitFor } from '@dms/devcluster';
import { cleanup, startTestCluster, type TestCluster } from '@dms/testing';
import { isSubsequence, stateOf } from './replication-helpers';

jest.setTimeout(150_000);

const TOPIC = 'whole';
const PARTITIONS = 3;
const BROKERS = [1, 2, 3];
const CONTROLLERS = [1, 2];
const GATEWAYS = [1, 2];

let tc: TestCluster;

beforeAll(async () => {
  tc = await startTestCluster({
    brokers: BROKERS.length,
    controllers: CONTROLLERS.length,
    gateways: GATEWAYS.length,
    config: {
      broker: { 'etcd.lease.ttl.ms': 3000, 'replica.lag.time.max.ms': 3000, 'replica.high.watermark.checkpoint.interval.ms': 200 },
      controller: { 'etcd.lease.ttl.ms': 3000 },
      gateway: { 'etcd.lease.ttl.ms': 3000 },
    },
  });
});

afterAll(async () => {
  await cleanup();
});

function checkpointOf(brokerId: number): Map<string, bigint> {
  const lines = readFileSync(join(tc.dataDir, `broker-${brokerId}`, 'replication-offset-checkpoint'), 'utf8').trim().split('\n');
  return new Map(lines.slice(2).map((l) => l.split(' ')).map(([t, p, o]) => [`${t}-${p}`, BigInt(o)]));
}

it('keeps every acknowledged record across a SIGKILL of every process, etcd included', async () => {
  const client = new KafkaClient({ bootstrapServers: [tc.bootstrap], requestTimeoutMs: 10_000 });
  const [created] = await client.createTopics([{ name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }]);
  expect(created.errorCode).toBe(0);

  const acked: string[][] = Array.from({ length: PARTITIONS }, () => []);
  let stop = false;
  const writers = acked.map((list, p) => (async () => {
    for (let i = 0; !stop; i++) {
      const value = `p${p}-${i}`;
      try {
        await client.produce(TOPIC, p, await buildRecordBatch({ records: [{ value }] }), -1, 3_000);
        list.push(value);
      } catch {
        if (!stop) await new Promise((r) => setTimeout(r, 50));
      }
    }
  })());
  await waitFor('acknowledged writes on every partition', () => acked.every((a) => a.length >= 150), 60_000);

  // Everything at once, while writes are in flight.
  const c = tc.cluster;
  await Promise.all([
    ...BROKERS.map((id) => c.kill('broker', id, 'SIGKILL')),
    ...CONTROLLERS.map((id) => c.kill('controller', id, 'SIGKILL')),
    ...GATEWAYS.map((id) => c.kill('gateway', id, 'SIGKILL')),
    c.killEtcd('SIGKILL'),
  ]);
  stop = true;
  client.close();
  await Promise.all(writers);
  const before = acked.map((a) => [...a]);

  // Periodic checkpoints (every 200 ms here) hold high watermarks covering most of what was acked.
  for (const id of BROKERS) {
    const cp = checkpointOf(id);
    for (let p = 0; p < PARTITIONS; p++) expect(cp.get(`${TOPIC}-${p}`) ?? 0n).toBeGreaterThan(0n);
  }

  await c.restartEtcd();
  await Promise.all(CONTROLLERS.map((id) => c.restart('controller', id)));
  await Promise.all(BROKERS.map((id) => c.restart('broker', id)));
  await Promise.all(GATEWAYS.map((id) => c.restart('gateway', id)));

  const etcd = new Etcd3({ hosts: `http://${tc.etcdEndpoint}` });
  const reader = new KafkaClient({ bootstrapServers: [tc.bootstrap], requestTimeoutMs: 10_000 });
  try {
    for (let p = 0; p < PARTITIONS; p++) {
      await waitFor(`partition ${p} led again`, async () => (await stateOf(etcd, TOPIC, p)).leader >= 0, 30_000, 100);
      const end = await waitFor(`partition ${p} serves everything acknowledged`, async () => {
        const o = (await reader.listOffsets(TOPIC, p, -1n).catch(() => undefined))?.offset;
        return o !== undefined && o >= BigInt(before[p].length) ? o : undefined;
      }, 30_000, 200);
      expect(end).toBeGreaterThanOrEqual(BigInt(before[p].length));
      const values = await readPartitionValues(reader, TOPIC, p);
      expect(isSubsequence(before[p], values)).toBe(true);
    }
    // And the cluster takes acks=all writes again.
    await expect(reader.produce(TOPIC, 0, await buildRecordBatch({ records: [{ value: 'after' }] }), -1, 10_000)).resolves.toBeDefined();
  } finally {
    reader.close();
    etcd.close();
  }
});
