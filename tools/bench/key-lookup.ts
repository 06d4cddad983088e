// `bench keys`: builds a large keyed topic (each batch with its own keys, so a key lives in few
// batches) and measures key lookups through the message query (StorageService.Query via
// @dms/query) along the key index and along a full scan: lookups/s, latency p50/p99, batches
// and bytes read per lookup, and how long building took.
import * as os from 'node:os';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { BATCH, buildRecordBatch, rewriteBatchCrc } from '@dms/kafka-codec';
import { ErrorCode, KafkaClient, KafkaError } from '@dms/kafka-client';
import { devAdminCertificate } from '@dms/devcluster';
import { type ClusterAccess, type KeyQuery, MessageQueryClient } from '@dms/query';
import { LatencyRecorder } from './stats';

export interface KeyBenchOptions {
  bootstrapServer: string;
  dataDir: string;
  topic: string;
  partitions: number;
  recordSize: number;
  batchSize: number;
  keys: number;
  buildBytes: number;
  inFlight: number;
  lookups: number;
  scanLookups: number;
  concurrency: number;
  json: boolean;
}

const KEY_DIGITS = 10;
const keyOf = (n: number) => `key-${String(n).padStart(KEY_DIGITS, '0')}`;

function parseSize(v: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmMgG]?)$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`a size like 512M or 10G, got '${v}'`);
  const unit = { '': 1, k: 1 << 10, m: 1 << 20, g: 1 << 30 }[m[2]!.toLowerCase() as ''];
  return Math.floor(Number(m[1]) * unit);
}

function int(min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`an integer >= ${min}, got '${v}'`);
    return n;
  };
}

export function parseKeyBenchArgs(argv: string[]): KeyBenchOptions {
  let parsed: KeyBenchOptions | undefined;
  new Command('bench keys')
    .description('build a keyed topic (unless --build-bytes 0) and time key lookups: indexed and full scan')
    .exitOverride()
    .option('--bootstrap-server <host:port>', 'Kafka address of the cluster', '127.0.0.1:9092')
    .option('--data-dir <dir>', 'the dev cluster data dir (cluster.json names etcd; certs/internal the admin certificate)', './.dms')
    .option('--topic <name>', 'topic (created when missing)', 'dms-bench-keys')
    .addOption(new Option('--partitions <n>').argParser(int(1)).default(4))
    .addOption(new Option('--record-size <bytes>', 'value bytes per record').argParser(int(0)).default(1024))
    .addOption(new Option('--batch-size <records>', 'records per batch').argParser(int(1)).default(100))
    .addOption(new Option('--keys <n>', 'distinct keys; record r of the build has key r mod n').argParser(int(1)).default(1_000_000))
    .addOption(new Option('--build-bytes <size>', 'bytes of record batches to produce first (0: use the topic as it is)').argParser(parseSize).default(1 << 30))
    .addOption(new Option('--in-flight <n>', 'produce requests outstanding while building').argParser(int(1)).default(16))
    .addOption(new Option('--lookups <n>', 'indexed lookups of random keys').argParser(int(0)).default(200))
    .addOption(new Option('--scan-lookups <n>', 'full-scan lookups of random keys (each reads the whole topic)').argParser(int(0)).default(3))
    .addOption(new Option('--concurrency <n>', 'lookups outstanding at once').argParser(int(1)).default(1))
    .option('--json', 'print the results as JSON')
    .action((o) => {
      parsed = { ...o, json: o.json === true, dataDir: resolve(o.dataDir) };
    })
    .parse(argv, { from: 'user' });
  return parsed!;
}

/** One batch template with fixed-width keys: each send writes its own key digits and CRC. */
class KeyedBatches {
  private readonly template: Buffer;
  private readonly keyAt: number[] = [];

  private constructor(template: Buffer, private readonly o: KeyBenchOptions) {
    this.template = template;
    let from = 0;
    for (let i = 0; i < o.batchSize; i++) {
      const at = template.indexOf(keyOf(0), from);
      this.keyAt.push(at);
      from = at + 1;
    }
  }

  static async create(o: KeyBenchOptions): Promise<KeyedBatches> {
    const value = Buffer.alloc(o.recordSize, 'v');
    const template = await buildRecordBatch({ records: Array.from({ length: o.batchSize }, () => ({ key: keyOf(0), value })) });
    return new KeyedBatches(template, o);
  }

  /** Batch j: records j*batchSize .. with keys (r mod keys), timestamps now. */
  batch(j: number): Buffer {
    const b = Buffer.from(this.template);
    const now = BigInt(Date.now());
    b.writeBigInt64BE(now, BATCH.baseTimestamp);
    b.writeBigInt64BE(now, BATCH.maxTimestamp);
    for (let i = 0; i < this.keyAt.length; i++) b.write(String((j * this.o.batchSize + i) % this.o.keys).padStart(KEY_DIGITS, '0'), this.keyAt[i]! + 4, 'latin1');
    rewriteBatchCrc(b, 0);
    return b;
  }
}

async function build(o: KeyBenchOptions): Promise<{ seconds: number; bytes: number; batches: number; records: number }> {
  const client = new KafkaClient({ bootstrapServers: [o.bootstrapServer], clientId: 'dms-bench-keys', retries: 3 });
  try {
    const [res] = await client.createTopics([{ name: o.topic, numPartitions: o.partitions, replicationFactor: -1, configs: {} }]);
    if (res!.errorCode !== ErrorCode.NONE && res!.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) throw new KafkaError(res!.errorCode, `cannot create ${o.topic}`);
    const batches = await KeyedBatches.create(o);
    const size = batches.batch(0).length;
    const total = Math.ceil(o.buildBytes / size);
    let next = 0;
    let lastReport = Date.now();
    const started = Date.now();
    const worker = async () => {
      while (next < total) {
        const j = next++;
        await client.produce(o.topic, j % o.partitions, batches.batch(j), 1, 60_000);
        if (Date.now() - lastReport > 10_000) {
          lastReport = Date.now();
          process.stderr.write(`bench keys: built ${((j * size) / 2 ** 30).toFixed(2)} GiB in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
        }
      }
    };
    await Promise.all(Array.from({ length: o.inFlight }, worker));
    return { seconds: (Date.now() - started) / 1000, bytes: total * size, batches: total, records: total * o.batchSize };
  } finally {
    client.close();
  }
}

export interface LookupFigures {
  path: 'index' | 'full-scan';
  lookups: number;
  seconds: number;
  lookupsPerSecond: number;
  p50Ms: number | null;
  p99Ms: number | null;
  batchesPerLookup: number;
  bytesPerLookup: number;
  recordsPerLookup: number;
  errors: number;
}

async function lookups(client: MessageQueryClient, o: KeyBenchOptions, n: number, fullScan: boolean): Promise<LookupFigures> {
  const latencies = new LatencyRecorder();
  let batches = 0;
  let bytes = 0;
  let records = 0;
  let errors = 0;
  let done = 0;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (done < n) {
      done++;
      const q: KeyQuery = { kind: 'key', topic: o.topic, key: Buffer.from(keyOf(Math.floor(Math.random() * o.keys))), limit: 10_000, fullScan, maxBytesPerCall: 64 << 20 };
      const t0 = process.hrtime.bigint();
      const res = await client.query(q);
      latencies.add(Number(process.hrtime.bigint() - t0) / 1e6);
      batches += res.stats.batchesRead;
      bytes += res.stats.bytesRead;
      records += res.records.length;
      if (res.partitions.some((p) => p.error)) errors++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, Math.max(1, n)) }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const [p50, p99] = latencies.percentiles([0.5, 0.99]);
  return {
    path: fullScan ? 'full-scan' : 'index',
    lookups: n,
    seconds,
    lookupsPerSecond: n / seconds,
    p50Ms: p50 ?? null,
    p99Ms: p99 ?? null,
    batchesPerLookup: batches / Math.max(1, n),
    bytesPerLookup: bytes / Math.max(1, n),
    recordsPerLookup: records / Math.max(1, n),
    errors,
  };
}

function clusterAccess(o: KeyBenchOptions): ClusterAccess {
  const json = JSON.parse(readFileSync(join(o.dataDir, 'cluster.json'), 'utf8')) as { clusterName: string; etcd: { endpoint: string } };
  const cert = devAdminCertificate(o.dataDir);
  return {
    etcdEndpoints: [json.etcd.endpoint],
    clusterName: json.clusterName,
    internalTls: cert ? { ca: cert.ca, cert: cert.cert, key: cert.key } : undefined,
    timeoutMs: 600_000,
  };
}

export async function runKeyBench(o: KeyBenchOptions): Promise<Record<string, unknown>> {
  const built = o.buildBytes > 0 ? await build(o) : undefined;
  const client = new MessageQueryClient(clusterAccess(o));
  try {
    // One warm-up lookup (connections, index loads, and any index not built yet), not counted.
    const warmStarted = Date.now();
    await client.query({ kind: 'key', topic: o.topic, key: Buffer.from(keyOf(0)), limit: 10_000 });
    const warmUpMs = Date.now() - warmStarted;
    const indexed = await lookups(client, o, o.lookups, false);
    const scanned = o.scanLookups > 0 ? await lookups(client, o, o.scanLookups, true) : undefined;
    return {
      conditions: { ...o, cores: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '', node: process.version, loadAverage: os.loadavg() },
      build: built,
      warmUpMs,
      results: [indexed, ...(scanned ? [scanned] : [])],
    };
  } finally {
    client.close();
  }
}

export function formatKeyBench(r: Record<string, unknown>): string {
  const lines: string[] = [];
  const b = r.build as Awaited<ReturnType<typeof build>> | undefined;
  if (b) lines.push(`built ${(b.bytes / 2 ** 30).toFixed(2)} GiB (${b.records} records, ${b.batches} batches) in ${b.seconds.toFixed(0)} s (${(b.bytes / 2 ** 20 / b.seconds).toFixed(0)} MiB/s)`);
  lines.push(`first lookup (connections, loading or finishing the key indexes): ${r.warmUpMs} ms`);
  lines.push('path       lookups  lookups/s   p50 ms   p99 ms  batches/lookup  MiB/lookup  records/lookup');
  for (const x of r.results as LookupFigures[]) {
    lines.push(
      `${x.path.padEnd(10)} ${String(x.lookups).padStart(7)} ${x.lookupsPerSecond.toFixed(1).padStart(10)} ${(x.p50Ms ?? 0).toFixed(1).padStart(8)} ${(x.p99Ms ?? 0).toFixed(1).padStart(8)}` +
      ` ${x.batchesPerLookup.toFixed(1).padStart(15)} ${(x.bytesPerLookup / 2 ** 20).toFixed(2).padStart(11)} ${x.recordsPerLookup.toFixed(1).padStart(15)}${x.errors ? `  (${x.errors} with errors)` : ''}`,
    );
  }
  lines.push(`load average ${(r.conditions as { loadAverage: number[] }).loadAverage.map((l) => l.toFixed(2)).join(' ')}`);
  return lines.join('\n') + '\n';
}

export async function mainKeys(argv: string[]): Promise<number> {
  let o: KeyBenchOptions;
  try {
    o = parseKeyBenchArgs(argv);
  } catch (err) {
    return (err as { exitCode?: number }).exitCode ?? 1;
  }
  try {
    const report = await runKeyBench(o);
    process.stdout.write(o.json ? `${JSON.stringify(report)}\n` : formatKeyBench(report));
    return 0;
  } catch (err) {
    process.stderr.write(`bench keys: ${(err as Error).message}\n`);
    return 1;
  }
}
