import { Command, Option } from 'commander';
import {
  DEFAULT_BOOTSTRAP, EARLIEST_TIMESTAMP, ErrorCode, GroupAdmin, KafkaClient, LATEST_TIMESTAMP, ShareGroupAdmin, describeError, errorName, processIo, securityFromFile,
  type CliIo,
} from '@dms/kafka-client';

export interface ShareGroupsOptions {
  bootstrapServer: string;
  commandConfig?: string;
  list?: boolean;
  describe?: boolean;
  resetOffsets?: boolean;
  delete?: boolean;
  deleteOffsets?: boolean;
  group?: string;
  topic?: string;
  members?: boolean;
  state?: boolean;
  offsets?: boolean;
  verbose?: boolean;
  toEarliest?: boolean;
  toLatest?: boolean;
  toDatetime?: string;
  dryRun?: boolean;
  execute?: boolean;
  json?: boolean;
}

/** The one action the flags ask for, as kafka-share-groups.sh insists. */
export function shareGroupsAction(o: ShareGroupsOptions): 'list' | 'describe' | 'reset-offsets' | 'delete' | 'delete-offsets' {
  const actions = ([['list', o.list], ['describe', o.describe], ['reset-offsets', o.resetOffsets], ['delete', o.delete], ['delete-offsets', o.deleteOffsets]] as const).filter(([, on]) => on);
  if (actions.length !== 1) throw new Error('exactly one of --list, --describe, --reset-offsets, --delete, --delete-offsets is required');
  const action = actions[0]![0];
  if (action !== 'list' && !o.group) throw new Error(`--${action} needs --group`);
  if ((action === 'reset-offsets' || action === 'delete-offsets') && !o.topic) throw new Error(`--${action} needs --topic`);
  if (action === 'reset-offsets') {
    const chosen = [o.toEarliest, o.toLatest, o.toDatetime !== undefined].filter(Boolean).length;
    if (chosen !== 1) throw new Error('give exactly one of --to-earliest, --to-latest, --to-datetime');
    if (o.toDatetime !== undefined && Number.isNaN(Date.parse(o.toDatetime))) throw new Error(`--to-datetime: not a date: ${o.toDatetime}`);
  }
  return action;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

const jsonSafe = (o: unknown) => JSON.stringify(o, (_, v) => (typeof v === 'bigint' ? Number(v) : v));
const show = (v: bigint) => (v < 0n ? '-' : String(v));

export function register(program: Command, io: CliIo = processIo): void {
  program
    .command('share-groups')
    .description('list, describe, delete share groups (KIP-932) and reset their offsets, like kafka-share-groups.sh')
    .option('--bootstrap-server <host:port>', 'Kafka address of the cluster', DEFAULT_BOOTSTRAP)
    .option('--command-config <file>', 'Kafka client properties (security)')
    .option('--list', 'list share groups')
    .option('--describe', 'describe a share group (with --offsets, --members or --state)')
    .option('--reset-offsets', 'move the start offsets of an empty share group (--dry-run by default)')
    .option('--delete', 'delete an empty share group with its state')
    .option('--delete-offsets', 'delete the share state of a topic for an empty share group')
    .option('--group <group>', 'the share group')
    .option('--topic <topic>', 'the topic (--reset-offsets, --delete-offsets)')
    .option('--members', 'with --describe: the members')
    .option('--state', 'with --describe: the group state')
    .option('--offsets', 'with --describe: start offsets and lag per partition (the default)')
    .option('--verbose', 'with --describe: more columns')
    .option('--to-earliest', 'reset to the log start')
    .option('--to-latest', 'reset to the log end')
    .option('--to-datetime <iso>', 'reset to the first record at or after this time')
    .addOption(new Option('--dry-run', 'show the new offsets only (the default)').conflicts('execute'))
    .option('--execute', 'apply the reset')
    .option('--json', 'print JSON')
    .action(async (opts: ShareGroupsOptions) => {
      let client: KafkaClient | undefined;
      try {
        const action = shareGroupsAction(opts);
        client = new KafkaClient({ bootstrapServers: opts.bootstrapServer, clientId: 'dms-cli', ...securityFromFile(opts.commandConfig) });
        const admin = new ShareGroupAdmin(client);
        const group = opts.group!;
        if (action === 'list') {
          const list = (await admin.listGroups()).sort((a, b) => a.groupId.localeCompare(b.groupId));
          io.out(opts.json ? `${JSON.stringify(list)}\n` : list.map((g) => `${g.groupId}\n`).join(''));
        } else if (action === 'describe') {
          await describe(io, admin, group, opts);
        } else if (action === 'delete') {
          const errorCode = await new GroupAdmin(client).deleteGroup(group);
          if (opts.json) io.out(`${JSON.stringify({ groupId: group, errorCode, errorName: errorName(errorCode) })}\n`);
          else if (errorCode === 0) io.out(`Deletion of requested share groups ('${group}') was successful.\n`);
          if (errorCode !== 0) throw new Error(`cannot delete share group ${group}: ${errorName(errorCode)}`);
        } else if (action === 'delete-offsets') {
          const res = await admin.deleteOffsets(group, [opts.topic!]);
          if (res.errorCode !== 0) throw new Error(`cannot delete offsets of ${group}: ${errorName(res.errorCode)}${res.errorMessage ? `: ${res.errorMessage}` : ''}`);
          if (opts.json) io.out(`${jsonSafe({ groupId: group, results: res.results.map((r) => ({ ...r, errorName: errorName(r.errorCode) })) })}\n`);
          else io.out(table([['TOPIC', 'STATUS'], ...res.results.map((r) => [r.topic, r.errorCode === 0 ? 'Successful' : `Error: ${errorName(r.errorCode)}`])]));
          if (res.results.some((r) => r.errorCode !== 0)) process.exitCode = 1;
        } else {
          await resetOffsets(io, client, admin, group, opts);
        }
      } catch (err) {
        io.err(`error: ${describeError(err)}\n`);
        process.exitCode = 1;
      } finally {
        client?.close();
      }
    });
}

async function describe(io: CliIo, admin: ShareGroupAdmin, group: string, opts: ShareGroupsOptions): Promise<void> {
  const d = await admin.describeGroup(group);
  if (d.errorCode !== 0) throw new Error(`Share group '${group}' ${d.errorCode === ErrorCode.GROUP_ID_NOT_FOUND ? 'does not exist' : `cannot be described: ${errorName(d.errorCode)}`}.`);
  if (opts.state) {
    if (opts.json) return io.out(`${jsonSafe({ groupId: group, state: d.state, groupEpoch: d.groupEpoch, assignmentEpoch: d.assignmentEpoch, assignor: d.assignor, members: d.members.length })}\n`);
    const rows = [['GROUP', 'COORDINATOR (ID)', 'STATE', '#MEMBERS'], [group, '-', d.state, String(d.members.length)]];
    if (opts.verbose) rows.forEach((r, i) => r.push(i === 0 ? 'GROUP-EPOCH' : String(d.groupEpoch), i === 0 ? 'ASSIGNMENT-EPOCH' : String(d.assignmentEpoch)));
    return io.out(table(rows));
  }
  if (opts.members) {
    if (opts.json) return io.out(`${jsonSafe({ groupId: group, members: d.members })}\n`);
    const rows = [['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS', 'ASSIGNMENT']];
    for (const m of d.members) {
      rows.push([group, m.memberId, m.clientHost, m.clientId, String(m.assignment.reduce((n, a) => n + a.partitions.length, 0)), m.assignment.map((a) => `${a.topic}:${a.partitions.join(',')}`).join(';') || '-']);
    }
    return io.out(table(rows));
  }
  const { offsets } = await admin.describeOffsets(group, null);
  // Partitions assigned but never consumed show too, with no start offset.
  const known = new Set(offsets.map((o) => `${o.topic}\0${o.partition}`));
  for (const m of d.members) for (const a of m.assignment) for (const p of a.partitions) {
    if (!known.has(`${a.topic}\0${p}`)) {
      known.add(`${a.topic}\0${p}`);
      offsets.push({ topic: a.topic, partition: p, startOffset: -1n, leaderEpoch: -1, lag: -1n, errorCode: 0 });
    }
  }
  offsets.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  if (opts.json) return io.out(`${jsonSafe({ groupId: group, state: d.state, offsets })}\n`);
  io.out(table([['GROUP', 'TOPIC', 'PARTITION', 'START-OFFSET', 'LAG'], ...offsets.map((o) => [group, o.topic, String(o.partition), show(o.startOffset), show(o.lag)])]));
}

async function resetOffsets(io: CliIo, client: KafkaClient, admin: ShareGroupAdmin, group: string, opts: ShareGroupsOptions): Promise<void> {
  const topic = opts.topic!;
  const count = await client.partitionCount(topic);
  const plan: { topic: string; partition: number; startOffset: bigint }[] = [];
  for (let p = 0; p < count; p++) {
    let offset: bigint;
    if (opts.toEarliest) offset = (await client.listOffsets(topic, p, EARLIEST_TIMESTAMP)).offset;
    else if (opts.toLatest) offset = (await client.listOffsets(topic, p, LATEST_TIMESTAMP)).offset;
    else {
      const found = await client.listOffsets(topic, p, BigInt(Date.parse(opts.toDatetime!)));
      offset = found.offset >= 0n ? found.offset : (await client.listOffsets(topic, p, LATEST_TIMESTAMP)).offset;
    }
    plan.push({ topic, partition: p, startOffset: offset });
  }
  let errors: { topic: string; partition: number; errorCode: number }[] = [];
  if (opts.execute) {
    const res = await admin.alterOffsets(group, plan);
    if (res.errorCode !== 0) throw new Error(`cannot reset offsets of ${group}: ${errorName(res.errorCode)}${res.errorMessage ? `: ${res.errorMessage}` : ''}`);
    errors = res.results.filter((r) => r.errorCode !== 0);
  }
  if (opts.json) {
    io.out(`${jsonSafe({ groupId: group, executed: !!opts.execute, offsets: plan.map((p) => ({ topic: p.topic, partition: p.partition, newOffset: p.startOffset })), errors: errors.map((e) => ({ ...e, errorName: errorName(e.errorCode) })) })}\n`);
  } else {
    if (!opts.execute && !opts.dryRun) io.err('warning: no --execute given: showing the plan only (--dry-run)\n');
    io.out(table([['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], ...plan.map((p) => [group, p.topic, String(p.partition), String(p.startOffset)])]));
  }
  if (errors.length > 0) {
    if (!opts.json) for (const e of errors) io.err(`error: ${e.topic}-${e.partition}: ${errorName(e.errorCode)}\n`);
    process.exitCode = 1;
  }
}
