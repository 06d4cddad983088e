// `dms partitions reassign`: kafka-reassign-partitions.sh over the Kafka protocol
// (AlterPartitionReassignments, ListPartitionReassignments, Metadata), same flags and JSON.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { readClusterJson, readClusterStatus } from '@dms/devcluster';
import {
  alterPartitionReassignments, DEFAULT_BOOTSTRAP, describeError, errorName, KafkaClient, listPartitionReassignments, processIo, securityFromFile,
  type CliIo, type ReassignmentAnswer,
} from '@dms/kafka-client';
import { formatReassignment, parseReassignment, parseTopicsToMove, proposeAssignment, verifyText, type PartitionMove } from './reassign-plan';
import { applyThrottles, clearThrottles, parseThrottle, throttlePlan } from './reassign-throttle';

interface ReassignOptions {
  bootstrapServer: string;
  commandConfig?: string;
  generate?: boolean;
  execute?: boolean;
  verify?: boolean;
  cancel?: boolean;
  list?: boolean;
  topicsToMoveJsonFile?: string;
  brokerList?: string;
  reassignmentJsonFile?: string;
  throttle?: string;
  replicaAlterLogDirsThrottle?: string;
  additional?: boolean;
  preserveThrottles?: boolean;
  disableRackAware?: boolean;
  etcd?: string;
  dataDir: string;
  clusterName?: string;
  timeout: number;
}

const ACTIONS = ['generate', 'execute', 'verify', 'cancel', 'list'] as const;

export function register(program: Command, io: CliIo = processIo): void {
  const partitions = program.command('partitions').description('move partition replicas between brokers');
  partitions.command('reassign')
    .description('kafka-reassign-partitions.sh: --generate, --execute, --verify, --cancel or --list')
    .option('--bootstrap-server <host:port>', 'Kafka address of the cluster', DEFAULT_BOOTSTRAP)
    .option('--command-config <file>', 'Kafka client properties (security.protocol, sasl.*, ssl.*)')
    .option('--generate', 'print the current assignment of the topics in --topics-to-move-json-file and a proposal over --broker-list')
    .option('--execute', 'start the reassignment in --reassignment-json-file')
    .option('--verify', 'tell whether the reassignment in --reassignment-json-file is complete')
    .option('--cancel', 'cancel the moves of the partitions in --reassignment-json-file still in progress')
    .option('--list', 'list the reassignments in progress')
    .option('--topics-to-move-json-file <file>', '{"version":1,"topics":[{"topic":"foo"}]}')
    .option('--broker-list <ids>', 'brokers to place the replicas on, e.g. 1,2,3 (with --generate)')
    .option('--reassignment-json-file <file>', '{"version":1,"partitions":[{"topic":"foo","partition":0,"replicas":[1,2,3]}]}')
    .option('--throttle <bytes/s>', 'with --execute: hold the moving replicas\' catch-up to this many bytes per second per broker (removed by --verify)')
    .option('--replica-alter-log-dirs-throttle <bytes/s>', 'not supported: DMS has no moves between log dirs')
    .option('--additional', 'with --execute: start these moves while others are in progress (or change the throttle by resubmitting)')
    .option('--preserve-throttles', 'with --verify: leave the throttles in place')
    .option('--disable-rack-aware', 'ignore broker racks in --generate')
    .option('--etcd <host:port>', 'etcd endpoint to read broker racks from for --generate (default: from cluster.json in --data-dir)')
    .option('--data-dir <dir>', 'dev cluster directory whose cluster.json names the etcd endpoint', './.dms')
    .option('--cluster-name <name>', 'cluster name in etcd (default: from cluster.json, else dms)')
    .option('--timeout <ms>', 'request timeout', (v) => Number(v), 30_000)
    .action(async (opts: ReassignOptions) => {
      const chosen = ACTIONS.filter((a) => opts[a]);
      if (chosen.length !== 1) return fail(io, `give exactly one of ${ACTIONS.map((a) => `--${a}`).join(', ')}`);
      if (opts.replicaAlterLogDirsThrottle !== undefined) {
        return fail(io, '--replica-alter-log-dirs-throttle is not supported: DMS does not move replicas between log dirs of a broker; use --throttle for moves between brokers');
      }
      if (opts.throttle !== undefined && chosen[0] !== 'execute') return fail(io, '--throttle goes with --execute');
      if (opts.additional && chosen[0] !== 'execute') return fail(io, '--additional goes with --execute');
      if (opts.throttle !== undefined) {
        try {
          parseThrottle(opts.throttle);
        } catch (err) {
          return fail(io, (err as Error).message);
        }
      }
      let client: KafkaClient | undefined;
      try {
        client = new KafkaClient({ bootstrapServers: opts.bootstrapServer, clientId: 'dms-reassign-partitions', ...securityFromFile(opts.commandConfig) });
        const action = chosen[0]!;
        if (action === 'generate') await generate(io, client, opts);
        else if (action === 'list') await list(io, client, opts);
        else {
          if (!opts.reassignmentJsonFile) return fail(io, `--${action} needs --reassignment-json-file`);
          const moves = parseReassignment(readFileSync(opts.reassignmentJsonFile, 'utf8'));
          if (action === 'execute') await execute(io, client, moves, opts);
          else if (action === 'verify') await verify(io, client, moves, opts);
          else await cancel(io, client, moves, opts);
        }
      } catch (err) {
        fail(io, describeError(err));
      } finally {
        client?.close();
      }
    });
}

function fail(io: CliIo, message: string): void {
  io.err(`error: ${message}\n`);
  process.exitCode = 1;
}

/** The current replicas of the topics' partitions (Metadata), by `topic-partition`. */
async function currentAssignment(client: KafkaClient, topics: readonly string[]): Promise<Map<string, PartitionMove>> {
  const md = await client.metadata([...new Set(topics)]);
  const out = new Map<string, PartitionMove>();
  for (const t of md.topics) {
    if (t.errorCode !== 0) throw new Error(`topic ${t.name}: ${errorName(t.errorCode)}`);
    for (const p of t.partitions) out.set(`${t.name}-${p.partition}`, { topic: t.name, partition: p.partition, replicas: [...p.replicas] });
  }
  return out;
}

async function brokerRacks(opts: ReassignOptions, ids: number[]): Promise<{ id: number; rack: string | null }[]> {
  const none = ids.map((id) => ({ id, rack: null }));
  if (opts.disableRackAware) return none;
  const local = opts.etcd ? undefined : readClusterJson(resolve(opts.dataDir));
  const endpoint = opts.etcd ?? (local?.state === 'running' ? local.etcd.endpoint : undefined);
  if (!endpoint) return none;
  const status = await readClusterStatus(endpoint, opts.clusterName ?? local?.clusterName ?? 'dms', 5000);
  const racks = new Map(status.brokers.map((b) => [b.id, b.rack]));
  return ids.map((id) => ({ id, rack: racks.get(id) ?? null }));
}

async function generate(io: CliIo, client: KafkaClient, opts: ReassignOptions): Promise<void> {
  if (!opts.topicsToMoveJsonFile || !opts.brokerList) return fail(io, '--generate needs --topics-to-move-json-file and --broker-list');
  const ids = opts.brokerList.split(',').map((s) => s.trim());
  if (ids.some((s) => !/^\d+$/.test(s))) return fail(io, `invalid --broker-list '${opts.brokerList}': use broker ids like 1,2,3`);
  const brokerIds = [...new Set(ids.map(Number))];
  const topics = parseTopicsToMove(readFileSync(opts.topicsToMoveJsonFile, 'utf8'));
  const current = [...(await currentAssignment(client, topics)).values()];
  const proposed = proposeAssignment(current, await brokerRacks(opts, brokerIds));
  io.out(`Current partition replica assignment\n${formatReassignment(current)}\n\nProposed partition reassignment configuration\n${formatReassignment(proposed)}\n`);
}

function reportErrors(io: CliIo, verb: string, answers: readonly ReassignmentAnswer[]): boolean {
  const ok = answers.filter((a) => a.errorCode === 0).map((a) => `${a.topic}-${a.partition}`);
  const bad = answers.filter((a) => a.errorCode !== 0);
  if (ok.length > 0) io.out(`Successfully ${verb} partition reassignments for ${ok.join(',')}\n`);
  if (bad.length === 0) return true;
  io.err(`Error ${verb === 'started' ? 'reassigning' : 'cancelling'} partition(s):\n`);
  for (const a of bad) io.err(`${a.topic}-${a.partition}: ${errorName(a.errorCode)}${a.errorMessage ? `: ${a.errorMessage}` : ''}\n`);
  process.exitCode = 1;
  return false;
}

async function execute(io: CliIo, client: KafkaClient, moves: PartitionMove[], opts: ReassignOptions): Promise<void> {
  if (!opts.additional && (await listPartitionReassignments(client, null, opts.timeout)).length > 0) {
    return fail(io, 'Cannot execute because there is an existing partition assignment.  Use --additional to override this and create a new partition assignment in addition to the existing one. ' +
      'The --additional flag can also be used to change the throttle by resubmitting the current reassignment.');
  }
  const current = await currentAssignment(client, moves.map((m) => m.topic));
  const rollback = moves.flatMap((m) => current.get(`${m.topic}-${m.partition}`) ?? []);
  io.out(`Current partition replica assignment\n\n${formatReassignment(rollback)}\n\nSave this to use as the --reassignment-json-file option during rollback\n`);
  if (opts.throttle !== undefined) {
    const rate = parseThrottle(opts.throttle);
    await applyThrottles(client, throttlePlan(moves, current), rate);
    io.out('Warning: You must run --verify periodically, until the reassignment completes, to ensure the throttle is removed.\n');
    io.out(`The inter-broker throttle limit was set to ${rate} B/s\n`);
  }
  const answers = await alterPartitionReassignments(client, moves.map((m) => ({ topic: m.topic, partition: m.partition, replicas: m.replicas })), opts.timeout);
  reportErrors(io, 'started', answers);
}

async function verify(io: CliIo, client: KafkaClient, moves: PartitionMove[], opts: ReassignOptions): Promise<void> {
  const ongoing = await listPartitionReassignments(client, moves.map((m) => ({ topic: m.topic, partition: m.partition })), opts.timeout);
  const moving = new Set(ongoing.map((o) => `${o.topic}-${o.partition}`));
  const current = await currentAssignment(client, moves.map((m) => m.topic)).catch(() => new Map<string, PartitionMove>());
  const result = verifyText(moves.map((move) => {
    const key = `${move.topic}-${move.partition}`;
    return { move, current: current.get(key)?.replicas, ongoing: moving.has(key) };
  }));
  io.out(result.text);
  if (result.failed) process.exitCode = 1;
  if (opts.preserveThrottles || !result.done) return;
  // As Kafka's tool: every move of the file is done, so the throttles go (on every broker that
  // holds a replica of any topic, and those the file names) unless --preserve-throttles.
  const all = await client.metadata().catch(() => undefined);
  const brokers = new Set<number>(moves.flatMap((m) => m.replicas));
  for (const t of all?.topics ?? []) for (const p of t.partitions) for (const b of p.replicas) brokers.add(b);
  for (const m of current.values()) for (const b of m.replicas) brokers.add(b);
  const ids = [...brokers].sort((a, b) => a - b);
  const topics = [...new Set(moves.map((m) => m.topic))].sort();
  await clearThrottles(client, ids, topics);
  io.out(`Clearing broker-level throttles on brokers ${ids.join(',')}\nClearing topic-level throttles on topic${topics.length > 1 ? 's' : ''} ${topics.join(',')}\n`);
}

async function cancel(io: CliIo, client: KafkaClient, moves: PartitionMove[], opts: ReassignOptions): Promise<void> {
  const answers = await alterPartitionReassignments(client, moves.map((m) => ({ topic: m.topic, partition: m.partition, replicas: null })), opts.timeout);
  reportErrors(io, 'cancelled', answers);
}

async function list(io: CliIo, client: KafkaClient, opts: ReassignOptions): Promise<void> {
  const ongoing = await listPartitionReassignments(client, null, opts.timeout);
  if (ongoing.length === 0) {
    io.out('No partition reassignments found.\n');
    return;
  }
  ongoing.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  io.out('Current partition reassignments:\n');
  for (const o of ongoing) {
    io.out(`${o.topic}-${o.partition}: replicas: ${o.replicas.join(',')}. adding: ${o.addingReplicas.join(',')}. removing: ${o.removingReplicas.join(',')}.\n`);
  }
}
