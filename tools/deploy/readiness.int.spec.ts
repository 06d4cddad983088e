// The health endpoints the Kubernetes probes use, on a real dev cluster (1 controller, 3 brokers,
// 1 gateway): every service answers /livez; a broker's /readyz is 503 while a follower of one of
// its partitions is out of the ISR (frozen past replica.lag.time.max.ms, or restarted and catching
// up) and 200 again once the leader has taken it back into the ISR.
import { get } from 'node:http';
import { ClusterView, createEtcdClient } from '@dms/cluster';
import { freePort, waitFor } from '@dms/devcluster';
import { buildRecordBatch } from '@dms/kafka-codec';
import { KafkaClient } from '@dms/kafka-client';
import { ErrorCode } from '@dms/kafka-errors';
import { cleanup, startTestCluster, type TestCluster } from '@dms/testing';

jest.setTimeout(240_000);

const TOPIC = 'readiness';
const PARTITIONS = 3;
const FOLLOWER = 3;

interface Probe {
  status: number; // 0: no answer (process down or frozen)
  body: { ready?: boolean; live?: boolean; reasons?: string[] };
}

function probe(port: number, path: string, timeoutMs = 1_000): Promise<Probe> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
        } catch {
          resolve({ status: res.statusCode ?? 0, body: {} });
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, body: {} }));
  });
}

/** Probes /readyz every 25 ms until it answers 200, recording every answer (bounded). */
async function readinessUntilReady(port: number, timeoutMs: number): Promise<Probe[]> {
  const seen: Probe[] = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const p = await probe(port, '/readyz', 500);
    seen.push(p);
    if (p.status === 200) return seen;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`/readyz on ${port} never answered 200; last: ${JSON.stringify(seen.at(-1))}`);
}

let tc: TestCluster;
let client: KafkaClient;
let etcd: ReturnType<typeof createEtcdClient>;
let view: ClusterView;
const health = { controller: 0, gateway: 0, broker: new Map<number, number>() };

beforeAll(async () => {
  health.controller = await freePort();
  health.gateway = await freePort();
  for (const id of [1, 2, 3]) health.broker.set(id, await freePort());
  tc = await startTestCluster({
    brokers: 3,
    config: {
      controller: { 'health.port': health.controller },
      gateway: { 'health.port': health.gateway },
      // A long lease: a broker frozen for a few seconds keeps its registration, so what changes is its ISR membership.
      broker: (id) => ({ 'health.port': health.broker.get(id)!, 'replica.lag.time.max.ms': 2_000, 'etcd.lease.ttl.ms': 20_000 }),
    },
  });
  client = new KafkaClient({ bootstrapServers: tc.bootstrap, clientId: 'readiness-spec' });
  const [created] = await client.createTopics([{ name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3 }]);
  expect(created.errorCode).toBe(ErrorCode.NONE);
  etcd = createEtcdClient([tc.etcdEndpoint]);
  view = new ClusterView(etcd, tc.cluster.clusterName).start();
  await view.ready;
});

afterAll(async () => {
  client?.close();
  await view?.close().catch(() => undefined);
  etcd?.close();
  await cleanup();
});

const followerOutOfIsr = () => [...view.partitions(TOPIC).values()].some((s) => s.leader !== FOLLOWER && !s.isr.includes(FOLLOWER));
const allInIsr = () => view.partitions(TOPIC).size === PARTITIONS && [...view.partitions(TOPIC).values()].every((s) => s.isr.length === 3);

async function produceEverywhere(rounds: number): Promise<void> {
  const value = 'x'.repeat(16 << 10);
  for (let i = 0; i < rounds; i++) {
    for (let p = 0; p < PARTITIONS; p++) {
      // Only into partitions led by a live broker other than the frozen or stopped one (the
      // others wait for an election, or for that broker when it was their last ISR member).
      const leader = view.partitions(TOPIC).get(p)?.leader ?? -1;
      if (leader < 0 || leader === FOLLOWER || view.broker(leader) === undefined) continue;
      const res = await client.produce(TOPIC, p, await buildRecordBatch({ records: [{ value: `${i}-${value}` }] }), 1);
      expect(res.baseOffset).toBeGreaterThanOrEqual(0n);
    }
  }
}

it('every service is live and, once the topic is fully replicated, ready', async () => {
  await produceEverywhere(5);
  await waitFor('every replica in the ISR', async () => allInIsr(), 60_000, 100);
  for (const port of [health.controller, health.gateway, ...health.broker.values()]) {
    const live = await probe(port, '/livez');
    expect([port, live.status, live.body.live]).toEqual([port, 200, true]);
    const seen = await readinessUntilReady(port, 30_000);
    expect(seen.at(-1)!.body).toEqual({ ready: true, reasons: [] });
  }
  expect((await probe(health.controller, '/nope')).status).toBe(404);
});

it("a broker is not ready while out of the ISR of a partition it follows, and ready once back in", async () => {
  const port = health.broker.get(FOLLOWER)!;
  const svc = tc.cluster.status().processes.find((p) => p.role === 'broker' && p.id === FOLLOWER)!;
  process.kill(svc.pid!, 'SIGSTOP');
  try {
    await waitFor(`broker ${FOLLOWER} dropped from an ISR`, async () => followerOutOfIsr(), 30_000, 50);
    // Data it has not got yet, so catching up takes some fetches.
    await produceEverywhere(20);
  } finally {
    process.kill(svc.pid!, 'SIGCONT');
  }
  const seen = await readinessUntilReady(port, 60_000);
  const catchingUp = seen.filter((p) => p.status === 503 && p.body.reasons?.some((r) => r.includes('not in the ISR')));
  expect(catchingUp.length).toBeGreaterThan(0);
  expect(catchingUp[0]!.body.ready).toBe(false);
  // Ready only once etcd shows it back in every ISR.
  await waitFor('every replica back in the ISR', async () => allInIsr(), 5_000, 50);
  expect(tc.unexpectedExits).toEqual([]);
});

it('a restarted broker turns ready only after catching up', async () => {
  const port = health.broker.get(FOLLOWER)!;
  await waitFor('every replica in the ISR', async () => allInIsr(), 30_000, 50);
  await tc.cluster.kill('broker', FOLLOWER, 'SIGTERM');
  await waitFor(`broker ${FOLLOWER} unregistered and out of an ISR`, async () => view.broker(FOLLOWER) === undefined && followerOutOfIsr(), 60_000, 50);
  expect((await probe(port, '/livez')).status).toBe(0);
  await produceEverywhere(20);
  const watching = readinessUntilReady(port, 90_000);
  await tc.cluster.restart('broker', FOLLOWER);
  const seen = await watching;
  const notReady = seen.filter((p) => p.status === 503);
  expect(notReady.length).toBeGreaterThan(0);
  await waitFor('every replica back in the ISR', async () => allInIsr(), 5_000, 50);
  expect(seen.at(-1)!.body).toEqual({ ready: true, reasons: [] });
});
