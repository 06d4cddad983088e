// `dms messages get|search`: message query by offset window, by time range and by key, answered by
// the partition leaders over the internal gRPC (StorageService.Query) through @dms/query.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { devAdminCertificate } from '@dms/devcluster';
import { type ClusterAccess, type MessageQuery, type MessageRecord, type QueryResult, type ValueFormat, parseTime, queryMessages, renderBytes } from '@dms/query';
import { resolveTarget } from './cluster';

interface CommonOptions {
  dataDir: string;
  etcd?: string;
  clusterName?: string;
  topic: string;
  format: string;
  json?: boolean;
  timeout: string;
  isolation: string;
  internalSslCaLocation?: string;
  internalSslCertificateLocation?: string;
  internalSslKeyLocation?: string;
}

interface GetOptions extends CommonOptions {
  partition: string;
  offset: string;
  before: string;
  after: string;
}

interface SearchOptions extends CommonOptions {
  partition?: string;
  key?: string;
  keyHex?: string;
  from?: string;
  to?: string;
  limit: string;
  fullScan?: boolean;
}

class UsageError extends Error {}

function int(flag: string, value: string, min = 0): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`${flag} must be an integer >= ${min}, got '${value}'`);
  return n;
}

function access(o: CommonOptions): ClusterAccess {
  const { endpoint, clusterName, tls } = resolveTarget(o);
  const timeoutMs = int('--timeout', o.timeout, 1);
  // Without --internal-ssl-* a dev cluster's own operator certificate (dms://admin/0) is used.
  const given = o.internalSslCaLocation || o.internalSslCertificateLocation || o.internalSslKeyLocation;
  const dev = given ? undefined : devAdminCertificate(resolve(o.dataDir));
  const internalTls = dev
    ? { ca: dev.ca, cert: dev.cert, key: dev.key }
    : given
      ? { ca: o.internalSslCaLocation ?? '', cert: o.internalSslCertificateLocation ?? '', key: o.internalSslKeyLocation ?? '' }
      : undefined;
  if (internalTls && (!internalTls.ca || !internalTls.cert || !internalTls.key)) {
    throw new UsageError('internal TLS needs --internal-ssl-ca-location, --internal-ssl-certificate-location and --internal-ssl-key-location');
  }
  return {
    etcdEndpoints: endpoint.split(','),
    clusterName,
    etcdTls: tls ? { caFile: tls.caFile, certFile: tls.certFile, keyFile: tls.keyFile } : undefined,
    internalTls,
    timeoutMs,
  };
}

function format(o: CommonOptions): ValueFormat {
  if (o.format !== 'text' && o.format !== 'json' && o.format !== 'hex') throw new UsageError(`--format must be text, json or hex, got '${o.format}'`);
  return o.format;
}

function isolation(o: CommonOptions): 'uncommitted' | 'committed' {
  if (o.isolation === 'read_uncommitted') return 'uncommitted';
  if (o.isolation === 'read_committed') return 'committed';
  throw new UsageError(`--isolation must be read_uncommitted or read_committed, got '${o.isolation}'`);
}

/** One record as text: a header line, its headers, then key and value in the chosen format. */
export function formatRecord(r: MessageRecord, fmt: ValueFormat): string {
  const when = Number(r.timestamp) >= 0 ? new Date(Number(r.timestamp)).toISOString() : String(r.timestamp);
  const lines = [
    `${r.topic}-${r.partition} offset ${r.offset}  ${when} (${r.timestampType})  ${r.compression}  epoch ${r.leaderEpoch}${r.transactional ? '  transactional' : ''}`,
    `  key:   ${indent(renderBytes(r.key, fmt === 'json' ? 'text' : fmt))}`,
  ];
  for (const h of r.headers) lines.push(`  header ${h.key}: ${indent(renderBytes(h.value, fmt === 'json' ? 'text' : fmt))}`);
  lines.push(`  value: ${indent(renderBytes(r.value, fmt))}`);
  return lines.join('\n');
}

function indent(s: string): string {
  return s.replace(/\n/g, '\n         ');
}

/** One record as JSON: bigints as strings, key and value rendered in the chosen format. */
export function recordJson(r: MessageRecord, fmt: ValueFormat): Record<string, unknown> {
  const render = (b: Buffer | null) => (b === null ? null : fmt === 'hex' ? b.toString('hex') : renderBytes(b, 'text'));
  let value: unknown = render(r.value);
  if (fmt === 'json' && r.value !== null) {
    try {
      value = JSON.parse(r.value.toString('utf8'));
    } catch {
      // not JSON: kept as text
    }
  }
  return {
    topic: r.topic,
    partition: r.partition,
    offset: r.offset.toString(),
    timestamp: r.timestamp.toString(),
    timestampType: r.timestampType,
    key: render(r.key),
    value,
    headers: r.headers.map((h) => ({ key: h.key, value: render(h.value) })),
    compression: r.compression,
    leaderEpoch: r.leaderEpoch,
    batchBaseOffset: r.batchBaseOffset.toString(),
    producerId: r.producerId.toString(),
    transactional: r.transactional,
  };
}

function print(res: QueryResult, o: CommonOptions, command: string): number {
  const fmt = format(o);
  const failed = res.partitions.filter((p) => p.error);
  if (o.json) {
    process.stdout.write(JSON.stringify({
      records: res.records.map((r) => recordJson(r, fmt)),
      truncated: res.truncated,
      partitions: res.partitions.map((p) => ({ ...p, cursor: p.cursor, highWatermark: p.highWatermark?.toString(), logStartOffset: p.logStartOffset?.toString() })),
      stats: { ...res.stats, elapsedMs: res.elapsedMs },
    }) + '\n');
  } else {
    for (const r of res.records) process.stdout.write(formatRecord(r, fmt) + '\n');
    const s = res.stats;
    process.stderr.write(
      `${res.records.length} record${res.records.length === 1 ? '' : 's'}${res.truncated ? ' (limit reached; more match)' : ''}; ` +
      `${s.batchesRead} batches (${s.bytesRead} bytes) read${s.usedKeyIndex ? ` via the key index of ${s.segmentsSearched} segments` : ''}, ` +
      `${(s.brokerElapsedUs / 1000).toFixed(1)} ms on brokers, ${res.elapsedMs} ms in all\n`,
    );
  }
  for (const p of failed) process.stderr.write(`dms messages ${command}: partition ${p.partition}: ${p.error}${p.errorMessage ? ` (${p.errorMessage})` : ''}\n`);
  return failed.length > 0 ? 1 : 0;
}

async function run(command: string, build: () => { access: ClusterAccess; query: MessageQuery }, o: CommonOptions): Promise<number> {
  let job;
  try {
    job = build();
  } catch (e) {
    process.stderr.write(`dms messages ${command}: ${(e as Error).message}\n`);
    return 1;
  }
  try {
    return print(await queryMessages(job.access, job.query), o, command);
  } catch (e) {
    process.stderr.write(`dms messages ${command}: ${(e as Error).message}\n`);
    return 1;
  }
}

export function getQuery(o: GetOptions): MessageQuery {
  return {
    kind: 'offset',
    topic: o.topic,
    partition: int('--partition', o.partition),
    offset: BigInt(int('--offset', o.offset)),
    before: int('--before', o.before),
    after: int('--after', o.after),
    limit: int('--before', o.before) + int('--after', o.after) + 1,
    isolation: isolation(o),
  };
}

export function searchQuery(o: SearchOptions, nowMs = Date.now()): MessageQuery {
  const partition = o.partition === undefined ? undefined : int('--partition', o.partition);
  const fromMs = o.from === undefined ? undefined : parseTime(o.from, nowMs);
  const toMs = o.to === undefined ? undefined : parseTime(o.to, nowMs);
  if (fromMs !== undefined && toMs !== undefined && toMs < fromMs) throw new UsageError('--to is before --from');
  const limit = int('--limit', o.limit, 1);
  const common = { topic: o.topic, partition, limit, isolation: isolation(o) };
  if (o.key !== undefined && o.keyHex !== undefined) throw new UsageError('give --key or --key-hex, not both');
  if (o.keyHex !== undefined && !/^([0-9a-fA-F]{2})*$/.test(o.keyHex)) throw new UsageError(`--key-hex takes hex digits in pairs, got '${o.keyHex}'`);
  const key = o.key !== undefined ? Buffer.from(o.key, 'utf8') : o.keyHex !== undefined ? Buffer.from(o.keyHex, 'hex') : undefined;
  if (key) return { kind: 'key', ...common, key, fromMs, toMs, fullScan: o.fullScan };
  if (fromMs === undefined && toMs === undefined) throw new UsageError('search needs --key, --key-hex, or a time range (--from and/or --to)');
  return { kind: 'time', ...common, fromMs: fromMs ?? 0n, toMs };
}

function commonOptions(c: Command): Command {
  return c
    .requiredOption('--topic <topic>', 'topic')
    .option('--format <format>', 'render keys and values as text, json (pretty) or hex', 'text')
    .option('--isolation <level>', 'read_uncommitted (up to the high watermark) or read_committed (up to the last stable offset, aborted records left out)', 'read_uncommitted')
    .option('--json', 'print one JSON object (records, per-partition outcome, stats)')
    .option('--data-dir <dir>', 'dev cluster directory whose cluster.json names the etcd endpoint', './.dms')
    .option('--etcd <host:port>', 'etcd endpoint(s), comma-separated (default: from cluster.json, else 127.0.0.1:2379)')
    .option('--cluster-name <name>', 'cluster name (default: from cluster.json, else dms)')
    .option('--internal-ssl-ca-location <file>', 'CA of the internal mutual TLS (default: the dev cluster\'s under --data-dir)')
    .option('--internal-ssl-certificate-location <file>', 'operator (dms://admin/<id>) or console (dms://console/<id>) certificate for the internal mutual TLS')
    .option('--internal-ssl-key-location <file>', 'client key for the internal mutual TLS')
    .option('--timeout <ms>', 'give up on a call after this long', '10000');
}

export function register(program: Command): void {
  const messages = program.command('messages').description('find messages: by offset, by time range, by key (read from the partition leaders)');
  commonOptions(messages.command('get'))
    .description('one record by partition and offset, or a window around it')
    .requiredOption('--partition <p>', 'partition')
    .requiredOption('--offset <offset>', 'offset')
    .option('--before <n>', 'also this many records before it', '0')
    .option('--after <n>', 'also this many records after it', '0')
    .action(async (o: GetOptions) => {
      process.exitCode = await run('get', () => ({ access: access(o), query: getQuery(o) }), o);
    });
  commonOptions(messages.command('search'))
    .description('records with a key (optionally within --from/--to), or every record of a time range; all partitions unless --partition')
    .option('--partition <p>', 'only this partition')
    .option('--key <key>', 'key as UTF-8 text')
    .option('--key-hex <hex>', 'key as hex bytes')
    .option('--from <time>', 'ISO-8601, epoch ms, or relative like -1h, -30m, -2d')
    .option('--to <time>', 'same forms as --from; default: now (the end of the log)')
    .option('--limit <n>', 'most records printed', '100')
    .option('--full-scan', 'read every batch instead of the key index\'s candidates (comparison)')
    .action(async (o: SearchOptions) => {
      process.exitCode = await run('search', () => ({ access: access(o), query: searchQuery(o) }), o);
    });
}
