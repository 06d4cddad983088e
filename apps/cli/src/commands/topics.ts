import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { formatPartition, readClusterJson, readClusterStatus, type PartitionStatus } from '@dms/devcluster';
import {
  collectConfig, DEFAULT_BOOTSTRAP, describeConfigs, describeError, errorName, KafkaClient, securityFromFile, parseIntOption, processIo, RESOURCE_TOPIC,
  type CliIo, type TopicInfo,
} from '@dms/kafka-client';
import { ErrorCode } from '@dms/kafka-errors';

interface CommonOptions {
  bootstrapServer: string;
  json?: boolean;
}

function withCommon(cmd: Command, json = true): Command {
  cmd.option('--bootstrap-server <host:port>', 'Kafka address of the cluster', DEFAULT_BOOTSTRAP);
  cmd.option('--command-config <file>', 'Kafka client properties: security.protocol, sasl.mechanism, sasl.username/sasl.password or sasl.jaas.config, ssl.ca.location, ...');
  if (json) cmd.option('--json', 'print JSON');
  return cmd;
}

/** Runs one command with a client that is always closed; failures set exit code 1. */
async function withClient(io: CliIo, opts: CommonOptions, body: (client: KafkaClient) => Promise<void>): Promise<void> {
  let client: KafkaClient | undefined;
  try {
    client = new KafkaClient({ bootstrapServers: opts.bootstrapServer, clientId: 'dms-cli', ...securityFromFile((opts as { commandConfig?: string }).commandConfig) });
    await body(client);
  } catch (err) {
    io.err(`error: ${describeError(err)}\n`);
    process.exitCode = 1;
  } finally {
    client?.close();
  }
}

/** Storage-side partition states by `topic\0partition`; absent when etcd was not consulted. */
type StorageView = Map<string, PartitionStatus> | undefined;
const storageKey = (topic: string, partition: number) => `${topic}\0${partition}`;

/** The configs set on the topic itself (as kafka-topics.sh shows them); undefined when DescribeConfigs is unavailable. */
type TopicConfigs = Map<string, Record<string, string>>;

async function readTopicConfigs(client: KafkaClient, topics: TopicInfo[]): Promise<TopicConfigs> {
  const out: TopicConfigs = new Map();
  for (const t of topics.filter((x) => x.errorCode === 0)) {
    try {
      const entries = await describeConfigs(client, { type: RESOURCE_TOPIC, name: t.name });
      out.set(t.name, Object.fromEntries(entries.filter((e) => e.source === 'DYNAMIC_TOPIC_CONFIG').map((e) => [e.name, e.value ?? ''])));
    } catch {
      // A broker without DescribeConfigs: describe without configs.
    }
  }
  return out;
}

function describeJson(t: TopicInfo, storage: StorageView, configs?: Record<string, string>) {
  return {
    name: t.name,
    topicId: t.topicId,
    errorCode: t.errorCode,
    ...(configs ? { configs } : {}),
    partitionCount: t.partitions.length,
    replicationFactor: t.partitions[0]?.replicas.length ?? 0,
    partitions: t.partitions.map((p) => {
      const s = storage?.get(storageKey(t.name, p.partition));
      // `leader` is the gateway clients are sent to; the storage fields come from etcd.
      return {
        partition: p.partition, leader: p.leader, replicas: p.replicas, isr: p.isr,
        ...(s ? { storageLeader: s.leader, storageLeaderLive: s.leaderLive, leaderEpoch: s.leaderEpoch, storageReplicas: s.replicas, storageIsr: s.isr,
          ...(s.addingReplicas ? { addingReplicas: s.addingReplicas, removingReplicas: s.removingReplicas } : {}) } : {}),
      };
    }),
  };
}

function describeText(t: TopicInfo, storage: StorageView, configs?: Record<string, string>): string {
  if (t.errorCode !== 0) return `Topic: ${t.name}\tError: ${errorName(t.errorCode)}\n`;
  const rf = t.partitions[0]?.replicas.length ?? 0;
  const cfg = configs ? `\tConfigs: ${Object.entries(configs).map(([k, v]) => `${k}=${v}`).join(',')}` : '';
  let s = `Topic: ${t.name}\tTopicId: ${t.topicId}\tPartitionCount: ${t.partitions.length}\tReplicationFactor: ${rf}${cfg}\n`;
  for (const p of t.partitions) {
    const st = storage?.get(storageKey(t.name, p.partition));
    s += st
      ? `\t${formatPartition(st)}\tGateway: ${p.leader}\n`
      : `\tTopic: ${t.name}\tPartition: ${p.partition}\tLeader: ${p.leader}\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}\n`;
  }
  return s;
}

interface StorageOptions {
  etcd?: string;
  dataDir: string;
  clusterName?: string;
}

/**
 * Kafka's Metadata names only the gateway as leader; the storage leader, its epoch and the ISR
 * the controller committed are in etcd. Read from --etcd, else from a running dev cluster's
 * cluster.json in --data-dir; without either, only the Kafka view is shown.
 */
async function readStorageView(o: StorageOptions): Promise<StorageView> {
  const local = o.etcd ? undefined : readClusterJson(resolve(o.dataDir));
  const endpoint = o.etcd ?? (local?.state === 'running' ? local.etcd.endpoint : undefined);
  if (!endpoint) return undefined;
  const status = await readClusterStatus(endpoint, o.clusterName ?? local?.clusterName ?? 'dms', 5000);
  return new Map(status.partitions.map((p) => [storageKey(p.topic, p.partition), p]));
}

const ELECTION_TYPES = ['preferred', 'unclean'] as const;

/** kafka-topics.sh's --replica-assignment: partitions separated by commas, broker ids by colons. */
export function parseReplicaAssignment(text: string): number[][] {
  return text.split(',').map((part) => {
    const ids = part.split(':').map((s) => s.trim());
    if (ids.some((s) => !/^\d+$/.test(s))) throw new Error(`invalid --replica-assignment '${text}': use broker ids like 1:2,2:3`);
    return ids.map(Number);
  });
}

/** kafka-leader-election.sh's summary lines. */
function electionText(type: string, results: { topic: string; partition: number; errorCode: number; errorMessage: string | null }[]): string {
  const name = (r: { topic: string; partition: number }) => `${r.topic}-${r.partition}`;
  const ok = results.filter((r) => r.errorCode === 0);
  const notNeeded = results.filter((r) => r.errorCode === ErrorCode.ELECTION_NOT_NEEDED);
  const failed = results.filter((r) => r.errorCode !== 0 && r.errorCode !== ErrorCode.ELECTION_NOT_NEEDED);
  let s = '';
  if (ok.length > 0) s += `Successfully completed leader election (${type.toUpperCase()}) for partitions ${ok.map(name).join(', ')}\n`;
  if (notNeeded.length > 0) s += `Valid replica already elected for partitions ${notNeeded.map(name).join(', ')}\n`;
  if (failed.length > 0) {
    s += `Error completing leader election (${type.toUpperCase()}) for partitions ${failed.map(name).join(', ')}\n`;
    for (const r of failed) s += `  ${name(r)}: ${errorName(r.errorCode)}${r.errorMessage ? `: ${r.errorMessage}` : ''}\n`;
  }
  return s || 'No partitions to elect.\n';
}

export function register(program: Command, io: CliIo = processIo): void {
  const topics = program.command('topics').description('create, list, describe and delete topics');

  withCommon(topics.command('create <name>').description('create a topic'))
    .addOption(new Option('--partitions <n>', 'partition count (broker default when absent)').argParser(parseIntOption('--partitions', 1)))
    .addOption(new Option('--replication-factor <r>', 'replicas per partition (broker default when absent)').argParser(parseIntOption('--replication-factor', 1, 32767)))
    .addOption(new Option('--config <key=value>', 'topic config, repeatable').argParser(collectConfig))
    .action(async (name: string, opts: CommonOptions & { partitions?: number; replicationFactor?: number; config?: Record<string, string> }) =>
      withClient(io, opts, async (client) => {
        const [res] = await client.createTopics([{
          name, numPartitions: opts.partitions ?? -1, replicationFactor: opts.replicationFactor ?? -1, configs: opts.config ?? {},
        }]);
        if (opts.json) io.out(`${JSON.stringify({ ...res, errorName: errorName(res.errorCode) })}\n`);
        else if (res.errorCode === 0) io.out(`Created topic ${name}.\n`);
        if (res.errorCode !== 0) {
          if (!opts.json) io.err(`error: cannot create topic ${name}: ${errorName(res.errorCode)}${res.errorMessage ? `: ${res.errorMessage}` : ''}\n`);
          process.exitCode = 1;
        }
      }));

  withCommon(topics.command('alter <name>').description('add partitions to a topic, like kafka-topics.sh --alter --partitions'))
    .addOption(new Option('--partitions <n>', 'the new partition count (more than the topic has)').argParser(parseIntOption('--partitions', 1)).makeOptionMandatory())
    .option('--replica-assignment <list>', 'broker ids per partition, as kafka-topics.sh takes them: "1:2,2:3,3:1" (partitions separated by commas, replicas by colons); lists for the existing partitions are skipped')
    .action(async (name: string, opts: CommonOptions & { partitions: number; replicaAssignment?: string }) =>
      withClient(io, opts, async (client) => {
        let assignments: number[][] | null = null;
        if (opts.replicaAssignment !== undefined) {
          const all = parseReplicaAssignment(opts.replicaAssignment);
          // As kafka-topics.sh: a list for every partition, of which those of the new ones are sent.
          assignments = all.slice(await client.partitionCount(name));
        }
        const [res] = await client.createPartitions([{ name, count: opts.partitions, assignments }]);
        if (opts.json) io.out(`${JSON.stringify({ ...res, partitions: opts.partitions, errorName: errorName(res.errorCode) })}\n`);
        else if (res.errorCode === 0) io.out(`Topic ${name} now has ${opts.partitions} partitions.\n`);
        if (res.errorCode !== 0) {
          if (!opts.json) io.err(`Error while executing topic command : ${res.errorMessage ?? errorName(res.errorCode)}\n`);
          process.exitCode = 1;
        }
      }));

  withCommon(topics.command('list').description('list topic names'))
    .action(async (opts: CommonOptions) => withClient(io, opts, async (client) => {
      const names = (await client.metadata()).topics.map((t) => t.name).sort();
      io.out(opts.json ? `${JSON.stringify(names)}\n` : names.map((n) => `${n}\n`).join(''));
    }));

  withCommon(topics.command('describe [name]').description('partitions of a topic (all topics without a name): storage leader, leader epoch, replicas, isr'))
    .option('--etcd <host:port>', 'etcd endpoint(s) to read the storage leaders from (default: from cluster.json in --data-dir)')
    .option('--data-dir <dir>', 'dev cluster directory whose cluster.json names the etcd endpoint', './.dms')
    .option('--cluster-name <name>', 'cluster name in etcd (default: from cluster.json, else dms)')
    .action(async (name: string | undefined, opts: CommonOptions & StorageOptions) => withClient(io, opts, async (client) => {
      const [md, storage] = await Promise.all([client.metadata(name === undefined ? undefined : [name]), readStorageView(opts)]);
      const list = md.topics.slice().sort((a, b) => a.name.localeCompare(b.name));
      const configs = await readTopicConfigs(client, list);
      io.out(opts.json
        ? `${JSON.stringify(list.map((t) => describeJson(t, storage, configs.get(t.name))))}\n`
        : list.map((t) => describeText(t, storage, configs.get(t.name))).join(''));
      if (list.some((t) => t.errorCode !== 0)) process.exitCode = 1;
    }));

  withCommon(topics.command('elect-leaders').description('elect preferred (or, for leaderless partitions, unclean) leaders, like kafka-leader-election.sh'))
    .addOption(new Option('--election-type <type>', 'preferred or unclean').choices([...ELECTION_TYPES]).makeOptionMandatory())
    .option('--topic <name>', 'the topic (all its partitions unless --partition)')
    .addOption(new Option('--partition <p>', 'one partition of --topic').argParser(parseIntOption('--partition', 0)))
    .option('--all-topic-partitions', 'every partition of every topic')
    .action(async (opts: CommonOptions & { electionType: 'preferred' | 'unclean'; topic?: string; partition?: number; allTopicPartitions?: boolean }) => {
      if (!!opts.topic === !!opts.allTopicPartitions || (opts.partition !== undefined && !opts.topic)) {
        io.err('error: give exactly one of --topic (with an optional --partition) or --all-topic-partitions\n');
        process.exitCode = 1;
        return;
      }
      await withClient(io, opts, async (client) => {
        let targets: { topic: string; partition: number }[] | null = null;
        if (opts.topic) {
          const count = opts.partition === undefined ? await client.partitionCount(opts.topic) : 0;
          targets = opts.partition !== undefined
            ? [{ topic: opts.topic, partition: opts.partition }]
            : Array.from({ length: count }, (_, partition) => ({ topic: opts.topic!, partition }));
        }
        const results = await client.electLeaders(opts.electionType, targets);
        results.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
        io.out(opts.json
          ? `${JSON.stringify(results.map((r) => ({ ...r, errorName: errorName(r.errorCode) })))}\n`
          : electionText(opts.electionType, results));
        // As kafka-leader-election.sh: a partition that needed no election is not a failure.
        if (results.some((r) => r.errorCode !== 0 && r.errorCode !== ErrorCode.ELECTION_NOT_NEEDED)) process.exitCode = 1;
      });
    });

  withCommon(topics.command('delete <name>').description('delete a topic'))
    .action(async (name: string, opts: CommonOptions) => withClient(io, opts, async (client) => {
      const [res] = await client.deleteTopics([name]);
      if (opts.json) io.out(`${JSON.stringify({ ...res, errorName: errorName(res.errorCode) })}\n`);
      else if (res.errorCode === 0) io.out(`Deleted topic ${name}.\n`);
      if (res.errorCode !== 0) {
        if (!opts.json) io.err(`error: cannot delete topic ${name}: ${errorName(res.errorCode)}${res.errorMessage ? `: ${res.errorMessage}` : ''}\n`);
        process.exitCode = 1;
      }
    }));
}
