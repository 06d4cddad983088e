// Controlled shutdown across real processes: a rolling SIGTERM restart of every broker of an RF 3
// cluster under an idempotent acks=all producer (min.insync.replicas=2) shows the producer no
// error and loses nothing acknowledged, and each broker's leaderships moved (in etcd) before its
// registration went away.
import { Etcd3, type Watcher } from 'etcd3';
import { buildRecordBatch } from '@dms/kafka-codec';
import { KafkaClient, readPartitionValues } from '@dms/kafka-client';
import { brokerKey, clusterPrefix, partitionKey, partitionState } from '@dms/cluster';
import { waitFor } from '@dms/devcluster';
import { cleanup, startTestCluster, type TestCluster } from '@dms/testing';
import { isSubsequence, stateOf } from './replication-helpers';

jest.setTimeout(180_000);

const TOPIC = 'rolling';
const PARTITIONS = 3;

let tc: TestCluster;
let client: KafkaClient;
let etcd: Etcd3;

beforeAll(async () => {
  tc = await startTestCluster({
    brokers: 3,
    controllers: 1,
    gateways: 1,
    config: {
      broker: { 'etcd.lease.ttl.ms': 3000, 'replica.lag.time.max.ms': 3000, 'controlled.shutdown.retry.backoff.ms': 1000 },
      controller: { 'etcd.lease.ttl.ms': 3000 },
    },
  });
  client = new KafkaClient({ bootstrapServers: [tc.bootstrap], requestTimeoutMs: 15_000 });
  etcd = new Etcd3({ hosts: `http://${tc.etcdEndpoint}` });
});

afterAll(async () => {
  client?.close();
  etcd?.close();
  await cleanup();
});

/** An idempotent acks=all producer per partition, one batch at a time, resending a failed batch as is. */
function startIdempotentProducer(producer: { producerId: bigint; producerEpoch: number }) {
  const acked: string[][] = Array.from({ length: PARTITIONS }, () => []);
  const errors: { partition: number; code: number }[] = [];
  let stopped = false;
  const loops = acked.map(async (list, partition) => {
    for (let seq = 0; !stopped; ) {
      const value = `p${partition}-${seq}`;
      const batch = await buildRecordBatch({ records: [{ value }], producerId: producer.producerId, producerEpoch: producer.producerEpoch, baseSequence: seq });
      try {
        await client.produce(TOPIC, partition, batch, -1, 10_000);
        list.push(value);
        seq++;
      } catch (e) {
        errors.push({ partition, code: (e as { code?: number }).code ?? -1 });
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });
  return {
    acked,
    errors,
    total: () => acked.reduce((n, l) => n + l.length, 0),
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

async function allInSync(): Promise<boolean> {
  for (let p = 0; p < PARTITIONS; p++) if ((await stateOf(etcd, TOPIC, p)).isr.length !== 3) return false;
  return true;
}

/** Watches partition states and broker registrations; tells, per stopped broker, what it led when its key went. */
function watchLeadership() {
  const leaders = new Map<number, number>();
  const ledAtExit = new Map<number, number[]>();
  let watcher: Watcher | undefined;
  const ready = etcd
    .watch()
    .prefix(clusterPrefix('dms'))
    .create()
    .then((w) => {
      watcher = w;
      w.on('put', (kv) => {
        const key = kv.key.toString();
        for (let p = 0; p < PARTITIONS; p++) {
          if (key !== partitionKey('dms', TOPIC, p)) continue;
          const s = partitionState.decode(kv.value);
          if (s) leaders.set(p, s.leader);
        }
      });
      w.on('delete', (kv) => {
        const key = kv.key.toString();
        for (const id of [1, 2, 3]) {
          if (key === brokerKey('dms', id)) ledAtExit.set(id, [...leaders].filter(([, l]) => l === id).map(([p]) => p));
        }
      });
    });
  return { leaders, ledAtExit, ready, close: () => watcher?.cancel() };
}

describe('controlled shutdown', () => {
  it('survives a rolling SIGTERM restart of every broker with no producer error and nothing acknowledged lost', async () => {
    const [created] = await client.createTopics([{ name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }]);
    expect(created.errorCode).toBe(0);
    await waitFor('a full ISR everywhere', allInSync, 20_000, 100);
    const watch = watchLeadership();
    await watch.ready;
    for (let p = 0; p < PARTITIONS; p++) watch.leaders.set(p, (await stateOf(etcd, TOPIC, p)).leader);
    const producer = startIdempotentProducer(await client.initProducerId());
    await waitFor('acknowledged writes before the restarts', () => producer.total() >= 100, 30_000);

    const ledBefore = new Map<number, number[]>();
    for (const id of [1, 2, 3]) {
      ledBefore.set(id, [...watch.leaders].filter(([, l]) => l === id).map(([p]) => p));
      const ackedBefore = producer.total();
      await tc.cluster.kill('broker', id, 'SIGTERM');
      await waitFor(`acks=all writes while broker ${id} is down`, () => producer.total() >= ackedBefore + 50, 30_000);
      await tc.cluster.restart('broker', id);
      await waitFor(`a full ISR after broker ${id} restarted`, allInSync, 60_000, 200);
    }
    const ackedAfter = producer.total();
    await waitFor('acks=all writes after the rolling restart', () => producer.total() >= ackedAfter + 50, 30_000);
    await producer.stop();
    watch.close();

    expect(producer.errors).toEqual([]);
    // Every stopped broker led something at some point, and nothing when its registration went.
    expect([...ledBefore.values()].some((ps) => ps.length > 0)).toBe(true);
    for (const id of [1, 2, 3]) expect({ id, led: watch.ledAtExit.get(id) }).toEqual({ id, led: [] });
    for (let p = 0; p < PARTITIONS; p++) {
      const values = await readPartitionValues(client, TOPIC, p);
      expect(isSubsequence(producer.acked[p]!, values)).toBe(true);
    }
    expect(tc.unexpectedExits).toEqual([]);
  });
});
