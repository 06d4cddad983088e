import { Command, InvalidArgumentError, Option } from 'commander';
import type { CompressionType } from '@dms/kafka-codec';
import { collectConfig, DEFAULT_BOOTSTRAP, parseAcks, parseCompression, parseIntOption } from '@dms/kafka-client';

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
  /** Produce with the idempotent producer (enable.idempotence): producer id and sequence numbers. */
  idempotent: boolean;
  inFlight: number;
  /** Produce in transactions with this transactional.id (idempotent, acks -1). */
  transactionalId?: string;
  /** Records per transaction: ceil(recordsPerTxn / batchSize) batches over the partitions, then commit. */
  recordsPerTxn: number;
  durationS: number;
  compression: CompressionType;
  compressionName: string;
  fetchMaxBytes: number;
  json: boolean;
  /** Configs of a created topic (--topic-config k=v, repeatable), e.g. retention.bytes. */
  topicConfig: Record<string, string>;
  /** Records get keys `key-0` .. `key-(keys-1)` in turn within the resent batch; 0 leaves them keyless. */
  keys: number;
  /** A dev cluster's data dir: the produce phase samples the topic's bytes on disk there. */
  diskDir?: string;
  sampleEveryS: number;
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
    .option('--idempotent', 'produce with the idempotent producer (enable.idempotence, acks -1, at most 5 batches in flight per partition)')
    .option('--transactional-id <id>', 'produce in transactions (transactional.id): each of --records-per-txn records, committed; --in-flight does not apply')
    .addOption(new Option('--records-per-txn <n>', 'records per transaction, sent as batches spread over the partitions').argParser(parseIntOption('--records-per-txn', 1)))
    .option('--json', 'print the results as JSON')
    .addOption(new Option('--keys <n>', 'keyed records: key-0..key-(n-1) in turn (0: no keys)').argParser(parseIntOption('--keys', 0, 1_000_000_000)).default(0))
    .addOption(new Option('--topic-config <key=value>', 'config of a created topic, repeatable (e.g. retention.bytes=104857600)').argParser(collectConfig))
    .option('--disk-dir <dir>', "sample the topic's bytes on disk under this dev cluster data dir during the produce phase")
    .addOption(new Option('--sample-every-s <s>', 'disk sampling interval').argParser(parseSeconds).default(5))
    .action((mode: string, o) => {
      if (mode !== 'produce' && mode !== 'consume' && mode !== 'both') throw new InvalidArgumentError(`mode must be produce, consume or both, got '${mode}'`);
      if (o.idempotent && o.acks !== -1) throw new InvalidArgumentError('--idempotent needs --acks -1');
      if (o.transactionalId !== undefined && o.acks !== -1) throw new InvalidArgumentError('--transactional-id needs --acks -1');
      if (o.recordsPerTxn !== undefined && o.transactionalId === undefined) throw new InvalidArgumentError('--records-per-txn needs --transactional-id');
      result = {
        mode, ...o, compression: parseCompression(o.compression), compressionName: String(o.compression).toLowerCase(), json: o.json === true,
        idempotent: o.idempotent === true,
        recordsPerTxn: o.recordsPerTxn ?? 1000,
        topicConfig: o.topicConfig ?? {},
      };
    });
  program.parse(argv as string[], { from: 'user' });
  return result!;
}
