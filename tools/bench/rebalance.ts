// `bench rebalance`: how long a consumer group of N members takes to settle when one more member
// joins and when one leaves, under the classic protocol (kafkajs members, eager rebalance) or
// KIP-848 (our ConsumerGroupMember, group.protocol=consumer). Settled: classic, every member got
// its assignment of the new generation (GROUP_JOIN); KIP-848, ConsumerGroupDescribe answers
// Stable with every member reconciled at the new epoch. Each member has its own connections.
import * as os from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { ConsumerGroupMember, DEFAULT_BOOTSTRAP, ErrorCode, KafkaClient, KafkaError, parseIntOption, groupCoordinator } from '@dms/kafka-client';
import { ApiKey } from '@dms/kafka-schema';

export interface RebalanceOptions {
  bootstrapServer: string;
  protocol: 'classic' | 'consumer';
  members: number;
  partitions: number;
  topic: string;
  rounds: number;
  timeoutMs: number;
  json: boolean;
}

interface Member {
  /** Times (ms since epoch) the member got a new assignment. */
  assignedAt: number[];
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, timeoutMs: number, probe: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

// ---- classic (kafkajs) ------------------------------------------------------------------------

async function classicMember(o: RebalanceOptions, groupId: string, i: number): Promise<Member & { consumer: Consumer }> {
  const kafka = new Kafka({ clientId: `rebalance-${i}`, brokers: [o.bootstrapServer], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 500 });
  const m = { assignedAt: [] as number[], consumer, stop: () => consumer.disconnect() };
  consumer.on(consumer.events.GROUP_JOIN, () => m.assignedAt.push(Date.now()));
  await consumer.connect();
  await consumer.subscribe({ topics: [o.topic], fromBeginning: false });
  await consumer.run({ eachMessage: async () => undefined });
  return m;
}

/** DescribeGroups: state and member count of a classic group. */
async function classicState(client: KafkaClient, groupId: string): Promise<{ state: string; members: number }> {
  const conn = await groupCoordinator(client, groupId);
  const res = await conn.request<any>(ApiKey.DescribeGroups, { groups: [groupId], includeAuthorizedOperations: false });
  return { state: res.groups[0].groupState, members: res.groups[0].members.length };
}

// ---- KIP-848 ----------------------------------------------------------------------------------

function consumerMember(o: RebalanceOptions, groupId: string, i: number): Member {
  const client = new KafkaClient({ bootstrapServers: o.bootstrapServer, clientId: `rebalance-${i}`, retries: 10 });
  const assignedAt: number[] = [];
  const member = new ConsumerGroupMember(client, {
    groupId, topics: [o.topic], autoOffsetReset: 'latest', maxWaitMs: 500,
    listener: { onAssigned: () => assignedAt.push(Date.now()), onRevoked: () => assignedAt.push(Date.now()) },
  });
  const done = member.run(() => undefined).catch((err) => { process.stderr.write(`member ${i}: ${String(err)}\n`); return 0; });
  return { assignedAt, stop: async () => { member.stop(); await done; client.close(); } };
}

/** ConsumerGroupDescribe: Stable with `members` members, each at the assignment epoch. */
async function consumerSettled(client: KafkaClient, groupId: string, members: number, afterEpoch: number): Promise<number | undefined> {
  const conn = await groupCoordinator(client, groupId);
  const res = await conn.request<any>(ApiKey.ConsumerGroupDescribe, { groupIds: [groupId], includeAuthorizedOperations: false });
  const g = res.groups[0];
  if (g.errorCode !== ErrorCode.NONE || g.groupState !== 'Stable' || g.members.length !== members || g.groupEpoch <= afterEpoch) return undefined;
  return g.groupEpoch;
}

async function consumerEpoch(client: KafkaClient, groupId: string): Promise<number> {
  const conn = await groupCoordinator(client, groupId);
  const res = await conn.request<any>(ApiKey.ConsumerGroupDescribe, { groupIds: [groupId], includeAuthorizedOperations: false });
  return res.groups[0].errorCode === ErrorCode.NONE ? res.groups[0].groupEpoch : 0;
}

// ---- the measurement --------------------------------------------------------------------------

export interface RebalanceResult {
  protocol: string;
  members: number;
  partitions: number;
  /** Per round: ms from the extra member's start until the group settled with N+1 members. */
  joinMs: number[];
  /** Per round: ms from a member's stop until the group settled with N members. */
  leaveMs: number[];
  loadAverage: number[];
}

export async function runRebalance(o: RebalanceOptions): Promise<RebalanceResult> {
  const admin = new KafkaClient({ bootstrapServers: o.bootstrapServer, clientId: 'rebalance-admin', retries: 10 });
  const result: RebalanceResult = { protocol: o.protocol, members: o.members, partitions: o.partitions, joinMs: [], leaveMs: [], loadAverage: [] };
  const started: Member[] = [];
  try {
    const [created] = await admin.createTopics([{ name: o.topic, numPartitions: o.partitions }]);
    if (created.errorCode !== ErrorCode.NONE && created.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) throw new KafkaError(created.errorCode, created.errorMessage ?? undefined);
    const groupId = `rebalance-${o.protocol}-${Date.now()}`;
    const add = async (i: number) => {
      const m = o.protocol === 'classic' ? await classicMember(o, groupId, i) : consumerMember(o, groupId, i);
      started.push(m);
      return m;
    };
    // The group forms; its members' first assignment is not measured.
    for (let i = 0; i < o.members; i++) await add(i);
    const settled = async (n: number, since: number, epochBefore: number): Promise<boolean> => {
      if (o.protocol === 'consumer') return (await consumerSettled(admin, groupId, n, epochBefore)) !== undefined;
      const s = await classicState(admin, groupId);
      return s.state === 'Stable' && s.members === n && started.every((m) => m.assignedAt.some((t) => t >= since));
    };
    await until('the group to form', o.timeoutMs, () => settled(o.members, 0, 0));

    for (let round = 0; round < o.rounds; round++) {
      const epochJoin = o.protocol === 'consumer' ? await consumerEpoch(admin, groupId) : 0;
      const t0 = Date.now();
      await add(o.members + round);
      await until('the group to settle after a join', o.timeoutMs, () => settled(o.members + 1, t0, epochJoin));
      result.joinMs.push(Date.now() - t0);

      const epochLeave = o.protocol === 'consumer' ? await consumerEpoch(admin, groupId) : 0;
      const leaving = started.shift()!;
      const t1 = Date.now();
      await leaving.stop();
      await until('the group to settle after a leave', o.timeoutMs, () => settled(o.members, t1, epochLeave));
      result.leaveMs.push(Date.now() - t1);
    }
    result.loadAverage = os.loadavg().map((x) => Math.round(x * 100) / 100);
    return result;
  } finally {
    await Promise.all(started.map((m) => m.stop().catch(() => undefined)));
    admin.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export function parseRebalanceArgs(argv: string[]): RebalanceOptions {
  const cmd = new Command('bench rebalance')
    .description('rebalance time of a consumer group of N members when one joins and one leaves')
    .exitOverride()
    .option('--bootstrap-server <host:port>', 'Kafka address of the cluster', DEFAULT_BOOTSTRAP)
    .addOption(new Option('--protocol <p>', 'classic (JoinGroup/SyncGroup, kafkajs members) or consumer (KIP-848)').choices(['classic', 'consumer']).default('consumer'))
    .addOption(new Option('--members <n>', 'members of the formed group').argParser(parseIntOption('--members', 1, 500)).default(20))
    .addOption(new Option('--partitions <n>', 'partitions of the topic').argParser(parseIntOption('--partitions', 1, 10_000)).default(60))
    .option('--topic <name>', 'topic (created when missing)', 'dms-rebalance')
    .addOption(new Option('--rounds <n>', 'join-then-leave rounds measured').argParser(parseIntOption('--rounds', 1, 100)).default(3))
    .addOption(new Option('--timeout-ms <ms>', 'longest wait for the group to settle').argParser(parseIntOption('--timeout-ms', 1_000)).default(300_000))
    .option('--json', 'print the result as JSON');
  cmd.parse(argv, { from: 'user' });
  const o = cmd.opts();
  if (cmd.args.length > 0) throw new InvalidArgumentError(`unexpected argument '${cmd.args[0]}'`);
  return { ...o, json: o.json === true } as RebalanceOptions;
}

export async function mainRebalance(argv: string[]): Promise<number> {
  const o = parseRebalanceArgs(argv);
  const r = await runRebalance(o);
  if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
  else {
    process.stdout.write(`protocol ${r.protocol}, ${r.members} members, ${r.partitions} partitions, load average ${r.loadAverage.join(' ')}\n`);
    process.stdout.write(`  join:  ${r.joinMs.join(', ')} ms (median ${median(r.joinMs)})\n`);
    process.stdout.write(`  leave: ${r.leaveMs.join(', ')} ms (median ${median(r.leaveMs)})\n`);
  }
  return 0;
}
