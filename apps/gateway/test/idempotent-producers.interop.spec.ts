// Idempotent producers of real clients (kafkajs from npm, librdkafka's kcat from Debian) on a
// 3-broker cluster, RF 3, min.insync.replicas 2, two gateways: while they produce, the partition
// leader is SIGKILLed (then restarted) and a gateway is restarted. The read-back holds every
// acknowledged record exactly once, in produce order: no duplicate, no reorder.
import { spawn } from 'node:child_process';
import { Etcd3 } from 'etcd3';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { partitionKey, partitionState, type PartitionState } from '@dms/cluster';
import { waitFor } from '@dms/devcluster';
import { KafkaClient, readPartitionValues } from '@dms/kafka-client';
import { cleanup, startTestCluster, type TestCluster } from '@dms/testing';

jest.setTimeout(300_000);
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const LEASE = { 'etcd.lease.ttl.ms': '3000' };

let tc: TestCluster;
let etcd: Etcd3;
let client: KafkaClient;
let bootstrap: string[];

beforeAll(async () => {
  tc = await startTestCluster({ brokers: 3, controllers: 1, gateways: 2, config: { broker: LEASE, controller: LEASE, gateway: LEASE } });
  etcd = new Etcd3({ hosts: tc.etcdEndpoint });
  bootstrap = tc.cluster.status().processes.filter((p) => p.role === 'gateway').map((p) => `127.0.0.1:${p.ports.kafkaPort}`);
  client = new KafkaClient({ bootstrapServers: bootstrap, clientId: 'idempotent-interop', retries: 10, retryBackoffMs: 200 });
});

afterAll(async () => {
  client?.close();
  etcd?.close();
  await cleanup();
});

async function stateOf(topic: string, partition = 0): Promise<PartitionState> {
  const s = partitionState.decode(await etcd.get(partitionKey('dms', topic, partition)).buffer());
  if (!s) throw new Error(`no state for ${topic}-${partition}`);
  return s;
}

async function createTopic(name: string, partitions: number): Promise<void> {
  const [res] = await client.createTopics([{ name, numPartitions: partitions, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }]);
  expect(res.errorCode).toBe(0);
  await waitFor(`${name} fully replicated`, async () => {
    for (let p = 0; p < partitions; p++) if ((await stateOf(name, p)).isr.length !== 3) return false;
    return true;
  }, 60_000, 200);
}

/** SIGKILLs the leader of partition 0, restarts it once another leads, then restarts gateway 1. */
async function faults(topic: string, log: string[]): Promise<void> {
  const victim = (await stateOf(topic)).leader;
  await tc.cluster.kill('broker', victim, 'SIGKILL');
  log.push(`killed broker ${victim}`);
  await waitFor('a new leader', async () => {
    const s = await stateOf(topic);
    return s.leader >= 0 && s.leader !== victim;
  }, 60_000, 100);
  await tc.cluster.restart('broker', victim);
  log.push(`restarted broker ${victim}`);
  await waitFor('the restarted broker back in the ISR', async () => (await stateOf(topic)).isr.includes(victim), 90_000, 200);
  await tc.cluster.restart('gateway', 1);
  log.push('restarted gateway 1');
}

/** Values of each partition in offset order, checked: each expected value once, in the order given. */
async function readBack(topic: string, partitions: number): Promise<string[][]> {
  const out: string[][] = [];
  for (let p = 0; p < partitions; p++) out.push(await readPartitionValues(client, topic, p));
  return out;
}

function duplicatesOf(values: string[]): string[] {
  const seen = new Set<string>();
  return values.filter((v) => (seen.has(v) ? true : (seen.add(v), false)));
}

describe('idempotent producers across a leader kill and a gateway restart', () => {
  it('kafkajs idempotent: true, maxInFlightRequests 5: every acknowledged message once, in order', async () => {
    const topic = 'idem-kafkajs';
    const partitions = 3;
    await createTopic(topic, partitions);
    const kafka = new Kafka({ brokers: bootstrap, clientId: 'idem-kafkajs', logLevel: logLevel.NOTHING, retry: { initialRetryTime: 100, maxRetryTime: 1000 } });
    const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
    await producer.connect();
    const acked: string[][] = Array.from({ length: partitions }, () => []);
    let running = true;
    // One sender per partition, each batch of 5 messages sent as soon as the last is acknowledged.
    const senders = Array.from({ length: partitions }, async (_, p) => {
      for (let seq = 0; running; seq += 5) {
        const values = [0, 1, 2, 3, 4].map((i) => `${p}:${seq + i}`);
        await producer.send({ topic, acks: -1, messages: values.map((value) => ({ partition: p, value })) });
        acked[p].push(...values);
      }
    });
    await waitFor('kafkajs producing', () => acked.every((a) => a.length >= 50), 60_000, 100);
    const log: string[] = [];
    await faults(topic, log);
    const mark = acked.map((a) => a.length);
    await waitFor('kafkajs producing after the faults', () => acked.every((a, p) => a.length >= mark[p] + 50), 120_000, 100);
    running = false;
    await Promise.all(senders);
    await producer.disconnect();

    const got = await readBack(topic, partitions);
    for (let p = 0; p < partitions; p++) {
      expect(duplicatesOf(got[p])).toEqual([]);
      // Acknowledged messages are all there, in the order they were sent; nothing else is.
      expect(got[p]).toEqual(acked[p]);
    }
    process.stdout.write(`kafkajs idempotent: ${acked.map((a) => a.length).join('/')} messages per partition; ${log.join(', ')}\n`);
  });

  it('kcat -X enable.idempotence=true, max.in.flight 5: every line once, in order', async () => {
    const topic = 'idem-kcat';
    await createTopic(topic, 1);
    const kcat = spawn('kcat', ['-P', '-b', bootstrap.join(','), '-t', topic, '-p', '0',
      '-X', 'enable.idempotence=true', '-X', 'max.in.flight=5', '-X', 'linger.ms=5', '-X', 'message.timeout.ms=120000'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    kcat.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const exited = new Promise<number>((resolve) => kcat.on('exit', (code) => resolve(code ?? -1)));
    let written = 0;
    let running = true;
    const feeding = (async () => {
      while (running) {
        const lines = Array.from({ length: 50 }, (_, i) => `line-${written + i}`);
        written += lines.length;
        if (!kcat.stdin.write(lines.join('\n') + '\n')) await new Promise((r) => kcat.stdin.once('drain', r));
        await new Promise((r) => setTimeout(r, 20));
      }
      kcat.stdin.end();
    })();
    try {
      await waitFor('kcat producing', async () => (await client.listOffsets(topic, 0, -1n)).offset >= 500n, 60_000, 200);
      const log: string[] = [];
      await faults(topic, log);
      const after = written;
      await waitFor('kcat producing after the faults', async () => (await client.listOffsets(topic, 0, -1n).catch(() => ({ offset: 0n }))).offset >= BigInt(after + 500), 120_000, 200);
      running = false;
      await feeding;
      expect(await exited).toBe(0);
      expect(stderr).not.toMatch(/delivery failed|fatal|Idempotent producer not supported/i);
      const [got] = await readBack(topic, 1);
      expect(duplicatesOf(got)).toEqual([]);
      // kcat exits 0 only when every message was delivered: all of them, in input order.
      expect(got).toEqual(Array.from({ length: written }, (_, i) => `line-${i}`));
      process.stdout.write(`kcat idempotent: ${written} lines; ${log.join(', ')}\n`);
    } finally {
      running = false;
      if (kcat.exitCode === null) kcat.kill('SIGKILL');
    }
  });
});
