import { Command, InvalidArgumentError, Option } from 'commander';
import {
  AckType, ShareConsumer, ConsumerGroupMember, consumeTopic, DEFAULT_BOOTSTRAP, describeError, KafkaClient, securityFromFile, parseIntOption, parseTimestamp, processIo, recordToJson,
  READ_COMMITTED, READ_UNCOMMITTED, type CliIo, type ConsumedRecord, type IsolationLevel, type StartPosition,
} from '@dms/kafka-client';

interface ConsumeCliOptions {
  bootstrapServer: string;
  partition?: number;
  fromBeginning?: boolean;
  offset?: number;
  fromTimestamp?: bigint;
  maxMessages?: number;
  timeoutMs?: number;
  printKey?: boolean;
  keySeparator: string;
  json?: boolean;
  isolationLevel: IsolationLevel;
  shareGroup?: string;
  acknowledgement?: 'accept' | 'release' | 'reject';
  group?: string;
  groupProtocol: 'classic' | 'consumer';
  groupRemoteAssignor?: string;
  groupInstanceId?: string;
}

/** Kafka's isolation.level names, as the console consumer's --isolation-level takes them. */
export function parseIsolationLevel(v: string): IsolationLevel {
  if (v === 'read_uncommitted') return READ_UNCOMMITTED;
  if (v === 'read_committed') return READ_COMMITTED;
  throw new InvalidArgumentError(`--isolation-level must be read_uncommitted or read_committed, got '${v}'`);
}

/** The start position the flags ask for; they are mutually exclusive. */
export function startPosition(opts: Pick<ConsumeCliOptions, 'fromBeginning' | 'offset' | 'fromTimestamp'>): StartPosition {
  const given = [opts.fromBeginning, opts.offset !== undefined, opts.fromTimestamp !== undefined].filter(Boolean).length;
  if (given > 1) throw new Error('use only one of --from-beginning, --offset and --from-timestamp');
  if (opts.fromBeginning) return { kind: 'earliest' };
  if (opts.offset !== undefined) return { kind: 'offset', offset: BigInt(opts.offset) };
  if (opts.fromTimestamp !== undefined) return { kind: 'timestamp', timestamp: opts.fromTimestamp };
  return { kind: 'latest' };
}

export function register(program: Command, io: CliIo = processIo): void {
  program
    .command('consume <topic>')
    .description('print records of a topic to stdout')
    .option('--bootstrap-server <host:port>', 'Kafka address of the cluster', DEFAULT_BOOTSTRAP)
    .option('--command-config <file>', 'Kafka client properties: security.protocol, sasl.mechanism, sasl.username/sasl.password or sasl.jaas.config, ssl.ca.location, ...')
    .addOption(new Option('--partition <p>', 'read one partition (default: all)').argParser(parseIntOption('--partition', 0)))
    .option('--from-beginning', 'start at the earliest offset (default: the end)')
    .addOption(new Option('--offset <n>', 'start at this offset (needs --partition)').argParser(parseIntOption('--offset', 0)))
    .addOption(new Option('--from-timestamp <ts>', 'start at the first record at or after this time (epoch ms or ISO-8601)').argParser(parseTimestamp))
    .addOption(new Option('--max-messages <n>', 'stop after N records').argParser(parseIntOption('--max-messages', 1)))
    .addOption(new Option('--timeout-ms <t>', 'stop after T ms without new records').argParser(parseIntOption('--timeout-ms', 0)))
    .option('--print-key', 'print key<SEP>value')
    .option('--key-separator <sep>', 'separator for --print-key', '\t')
    .option('--json', 'one JSON object per record: partition, offset, timestamp, key, value, headers')
    .addOption(new Option('--isolation-level <level>', 'read_uncommitted, or read_committed: only committed transactional records, up to the last stable offset')
      .argParser(parseIsolationLevel).default(READ_UNCOMMITTED, 'read_uncommitted'))
    .option('--share-group <group>', 'consume as a member of this share group (KIP-932): records are acquired, then acknowledged')
    .addOption(new Option('--acknowledgement <type>', 'with --share-group: how each printed record is acknowledged')
      .choices(['accept', 'release', 'reject']).default('accept'))
    .option('--group <group>', 'read as a member of this consumer group (committing offsets)')
    .addOption(new Option('--group-protocol <protocol>', 'Kafka\'s group.protocol: consumer (KIP-848); classic groups are not served by this command')
      .choices(['classic', 'consumer']).default('classic'))
    .option('--group-remote-assignor <name>', 'Kafka\'s group.remote.assignor: uniform or range (default: the coordinator\'s)')
    .option('--group-instance-id <id>', 'Kafka\'s group.instance.id (static membership)')
    .action(async (topic: string, opts: ConsumeCliOptions) => {
      let client: KafkaClient | undefined;
      try {
        if (opts.shareGroup !== undefined) {
          if (opts.partition !== undefined || opts.fromBeginning || opts.offset !== undefined || opts.fromTimestamp !== undefined) {
            throw new Error('--share-group takes no --partition, --from-beginning, --offset or --from-timestamp: the share group decides (group.share.auto.offset.reset)');
          }
          client = new KafkaClient({ bootstrapServers: opts.bootstrapServer, clientId: 'dms-cli', ...securityFromFile((opts as { commandConfig?: string }).commandConfig) });
          await consumeShared(client, topic, opts, io);
          return;
        }
        const start = startPosition(opts);
        if (opts.offset !== undefined && opts.partition === undefined) throw new Error('--offset needs --partition');
        client = new KafkaClient({ bootstrapServers: opts.bootstrapServer, clientId: 'dms-cli', ...securityFromFile((opts as { commandConfig?: string }).commandConfig) });
        const text = (b: Buffer | null) => (b === null ? 'null' : b.toString('utf8'));
        if (opts.group !== undefined) {
          await consumeInGroup(client, topic, opts, start, (r) => {
            if (opts.json) io.out(`${recordToJson(r.partition, r)}\n`);
            else if (opts.printKey) io.out(`${text(r.key)}${opts.keySeparator}${text(r.value)}\n`);
            else io.out(`${text(r.value)}\n`);
          });
          return;
        }
        await consumeTopic(client, topic, {
          partitions: opts.partition === undefined ? undefined : [opts.partition],
          start,
          maxMessages: opts.maxMessages,
          idleTimeoutMs: opts.timeoutMs,
          isolationLevel: opts.isolationLevel,
        }, (r) => {
          if (opts.json) io.out(`${recordToJson(r.partition, r)}\n`);
          else if (opts.printKey) io.out(`${text(r.key)}${opts.keySeparator}${text(r.value)}\n`);
          else io.out(`${text(r.value)}\n`);
        });
      } catch (err) {
        io.err(`error: ${describeError(err)}\n`);
        process.exitCode = 1;
      } finally {
        client?.close();
      }
    });
}

const ACK_TYPES = { accept: AckType.ACCEPT, release: AckType.RELEASE, reject: AckType.REJECT } as const;

/** `consume --share-group`: a share consumer printing what it acquires and acknowledging each record. */
async function consumeShared(client: KafkaClient, topic: string, opts: ConsumeCliOptions, io: CliIo): Promise<void> {
  const consumer = new ShareConsumer(client, { groupId: opts.shareGroup!, topics: [topic], acknowledgementMode: 'explicit', maxWaitMs: 500 });
  const text = (b: Buffer | null) => (b === null ? 'null' : b.toString('utf8'));
  const type = ACK_TYPES[opts.acknowledgement ?? 'accept'];
  let stop = false;
  const onSignal = () => { stop = true; };
  process.once('SIGINT', onSignal);
  try {
    await consumer.subscribe();
    let count = 0;
    let idleSince = Date.now();
    while (!stop) {
      const records = await consumer.poll();
      if (records.length > 0) idleSince = Date.now();
      for (const r of records) {
        if (opts.maxMessages !== undefined && count >= opts.maxMessages) {
          consumer.acknowledge(r, AckType.RELEASE);
          continue;
        }
        if (opts.json) io.out(`${recordToJson(r.partition, r)}\n`);
        else if (opts.printKey) io.out(`${text(r.key)}${opts.keySeparator}${text(r.value)}\n`);
        else io.out(`${text(r.value)}\n`);
        consumer.acknowledge(r, type);
        count++;
      }
      if (opts.maxMessages !== undefined && count >= opts.maxMessages) break;
      if (opts.timeoutMs !== undefined && Date.now() - idleSince >= opts.timeoutMs) break;
    }
    await consumer.commit();
  } finally {
    process.off('SIGINT', onSignal);
    await consumer.close();
  }
}

/** `--group`: a KIP-848 member (group.protocol=consumer) that commits what it printed. */
async function consumeInGroup(
  client: KafkaClient, topic: string, opts: ConsumeCliOptions, start: StartPosition, print: (r: ConsumedRecord) => void,
): Promise<void> {
  if (opts.groupProtocol !== 'consumer') throw new Error('--group needs --group-protocol consumer: this command does not join classic groups');
  if (opts.partition !== undefined) throw new Error('--partition cannot be used with --group');
  if (start.kind === 'offset' || start.kind === 'timestamp') throw new Error('--offset and --from-timestamp cannot be used with --group');
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const member = new ConsumerGroupMember(client, {
      groupId: opts.group!,
      topics: [topic],
      serverAssignor: opts.groupRemoteAssignor ?? null,
      instanceId: opts.groupInstanceId ?? null,
      autoOffsetReset: start.kind === 'earliest' ? 'earliest' : 'latest',
      maxMessages: opts.maxMessages,
      idleTimeoutMs: opts.timeoutMs,
      isolationLevel: opts.isolationLevel,
      signal: abort.signal,
    });
    await member.run(print);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
