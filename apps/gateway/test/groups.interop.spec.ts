// Consumer groups with real clients against a real cluster: kafkajs consumers in child
// processes balance a topic's partitions, rebalance on join, leave and crash; kcat's balanced
// consumer joins; committed offsets survive consumer restarts and a coordinator broker crash.
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { cleanup, startTestCluster, type TestCluster } from '@dms/testing';
import { GroupConsumer } from './group-consumer';
import { runProcess } from './run-process';

jest.setTimeout(180_000);
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const SESSION_TIMEOUT_MS = 3_000;

let tc: TestCluster;
let kafka: Kafka;
let admin: Admin;
let producer: Producer;
const consumers: GroupConsumer[] = [];

beforeAll(async () => {
  tc = await startTestCluster({
    brokers: 2,
    controllers: 1,
    gateways: 2,
    config: { broker: { 'group.initial.rebalance.delay.ms': 300, 'group.min.session.timeout.ms': 1000 } },
  });
  kafka = new Kafka({ brokers: [tc.bootstrap], clientId: 'groups-interop', logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer();
  await producer.connect();
});

afterEach(() => {
  for (const c of consumers.splice(0)) c.kill();
});

afterAll(async () => {
  await producer?.disconnect();
  await admin?.disconnect();
  await cleanup();
});

function consumer(groupId: string, topic: string, extra = {}): GroupConsumer {
  const c = new GroupConsumer({ brokers: [tc.bootstrap], groupId, topic, sessionTimeout: SESSION_TIMEOUT_MS, ...extra });
  consumers.push(c);
  return c;
}

const sizes = (cs: GroupConsumer[]) => cs.map((c) => c.assignment()?.length ?? 0).sort();
const covers = (cs: GroupConsumer[], n: number) => {
  const all = cs.flatMap((c) => c.assignment() ?? []).sort((a, b) => a - b);
  return all.length === n && all.every((p, i) => p === i);
};

async function produce(topic: string, values: string[], partition?: number): Promise<void> {
  await producer.send({ topic, acks: -1, messages: values.map((value, i) => ({ value, key: `k${i}`, partition })) });
}

describe('kafkajs group membership', () => {
  it('balances 6 partitions 3/3, then 2/2/2 on a join, then moves a SIGKILLed member\'s partitions within the session timeout', async () => {
    const topic = 'grp-balance';
    await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
    const a = consumer('g-balance', topic);
    const b = consumer('g-balance', topic);
    await a.waitFor('3/3', () => covers([a, b], 6) && sizes([a, b]).join() === '3,3', 60_000);

    const c = consumer('g-balance', topic);
    await c.waitFor('2/2/2', () => covers([a, b, c], 6) && sizes([a, b, c]).join() === '2,2,2', 60_000);

    const killedAt = Date.now();
    c.kill();
    await a.waitFor('3/3 after the crash', () => covers([a, b], 6) && sizes([a, b]).join() === '3,3', 30_000);
    const movedMs = Date.now() - killedAt;
    // Session timeout, plus one heartbeat round for the survivors to learn and rejoin.
    expect(movedMs).toBeLessThan(SESSION_TIMEOUT_MS + 3_000);
    process.stdout.write(`partitions moved ${movedMs} ms after SIGKILL (session timeout ${SESSION_TIMEOUT_MS} ms)\n`);

    // Every partition is consumed by someone.
    await produce(topic, Array.from({ length: 60 }, (_, i) => `m${i}`));
    await a.waitFor('all 60 messages', () => [...a.messages(), ...b.messages()].length >= 60 || undefined, 30_000);
    const got = [...a.messages(), ...b.messages()].map((m) => m.value).sort();
    expect(new Set(got).size).toBe(60);

    const described = await admin.describeGroups(['g-balance']);
    expect(described.groups[0].state).toBe('Stable');
    expect(described.groups[0].members).toHaveLength(2);
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).toContain('g-balance');
  });
});
