// Consumer groups with real clients against a real cluster: kafkajs consumers in child
// processes balance a topic's partitions, rebalance on join, leave and crash; kcat's balanced
// consumer joins; committed offsets survive consumer restarts and a coordinator broker crash.
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { waitFor } from '@dms/devcluster';
import { cleanup, runCli, startTestCluster, type TestCluster } from '@dms/testing';
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

describe('kcat balanced consumer', () => {
  it('joins a group with kcat -G, consumes everything and commits', async () => {
    const topic = 'grp-kcat';
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    const values = Array.from({ length: 30 }, (_, i) => `kc${i}`);
    await produce(topic, values);
    const res = await runProcess('kcat', [
      '-b', tc.bootstrap, '-G', 'g-kcat', topic, '-c', '30', '-f', '%s\n',
      '-X', 'auto.offset.reset=earliest', '-X', 'session.timeout.ms=6000', '-X', 'enable.auto.commit=true', '-X', 'auto.commit.interval.ms=100',
    ], { timeoutMs: 60_000 });
    expect(res.timedOut).toBe(false);
    expect(res.stdout.split('\n').filter(Boolean).sort()).toEqual([...values].sort());
    // kcat commits on close: the group's committed offsets cover every message.
    const offsets = await admin.fetchOffsets({ groupId: 'g-kcat', topics: [topic] });
    const committed = offsets[0].partitions.reduce((n, p) => n + Number(p.offset), 0);
    expect(committed).toBe(30);
  });
});

describe('committed offsets', () => {
  async function coordinatorBroker(groupId: string): Promise<number> {
    const meta = await admin.fetchTopicMetadata({ topics: ['__consumer_offsets'] });
    const partitions = meta.topics[0].partitions;
    // Kafka's placement: abs(groupId.hashCode()) % partitions; replicas[0] is the storage leader.
    let h = 0;
    for (let i = 0; i < groupId.length; i++) h = (Math.imul(h, 31) + groupId.charCodeAt(i)) | 0;
    const p = partitions.find((x) => x.partitionId === (h === -2147483648 ? 0 : Math.abs(h)) % partitions.length)!;
    return p.replicas[0];
  }

  async function consumeAll(groupId: string, topic: string, expected: number): Promise<string[]> {
    const c = consumer(groupId, topic);
    await c.waitFor(`${expected} messages`, () => c.messages().length >= expected || undefined, 60_000);
    await c.stop();
    return c.messages().map((m) => m.value!);
  }

  it('resumes after the last commit when a consumer restarts', async () => {
    const topic = 'grp-resume';
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await produce(topic, Array.from({ length: 10 }, (_, i) => `r${i}`));
    expect(await consumeAll('g-resume', topic, 10)).toEqual(Array.from({ length: 10 }, (_, i) => `r${i}`));
    await produce(topic, Array.from({ length: 5 }, (_, i) => `r${10 + i}`));
    const second = await consumeAll('g-resume', topic, 5);
    expect(second).toEqual(['r10', 'r11', 'r12', 'r13', 'r14']);
  });

  it('keeps commits when the coordinator\'s broker is SIGKILLed and restarted in between', async () => {
    const topic = 'grp-failover';
    const groupId = 'g-failover';
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    await produce(topic, Array.from({ length: 20 }, (_, i) => `f${i}`));
    expect((await consumeAll(groupId, topic, 20)).sort()).toHaveLength(20);

    const brokerId = await coordinatorBroker(groupId);
    await tc.cluster.kill('broker', brokerId, 'SIGKILL');
    await tc.cluster.restart('broker', brokerId);
    await produce(topic, Array.from({ length: 6 }, (_, i) => `f${20 + i}`));
    const after = await consumeAll(groupId, topic, 6);
    expect(after.sort()).toEqual(['f20', 'f21', 'f22', 'f23', 'f24', 'f25']);
    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(offsets[0].partitions.reduce((n, p) => n + Number(p.offset), 0)).toBe(26);
  });
});

describe('dms groups CLI', () => {
  const cli = (args: string[]) => runCli([...args, '--bootstrap-server', tc.bootstrap], { timeoutMs: 60_000 });

  it('describes, refuses to reset an active group, resets --to-datetime, and the group re-reads from that time', async () => {
    const topic = 'grp-cli';
    const groupId = 'g-cli';
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await produce(topic, ['old0', 'old1', 'old2', 'old3', 'old4']);
    const since = Date.now() + 2;
    await waitFor('the clock to pass the cut', () => Date.now() > since + 2, 1_000, 1);
    await produce(topic, ['new0', 'new1', 'new2', 'new3', 'new4']);

    const first = consumer(groupId, topic);
    await first.waitFor('10 messages', () => first.messages().length >= 10 || undefined);
    const active = await cli(['groups', 'describe', groupId, '--json']);
    expect(active.code).toBe(0);
    const activeJson = JSON.parse(active.stdout);
    expect(activeJson.state).toBe('Stable');
    expect(activeJson.members).toHaveLength(1);
    expect(activeJson.members[0].assignment).toEqual([{ topic, partitions: [0] }]);
    expect(activeJson.members[0].clientHost).toBe('/127.0.0.1');
    const refused = await cli(['groups', 'reset-offsets', groupId, '--topic', topic, '--to-earliest', '--execute']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('inactive');
    await first.stop();

    const described = await cli(['groups', 'describe', groupId, '--json']);
    const d = JSON.parse(described.stdout);
    expect(d.state).toBe('Empty');
    expect(d.offsets).toEqual([expect.objectContaining({ topic, partition: 0, committedOffset: 10, logEndOffset: 10, lag: 0 })]);
    const text = await cli(['groups', 'describe', groupId]);
    expect(text.stdout).toMatch(/LOG-END-OFFSET/);

    const iso = new Date(since).toISOString();
    const dry = await cli(['groups', 'reset-offsets', groupId, '--topic', topic, '--to-datetime', iso, '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ executed: false, offsets: [{ topic, partition: 0, newOffset: 5 }] });
    expect((await admin.fetchOffsets({ groupId, topics: [topic] }))[0].partitions[0].offset).toBe('10');

    const done = await cli(['groups', 'reset-offsets', groupId, '--topic', topic, '--to-datetime', iso, '--execute', '--json']);
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ executed: true, offsets: [{ newOffset: 5 }], errors: [] });

    const again = consumer(groupId, topic);
    await again.waitFor('5 messages', () => again.messages().length >= 5 || undefined);
    await again.stop();
    expect(again.messages().map((m) => m.value)).toEqual(['new0', 'new1', 'new2', 'new3', 'new4']);

    const listed = await cli(['groups', 'list', '--json']);
    expect(JSON.parse(listed.stdout)).toContainEqual({ groupId, protocolType: 'consumer', state: 'Empty' });
    expect((await cli(['groups', 'delete', groupId])).code).toBe(0);
    const gone = JSON.parse((await cli(['groups', 'describe', groupId, '--json'])).stdout);
    expect(gone.state).toBe('Dead');
    expect(gone.offsets).toEqual([]);
  });
});
