import { Command, Option } from 'commander';
import {
  collectConfig, DEFAULT_BOOTSTRAP, describeError, errorName, KafkaClient, securityFromFile, parseIntOption, processIo,
  type CliIo, type TopicInfo,
} from '@dms/kafka-client';

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

function describeJson(t: TopicInfo) {
  return {
    name: t.name,
    topicId: t.topicId,
    errorCode: t.errorCode,
    partitionCount: t.partitions.length,
    replicationFactor: t.partitions[0]?.replicas.length ?? 0,
    partitions: t.partitions.map((p) => ({ partition: p.partition, leader: p.leader, replicas: p.replicas, isr: p.isr })),
  };
}

function describeText(t: TopicInfo): string {
  if (t.errorCode !== 0) return `Topic: ${t.name}\tError: ${errorName(t.errorCode)}\n`;
  const rf = t.partitions[0]?.replicas.length ?? 0;
  let s = `Topic: ${t.name}\tTopicId: ${t.topicId}\tPartitionCount: ${t.partitions.length}\tReplicationFactor: ${rf}\n`;
  for (const p of t.partitions) {
    s += `\tTopic: ${t.name}\tPartition: ${p.partition}\tLeader: ${p.leader}\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}\n`;
  }
  return s;
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

  withCommon(topics.command('list').description('list topic names'))
    .action(async (opts: CommonOptions) => withClient(io, opts, async (client) => {
      const names = (await client.metadata()).topics.map((t) => t.name).sort();
      io.out(opts.json ? `${JSON.stringify(names)}\n` : names.map((n) => `${n}\n`).join(''));
    }));

  withCommon(topics.command('describe [name]').description('partitions of a topic (all topics without a name): leader, replicas, isr'))
    .action(async (name: string | undefined, opts: CommonOptions) => withClient(io, opts, async (client) => {
      const md = await client.metadata(name === undefined ? undefined : [name]);
      const list = md.topics.slice().sort((a, b) => a.name.localeCompare(b.name));
      io.out(opts.json ? `${JSON.stringify(list.map(describeJson))}\n` : list.map(describeText).join(''));
      if (list.some((t) => t.errorCode !== 0)) process.exitCode = 1;
    }));

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
