import { Command, Option } from 'commander';
import {
  DEFAULT_BOOTSTRAP, EARLIEST_TIMESTAMP, GroupAdmin, KafkaClient, LATEST_TIMESTAMP, describeError, errorName, processIo,
  type CliIo, type GroupDescription,
} from '@dms/kafka-client';

interface CommonOptions {
  bootstrapServer: string;
  json?: boolean;
}

interface ResetOptions extends CommonOptions {
  topic: string;
  toEarliest?: boolean;
  toLatest?: boolean;
  toOffset?: string;
  shiftBy?: string;
  toDatetime?: string;
  dryRun?: boolean;
  execute?: boolean;
}

function withCommon(cmd: Command): Command {
  return cmd
    .option('--bootstrap-server <host:port>', 'Kafka address of the cluster', DEFAULT_BOOTSTRAP)
    .option('--json', 'print JSON');
}

async function withAdmin(io: CliIo, opts: CommonOptions, body: (admin: GroupAdmin, client: KafkaClient) => Promise<void>): Promise<void> {
  let client: KafkaClient | undefined;
  try {
    client = new KafkaClient({ bootstrapServers: opts.bootstrapServer, clientId: 'dms-cli' });
    await body(new GroupAdmin(client), client);
  } catch (err) {
    io.err(`error: ${describeError(err)}\n`);
    process.exitCode = 1;
  } finally {
    client?.close();
  }
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n') + '\n';
}

/** Offsets per partition with log end and lag, joined with the member owning each partition. */
async function offsetRows(admin: GroupAdmin, client: KafkaClient, group: GroupDescription) {
  const committed = await admin.fetchOffsets(group.groupId);
  const owner = new Map<string, GroupDescription['members'][number]>();
  for (const m of group.members) for (const a of m.assignment) for (const p of a.partitions) owner.set(`${a.topic}\0${p}`, m);
  const keys = new Map<string, { topic: string; partition: number; committed: bigint | null }>();
  for (const c of committed) keys.set(`${c.topic}\0${c.partition}`, { topic: c.topic, partition: c.partition, committed: c.offset });
  for (const m of group.members) for (const a of m.assignment) for (const p of a.partitions) {
    const k = `${a.topic}\0${p}`;
    if (!keys.has(k)) keys.set(k, { topic: a.topic, partition: p, committed: null });
  }
  const rows = [...keys.values()].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  return Promise.all(rows.map(async (r) => {
    const end = await client.listOffsets(r.topic, r.partition, LATEST_TIMESTAMP).then((o) => o.offset, () => null);
    const m = owner.get(`${r.topic}\0${r.partition}`);
    return {
      topic: r.topic,
      partition: r.partition,
      committedOffset: r.committed,
      logEndOffset: end,
      lag: r.committed !== null && end !== null ? end - r.committed : null,
      memberId: m?.memberId ?? null,
      clientId: m?.clientId ?? null,
      host: m?.clientHost ?? null,
    };
  }));
}

const show = (v: bigint | string | null) => (v === null ? '-' : String(v));
const jsonSafe = (o: unknown) => JSON.stringify(o, (_, v) => (typeof v === 'bigint' ? Number(v) : v));

/** The target offset of one partition for a reset, clamped to the log as Kafka's tool does. */
async function resetTarget(client: KafkaClient, opts: ResetOptions, topic: string, partition: number, current: bigint | undefined): Promise<bigint> {
  const earliest = (await client.listOffsets(topic, partition, EARLIEST_TIMESTAMP)).offset;
  const latest = (await client.listOffsets(topic, partition, LATEST_TIMESTAMP)).offset;
  const clamp = (o: bigint) => (o < earliest ? earliest : o > latest ? latest : o);
  if (opts.toEarliest) return earliest;
  if (opts.toLatest) return latest;
  if (opts.toOffset !== undefined) return clamp(BigInt(opts.toOffset));
  if (opts.shiftBy !== undefined) return clamp((current ?? latest) + BigInt(opts.shiftBy));
  const ts = Date.parse(opts.toDatetime!);
  // The first record at or after the time (found through the time index); none means the end.
  const found = await client.listOffsets(topic, partition, BigInt(ts));
  return found.offset < 0n ? latest : found.offset;
}

function parseTopicArg(arg: string): { topic: string; partitions?: number[] } {
  const i = arg.lastIndexOf(':');
  if (i < 0) return { topic: arg };
  const partitions = arg.slice(i + 1).split(',').map((s) => Number(s.trim()));
  if (partitions.some((p) => !Number.isInteger(p) || p < 0)) throw new Error(`bad partition list in --topic ${arg}`);
  return { topic: arg.slice(0, i), partitions };
}

export function register(program: Command, io: CliIo = processIo): void {
  const groups = program.command('groups').description('list, describe, delete consumer groups and reset their offsets');

  withCommon(groups.command('list').description('list consumer groups with their state'))
    .action(async (opts: CommonOptions) => withAdmin(io, opts, async (admin) => {
      const list = (await admin.listGroups()).sort((a, b) => a.groupId.localeCompare(b.groupId));
      if (opts.json) io.out(`${JSON.stringify(list)}\n`);
      else io.out(list.map((g) => `${g.groupId}\t${g.state}\n`).join(''));
    }));

  withCommon(groups.command('describe <group>').description('members, their partitions, committed offset, log end offset and lag'))
    .action(async (groupId: string, opts: CommonOptions) => withAdmin(io, opts, async (admin, client) => {
      const group = await admin.describeGroup(groupId);
      if (group.errorCode !== 0) throw new Error(`cannot describe group ${groupId}: ${errorName(group.errorCode)}`);
      const offsets = await offsetRows(admin, client, group);
      if (opts.json) {
        io.out(`${jsonSafe({ groupId, state: group.state, protocolType: group.protocolType, protocol: group.protocol, members: group.members, offsets })}\n`);
        return;
      }
      let s = `Group ${groupId} is ${group.state}${group.protocol ? ` (protocol ${group.protocol})` : ''} with ${group.members.length} member(s).\n\n`;
      s += table([
        ['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'],
        ...offsets.map((o) => [groupId, o.topic, String(o.partition), show(o.committedOffset), show(o.logEndOffset), show(o.lag), show(o.memberId), show(o.host), show(o.clientId)]),
      ]);
      io.out(s);
    }));

  withCommon(groups.command('delete <group>').description('delete a group without members, with its committed offsets'))
    .action(async (groupId: string, opts: CommonOptions) => withAdmin(io, opts, async (admin) => {
      const errorCode = await admin.deleteGroup(groupId);
      if (opts.json) io.out(`${JSON.stringify({ groupId, errorCode, errorName: errorName(errorCode) })}\n`);
      else if (errorCode === 0) io.out(`Deleted group ${groupId}.\n`);
      if (errorCode !== 0) {
        if (!opts.json) io.err(`error: cannot delete group ${groupId}: ${errorName(errorCode)}\n`);
        process.exitCode = 1;
      }
    }));

  withCommon(groups.command('reset-offsets <group>').description('move a group\'s committed offsets (the group must have no active members)'))
    .requiredOption('--topic <topic[:p1,p2]>', 'topic whose offsets move, optionally only some partitions')
    .option('--to-earliest', 'to the log start')
    .option('--to-latest', 'to the log end')
    .option('--to-offset <n>', 'to an absolute offset (clamped to the log)')
    .option('--shift-by <n>', 'by n from the committed offset (negative moves back)')
    .option('--to-datetime <iso>', 'to the first record at or after this time, e.g. 2024-01-31T12:00:00.000Z')
    .addOption(new Option('--dry-run', 'show the new offsets only (the default)').conflicts('execute'))
    .option('--execute', 'commit the new offsets')
    .action(async (groupId: string, opts: ResetOptions) => withAdmin(io, opts, async (admin, client) => {
      const chosen = [opts.toEarliest, opts.toLatest, opts.toOffset !== undefined, opts.shiftBy !== undefined, opts.toDatetime !== undefined].filter(Boolean).length;
      if (chosen !== 1) throw new Error('give exactly one of --to-earliest, --to-latest, --to-offset, --shift-by, --to-datetime');
      if (opts.toDatetime !== undefined && Number.isNaN(Date.parse(opts.toDatetime))) throw new Error(`--to-datetime: not a date: ${opts.toDatetime}`);
      for (const [name, v] of [['--to-offset', opts.toOffset], ['--shift-by', opts.shiftBy]] as const) {
        if (v !== undefined && !/^-?\d+$/.test(v)) throw new Error(`${name}: not an integer: ${v}`);
      }
      const group = await admin.describeGroup(groupId);
      if (group.errorCode !== 0) throw new Error(`cannot describe group ${groupId}: ${errorName(group.errorCode)}`);
      if (group.members.length > 0 || !['Empty', 'Dead'].includes(group.state)) {
        throw new Error(`Assignments can only be reset if the group '${groupId}' is inactive, but the current state is ${group.state}.`);
      }
      const { topic, partitions: only } = parseTopicArg(opts.topic);
      const count = await client.partitionCount(topic);
      const partitions = only ?? Array.from({ length: count }, (_, i) => i);
      const bad = partitions.find((p) => p >= count);
      if (bad !== undefined) throw new Error(`topic ${topic} has no partition ${bad}`);
      const committed = new Map((await admin.fetchOffsets(groupId)).filter((c) => c.topic === topic).map((c) => [c.partition, c.offset]));
      const plan = [];
      for (const p of partitions) plan.push({ topic, partition: p, offset: await resetTarget(client, opts, topic, p, committed.get(p)) });
      let errors: { topic: string; partition: number; errorCode: number }[] = [];
      if (opts.execute) errors = (await admin.commitOffsets(groupId, plan)).filter((e) => e.errorCode !== 0);
      if (opts.json) {
        io.out(`${jsonSafe({ groupId, executed: !!opts.execute, offsets: plan.map((p) => ({ topic: p.topic, partition: p.partition, newOffset: p.offset })), errors: errors.map((e) => ({ ...e, errorName: errorName(e.errorCode) })) })}\n`);
      } else {
        if (!opts.execute && !opts.dryRun) io.err('warning: no --execute given: showing the plan only (--dry-run)\n');
        io.out(table([['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], ...plan.map((p) => [groupId, p.topic, String(p.partition), String(p.offset)])]));
      }
      if (errors.length > 0) {
        if (!opts.json) for (const e of errors) io.err(`error: ${e.topic}-${e.partition}: ${errorName(e.errorCode)}\n`);
        process.exitCode = 1;
      }
    }));
}
