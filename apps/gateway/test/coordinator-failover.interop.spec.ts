// Group coordinator failover across brokers: three brokers, __consumer_offsets with three
// replicas; the broker leading a group's offsets partition is SIGKILLed and stays dead. The new
// leader replays the partition; a restarted consumer resumes exactly after its last commit and a
// live consumer keeps consuming (kafkajs in child processes).
import { Etcd3 } from 'etcd3';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { partitionKey, partitionState, type PartitionState } from '@dms/cluster';
import { freePort, waitFor } from '@dms/devcluster';
import { groupPartition, OFFSETS_TOPIC } from '@dms/groups';
import { cleanup, startTestCluster, type TestCluster } from '@dms/testing';
import { GroupConsumer } from './group-consumer';

jest.setTimeout(240_000);
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const OFFSETS_PARTITIONS = 6;

let tc: TestCluster;
let etcd: Etcd3;
let admin: Admin;
let producer: Producer;
const metricsPorts: number[] = [];
const consumers: GroupConsumer[] = [];

beforeAll(async () => {
  for (let i = 0; i < 3; i++) metricsPorts.push(await freePort());
  tc = await startTestCluster({
    brokers: 3,
    controllers: 1,
    gateways: 2,
    config: {
      controller: { 'offsets.topic.num.partitions': OFFSETS_PARTITIONS },
      broker: (id) => ({ 'group.initial.rebalance.delay.ms': 300, 'group.min.session.timeout.ms': 1000, 'metrics.port': metricsPorts[id - 1] }),
    },
  });
  etcd = new Etcd3({ hosts: tc.etcdEndpoint });
  const kafka = new Kafka({ brokers: [tc.bootstrap], clientId: 'coord-failover', logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } });
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer();
  await producer.connect();
});

afterAll(async () => {
  for (const c of consumers) c.kill();
  await producer?.disconnect();
  await admin?.disconnect();
  etcd?.close();
  await cleanup();
});

function consumer(groupId: string, topic: string): GroupConsumer {
  const c = new GroupConsumer({ brokers: [tc.bootstrap], groupId, topic, sessionTimeout: 6_000 });
  consumers.push(c);
  return c;
}

async function offsetsState(groupId: string): Promise<PartitionState> {
  const raw = await etcd.get(partitionKey('dms', OFFSETS_TOPIC, groupPartition(groupId, OFFSETS_PARTITIONS))).buffer();
  const s = raw && partitionState.decode(raw);
  if (!s) throw new Error(`no offsets partition state for ${groupId}`);
  return s;
}

async function produce(topic: string, values: string[]): Promise<void> {
  await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) });
}

it('a SIGKILLed coordinator broker (not restarted) loses no commit: resume is exact, a live consumer keeps going', async () => {
  await admin.createTopics({
    topics: [{ topic: 'cf-data', numPartitions: 2, replicationFactor: 3 }, { topic: 'cf-live', numPartitions: 1, replicationFactor: 3 }],
    waitForLeaders: true,
  });

  // The live consumer: its group's coordinator is the broker we will kill.
  const live = consumer('g-live', 'cf-live');
  await live.waitFor('live consumer assigned', () => live.assignment()?.length === 1, 60_000);
  const victim = (await offsetsState('g-live')).leader;
  const offsetsTopic = await waitFor('offsets topic with 3 replicas', async () => {
    const s = await offsetsState('g-live');
    return s.replicas.length === 3 && s.isr.length === 3 ? s : false;
  }, 30_000);
  expect(offsetsTopic.replicas).toHaveLength(3);

  // A resuming group coordinated by the same broker.
  let resumeGroup = '';
  for (let i = 0; !resumeGroup; i++) {
    if (groupPartition(`g-resume-${i}`, OFFSETS_PARTITIONS) === groupPartition('g-live', OFFSETS_PARTITIONS)) resumeGroup = `g-resume-${i}`;
  }

  let sent = 0;
  let stopLive = false;
  const liveValues: string[] = [];
  const feeding = (async () => {
    while (!stopLive) {
      const value = `live-${sent}`;
      await produce('cf-live', [value]).then(() => liveValues.push(value), () => undefined);
      sent++;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();

  await produce('cf-data', Array.from({ length: 20 }, (_, i) => `d${i}`));
  const first = consumer(resumeGroup, 'cf-data');
  await first.waitFor('20 messages', () => first.messages().length >= 20 || undefined, 60_000);
  await first.stop();
  expect(first.messages().map((m) => m.value).sort()).toHaveLength(20);
  const committed = await admin.fetchOffsets({ groupId: resumeGroup, topics: ['cf-data'] });
  expect(committed[0].partitions.reduce((n, p) => n + Number(p.offset), 0)).toBe(20);

  await live.waitFor('live consumer caught up before the kill', () => live.messages().length >= 5 || undefined, 30_000);
  await tc.cluster.kill('broker', victim, 'SIGKILL');
  const killedAt = Date.now();
  const moved = await waitFor('a new leader for the offsets partition', async () => {
    const s = await offsetsState('g-live');
    return s.leader !== victim && s.leader >= 0 ? s : false;
  }, 60_000, 100);
  process.stdout.write(`offsets partition leader ${victim} -> ${moved.leader} after ${Date.now() - killedAt} ms\n`);

  // The survivors lead partitions that lost a replica, and their metrics say so.
  const underReplicated = async (id: number) => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPorts[id - 1]}/metrics`)).text();
    return Number(/^kafka_server_under_replicated_partitions(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? 0);
  };
  const survivors = [1, 2, 3].filter((id) => id !== victim);
  await waitFor('under-replicated partitions reported', async () => (await Promise.all(survivors.map(underReplicated))).some((n) => n > 0), 60_000, 200);

  // The restarted consumer reads exactly what came after its last commit.
  await produce('cf-data', Array.from({ length: 6 }, (_, i) => `d${20 + i}`));
  const second = consumer(resumeGroup, 'cf-data');
  await second.waitFor('6 messages', () => second.messages().length >= 6 || undefined, 60_000);
  // Give a duplicate a chance to show up before judging.
  await produce('cf-data', ['tail']);
  await second.waitFor('the tail message', () => second.messages().some((m) => m.value === 'tail') || undefined, 30_000);
  await second.stop();
  expect(second.messages().map((m) => m.value).sort()).toEqual(['d20', 'd21', 'd22', 'd23', 'd24', 'd25', 'tail']);

  // The live consumer keeps consuming what is produced after the kill, and never failed for good.
  const mark = liveValues.length;
  await waitFor('live producer to move past the kill', () => liveValues.length >= mark + 10, 30_000);
  const target = liveValues[mark + 9];
  await live.waitFor('live consumer past the kill', () => live.messages().some((m) => m.value === target) || undefined, 60_000)
    .catch((e) => { throw new Error(`${(e as Error).message}; events: ${JSON.stringify(live.events.filter((x) => x.event !== 'message'))}`); });
  stopLive = true;
  await feeding;
  expect(live.events.filter((e) => e.event === 'error')).toEqual([]);
  const gotLive = new Set(live.messages().map((m) => m.value));
  expect(liveValues.slice(0, mark + 10).filter((v) => !gotLive.has(v))).toEqual([]);
});
