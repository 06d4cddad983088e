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
  /**
   * Produce phase: seconds of the same load on the same connections before the measured run,
   * not counted (latency, throughput, CPU): JIT compilation, connections and caches settle first.
   */
  warmupS: number;
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
  /** Open loop: records per second, each record due at t0 + i / rate (batched per partition by the linger). */
  rate?: number;
  /** Open loop: requests per second of one --batch-size batch each, request j due at t0 + j / rate. */
  requestRate?: number;
  /** Independent producer connections sharing the open-loop rate (round-robin). */
  producers: number;
  /** Open loop with --rate: records due within this many ms for one partition leave as one batch. */
  lingerMs: number;
  /** Open loop: `lean` sends pre-encoded frames on its own connections (corked writes, one timeout sweep); `full` goes through KafkaClient. */
  client: 'lean' | 'full';
  /** Open loop: requests outstanding at most; a request due beyond it waits (and counts as late). */
  maxOutstanding: number;
  /** Open loop: latency percentiles per window of due time, ms (undefined: none). */
  timelineMs?: number;
  /** Consumers reading the topic while the produce phase runs, each on its own connection. */
  consumers: number;
  /** A dev cluster's cluster.json (or a relay's): CPU seconds of its processes per phase. */
  clusterFile?: string;
}

/** Whether the produce phase runs open loop (a fixed schedule) rather than closed loop (--in-flight). */
export function isOpenLoop(o: Pick<BenchOptions, 'rate' | 'requestRate'>): boolean {
  return o.rate !== undefined || o.requestRate !== undefined;
}

function parseSeconds(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > 3600) throw new InvalidArgumentError(`--duration-s must be in (0, 3600], got '${v}'`);
  return n;
}

function parseWarmup(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 600) throw new InvalidArgumentError(`--warmup-s must be in [0, 600], got '${v}'`);
  return n;
}

function parseRate(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0 || n > 10_000_000) throw new InvalidArgumentError(`${name} must be in (0, 10000000], got '${v}'`);
    return n;
  };
}

function parseLinger(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 60_000) throw new InvalidArgumentError(`--linger-ms must be in [0, 60000], got '${v}'`);
  return n;
}

/** Parses the bench's command line (arguments after the script name). Throws CommanderError on bad input. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  let result: BenchOptions | undefined;
  const program = new Command('bench')
    .exitOverride()
    .argument('<mode>', 'produce | consume | both (produce, then consume what was produced); also `table`, `keys` (key lookups, see `keys --help`) and `rebalance` (consumer-group rebalance time, see `rebalance --help`)')
    .option('--bootstrap-server <host:port>', 'Kafka address of the cluster', DEFAULT_BOOTSTRAP)
    .option('--topic <name>', 'topic (created when missing)', 'dms-bench')
    .addOption(new Option('--partitions <n>').argParser(parseIntOption('--partitions', 1, 10_000)).default(4))
    .addOption(new Option('--replication-factor <r>', 'for a created topic (-1: broker default)').argParser(parseIntOption('--replication-factor', -1, 32767)).default(-1))
    .addOption(new Option('--record-size <bytes>', 'value bytes per record').argParser(parseIntOption('--record-size', 0, 64 * 1024 * 1024)).default(1024))
    .addOption(new Option('--batch-size <records>', 'records per pre-built batch').argParser(parseIntOption('--batch-size', 1, 1_000_000)).default(100))
    .addOption(new Option('--acks <acks>', '-1 (all), 0 or 1').argParser(parseAcks).default(-1))
    .addOption(new Option('--in-flight <n>', 'requests outstanding at once').argParser(parseIntOption('--in-flight', 1, 10_000)).default(16))
    .addOption(new Option('--duration-s <s>', 'length of each phase').argParser(parseSeconds).default(10))
    .addOption(new Option('--warmup-s <s>', 'produce: run the same load this long first on the same connections, not measured').argParser(parseWarmup).default(0))
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
    .addOption(new Option('--rate <records/s>', 'open loop: records per second on a fixed schedule, latency from each record\'s due time').argParser(parseRate('--rate')))
    .addOption(new Option('--request-rate <requests/s>', 'open loop: requests per second of one --batch-size batch each').argParser(parseRate('--request-rate')))
    .addOption(new Option('--producers <n>', 'open loop: producer connections sharing the rate').argParser(parseIntOption('--producers', 1, 1000)).default(1))
    .addOption(new Option('--linger-ms <ms>', 'open loop with --rate: a partition\'s records due within this window leave as one batch (at most --batch-size records)').argParser(parseLinger).default(0))
    .addOption(new Option('--client <kind>', 'open loop: lean (pre-encoded frames, writes of one event-loop turn together) or full (the KafkaClient)').choices(['lean', 'full']).default('lean'))
    .addOption(new Option('--max-outstanding <n>', 'open loop: requests outstanding at most').argParser(parseIntOption('--max-outstanding', 1, 10_000_000)).default(100_000))
    .addOption(new Option('--timeline-ms <ms>', 'open loop: also report latency p50/p99/max per window of this many ms of due time (when the tail happened)').argParser(parseIntOption('--timeline-ms', 10, 60_000)))
    .addOption(new Option('--consumers <n>', 'consumers reading the topic while producing, each on its own connection').argParser(parseIntOption('--consumers', 0, 1000)).default(0))
    .option('--cluster-file <file>', 'cluster.json of a dev cluster (or a relay): report CPU seconds per 100 MB of its processes and of the bench')
    .action((mode: string, o) => {
      if (mode !== 'produce' && mode !== 'consume' && mode !== 'both') throw new InvalidArgumentError(`mode must be produce, consume or both, got '${mode}'`);
      if (o.idempotent && o.acks !== -1) throw new InvalidArgumentError('--idempotent needs --acks -1');
      if (o.transactionalId !== undefined && o.acks !== -1) throw new InvalidArgumentError('--transactional-id needs --acks -1');
      if (o.recordsPerTxn !== undefined && o.transactionalId === undefined) throw new InvalidArgumentError('--records-per-txn needs --transactional-id');
      const open = o.rate !== undefined || o.requestRate !== undefined;
      if (o.rate !== undefined && o.requestRate !== undefined) throw new InvalidArgumentError('give --rate (records/s) or --request-rate (requests/s), not both');
      if (open && (o.idempotent || o.transactionalId !== undefined)) throw new InvalidArgumentError('the open loop (--rate, --request-rate) runs without --idempotent or --transactional-id');
      if (open && mode === 'consume') throw new InvalidArgumentError('--rate and --request-rate apply to the produce phase');
      if (o.lingerMs > 0 && o.rate === undefined) throw new InvalidArgumentError('--linger-ms needs --rate');
      if (o.timelineMs !== undefined && !open) throw new InvalidArgumentError('--timeline-ms needs --rate or --request-rate');
      if (o.producers > 1 && !open) throw new InvalidArgumentError('--producers needs --rate or --request-rate (the closed loop uses --in-flight)');
      if (o.consumers > 0 && mode === 'consume') throw new InvalidArgumentError('--consumers reads while producing: use it with produce or both');
      // The warm-up's records would be read back by `both` and by tailing consumers, and a transaction has no rate to warm.
      if (o.warmupS > 0 && (mode !== 'produce' || o.consumers > 0 || o.transactionalId !== undefined)) {
        throw new InvalidArgumentError('--warmup-s applies to produce without --consumers or --transactional-id');
      }
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
