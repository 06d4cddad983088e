import { Command, InvalidArgumentError, Option } from 'commander';
import type { CompressionType } from '@dms/kafka-codec';
import { DEFAULT_BOOTSTRAP, parseAcks, parseCompression, parseIntOption } from '@dms/kafka-client';

export type BenchMode = 'produce' | 'consume' | 'both';

export interface BenchOptions {
  mode: BenchMode;
  bootstrapServer: string;
  topic: string;
  partitions: number;
  replicationFactor: number;
  recordSize: number;
  batchSize: number;
  acks: number;
  inFlight: number;
  durationS: number;
  compression: CompressionType;
  compressionName: string;
  fetchMaxBytes: number;
  /** Records get keys `key-0` .. `key-(keys-1)` in turn; 0 leaves them keyless. */
  keys: number;
  /** Configs of the topic when the bench creates it (e.g. cleanup.policy=compact). */
  topicConfig: Record<string, string>;
  json: boolean;
}

function collectConfig(v: string, prev: Record<string, string>): Record<string, string> {
  const at = v.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`--topic-config takes key=value, got '${v}'`);
  return { ...prev, [v.slice(0, at)]: v.slice(at + 1) };
}

function parseSeconds(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > 3600) throw new InvalidArgumentError(`--duration-s must be in (0, 3600], got '${v}'`);
  return n;
}

/** Parses the bench's command line (arguments after the script name). Throws CommanderError on bad input. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  let result: BenchOptions | undefined;
  const program = new Command('bench')
    .exitOverride()
    .argument('<mode>', 'produce | consume | both (produce, then consume what was produced)')
    .option('--bootstrap-server <host:port>', 'Kafka address of the cluster', DEFAULT_BOOTSTRAP)
    .option('--topic <name>', 'topic (created when missing)', 'dms-bench')
    .addOption(new Option('--partitions <n>').argParser(parseIntOption('--partitions', 1, 10_000)).default(4))
    .addOption(new Option('--replication-factor <r>', 'for a created topic (-1: broker default)').argParser(parseIntOption('--replication-factor', -1, 32767)).default(-1))
    .addOption(new Option('--record-size <bytes>', 'value bytes per record').argParser(parseIntOption('--record-size', 0, 64 * 1024 * 1024)).default(1024))
    .addOption(new Option('--batch-size <records>', 'records per pre-built batch').argParser(parseIntOption('--batch-size', 1, 1_000_000)).default(100))
    .addOption(new Option('--acks <acks>', '-1 (all), 0 or 1').argParser(parseAcks).default(-1))
    .addOption(new Option('--in-flight <n>', 'requests outstanding at once').argParser(parseIntOption('--in-flight', 1, 10_000)).default(16))
    .addOption(new Option('--duration-s <s>', 'length of each phase').argParser(parseSeconds).default(10))
    .option('--compression <codec>', 'none|gzip|snappy|lz4|zstd', 'none')
    .addOption(new Option('--fetch-max-bytes <bytes>').argParser(parseIntOption('--fetch-max-bytes', 1)).default(4 * 1024 * 1024))
    .addOption(new Option('--keys <n>', 'keyed records: key-0..key-(n-1) in turn (0: no keys)').argParser(parseIntOption('--keys', 0, 1_000_000_000)).default(0))
    .option('--topic-config <key=value>', 'config of a created topic (repeatable)', collectConfig, {})
    .option('--json', 'print the results as JSON')
    .action((mode: string, o) => {
      if (mode !== 'produce' && mode !== 'consume' && mode !== 'both') throw new InvalidArgumentError(`mode must be produce, consume or both, got '${mode}'`);
      result = { mode, ...o, compression: parseCompression(o.compression), compressionName: String(o.compression).toLowerCase(), json: o.json === true };
    });
  program.parse(argv as string[], { from: 'user' });
  return result!;
}
