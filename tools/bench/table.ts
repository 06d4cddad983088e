import * as os from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseIntOption } from '@dms/kafka-client';
import { formatCpuPer100MB } from './cpu';
import { parseBenchArgs } from './options';
import type { BenchReport } from './main';
import type { PhaseResult } from './stats';

/**
 * The issue's table in one command: every case one after another on fresh topics (6 partitions,
 * 1 KiB records, min.insync.replicas=2 for RF 3), against the cluster and, when given, the same
 * case against the relay right after it, then one markdown table and the exact bench commands.
 * A case's topic is deleted from the cluster once no later case reads it (unless --keep-topics):
 * a whole table writes several GB, and the page cache those files hold makes later cases and
 * later runs slower on a machine whose new page-cache pages are expensive (docs/benchmarks.md).
 */
export interface TableCase {
  id: string;
  label: string;
  target: string;
  rf: number;
  acks: number;
  /** Bench flags of the case beyond the shared ones. */
  flags: string[];
  /** Reads the topic of another case (its id) instead of producing. */
  consumes?: string;
}

export const TABLE_CASES: readonly TableCase[] = [
  { id: 'rf3-1k', label: 'acks=all, RF 3, linger 0, batch 1', target: '1,000 rec/s', rf: 3, acks: -1, flags: ['--rate', '1000', '--batch-size', '1'] },
  { id: 'rf1-1k', label: 'acks=all, RF 1, linger 0, batch 1', target: '1,000 rec/s', rf: 1, acks: -1, flags: ['--rate', '1000', '--batch-size', '1'] },
  { id: 'rf3-10k', label: 'acks=all, RF 3, linger 0, batch 1', target: '10,000 rec/s', rf: 3, acks: -1, flags: ['--rate', '10000', '--batch-size', '1'] },
  { id: 'acks1-rf1-10k', label: 'acks=1, RF 1, linger 0, batch 1', target: '10,000 rec/s', rf: 1, acks: 1, flags: ['--rate', '10000', '--batch-size', '1'] },
  { id: 'rf3-linger5-10k', label: 'acks=all, RF 3, linger 5 ms (batch ≤ 100)', target: '10,000 rec/s', rf: 3, acks: -1, flags: ['--rate', '10000', '--linger-ms', '5', '--batch-size', '100'] },
  { id: 'rf3-unbounded', label: 'acks=all, RF 3, batch 100, 16 in flight', target: 'unbounded', rf: 3, acks: -1, flags: ['--batch-size', '100', '--in-flight', '16'] },
  { id: 'acks1-rf1-unbounded', label: 'acks=1, RF 1, batch 100, 16 in flight', target: 'unbounded', rf: 1, acks: 1, flags: ['--batch-size', '100', '--in-flight', '16'] },
  { id: 'consume', label: 'consume (the acks=1 RF 1 unbounded topic)', target: 'unbounded', rf: 1, acks: 1, flags: ['--in-flight', '6'], consumes: 'acks1-rf1-unbounded' },
  { id: 'acks1-rf1-30k-req', label: 'acks=1, RF 1, one 1-record batch per request, 4 producers', target: '30,000 req/s', rf: 1, acks: 1, flags: ['--request-rate', '30000', '--batch-size', '1', '--producers', '4'] },
  { id: 'rf3-15k-req', label: 'acks=all, RF 3, one 1-record batch per request, 4 producers', target: '15,000 req/s', rf: 3, acks: -1, flags: ['--request-rate', '15000', '--batch-size', '1', '--producers', '4'] },
];

export interface TableOptions {
  bootstrapServer: string;
  clusterFile?: string;
  baselineBootstrap?: string;
  baselineClusterFile?: string;
  /** Start the bundled relay for the baseline (and stop it at the end). */
  baselineRelay: boolean;
  durationS: number;
  /** --warmup-s of every case that only produces (0: none). */
  warmupS: number;
  consumers: number;
  only?: string[];
  topicPrefix: string;
  /** Leave every case's topic on the cluster (default: delete each once no later case reads it). */
  keepTopics: boolean;
  json: boolean;
}

export function parseTableArgs(argv: readonly string[]): TableOptions {
  let result: TableOptions | undefined;
  new Command('table')
    .exitOverride()
    .requiredOption('--bootstrap-server <host:port>', 'Kafka address of the cluster')
    .option('--cluster-file <file>', "the cluster's cluster.json: CPU per 100 MB by role")
    .option('--baseline-bootstrap <host:port>', 'a relay (dist/tools/bench/relay.js) to run every case against as well')
    .option('--baseline-cluster-file <file>', "the relay's --cluster-file")
    .option('--baseline-relay', 'start dist/tools/bench/relay.js on a free port for the baseline, stop it at the end')
    .addOption(new Option('--duration-s <s>', 'length of each case').argParser((v) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0 || n > 600) throw new InvalidArgumentError(`--duration-s must be in (0, 600], got '${v}'`);
      return n;
    }).default(10))
    .addOption(new Option('--warmup-s <s>', 'each producing case first runs its load this long, not measured (--warmup-s of the bench)').argParser((v) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0 || n > 600) throw new InvalidArgumentError(`--warmup-s must be in [0, 600], got '${v}'`);
      return n;
    }).default(0))
    .addOption(new Option('--consumers <n>', 'consumers tailing the topic during the open-loop cases').argParser(parseIntOption('--consumers', 0, 100)).default(0))
    .option('--only <ids>', `comma-separated case ids: ${TABLE_CASES.map((c) => c.id).join(', ')}`)
    .option('--topic-prefix <p>', 'fresh topics are named <prefix>-<case>-<run>', 'bench-table')
    .option('--keep-topics', "leave each case's topic on the cluster (default: deleted once no later case reads it)")
    .option('--json', 'print the reports as JSON after the table')
    .action((o) => {
      const only = o.only === undefined ? undefined : String(o.only).split(',').map((s) => s.trim()).filter(Boolean);
      for (const id of only ?? []) if (!TABLE_CASES.some((c) => c.id === id)) throw new InvalidArgumentError(`unknown case '${id}'`);
      if (o.baselineRelay && o.baselineBootstrap) throw new InvalidArgumentError('give --baseline-relay or --baseline-bootstrap, not both');
      result = { ...o, only, json: o.json === true, baselineRelay: o.baselineRelay === true, keepTopics: o.keepTopics === true };
    })
    .parse(argv as string[], { from: 'user' });
  return result!;
}

/** The bench command line of one case against one system. */
export function caseArgs(c: TableCase, o: TableOptions, system: { bootstrap: string; clusterFile?: string }, topic: string, mode: string): string[] {
  const args = [mode, '--bootstrap-server', system.bootstrap, '--topic', topic, '--partitions', '6', '--record-size', '1024',
    '--replication-factor', String(c.rf), '--acks', String(c.acks), '--duration-s', String(o.durationS), ...c.flags];
  if (c.rf === 3) args.push('--topic-config', 'min.insync.replicas=2');
  const tailed = o.consumers > 0 && c.flags.includes('--rate');
  if (tailed) args.push('--consumers', String(o.consumers));
  else if (o.warmupS > 0 && mode === 'produce') args.push('--warmup-s', String(o.warmupS));
  if (system.clusterFile) args.push('--cluster-file', system.clusterFile);
  return args;
}

export interface TableRow {
  caseId: string;
  system: 'dms' | 'relay';
  command: string;
  report?: BenchReport;
  error?: string;
}

const ms = (x: number | null | undefined) => (x === null || x === undefined ? '-' : x < 10 ? x.toFixed(2) : x.toFixed(1));

function achieved(p: PhaseResult): string {
  if (p.openLoop) return `${Math.round(p.openLoop.achievedPerSec).toLocaleString('en-US')} ${p.openLoop.unit === 'records' ? 'rec' : 'req'}/s`;
  return `${p.recordsPerSec.toLocaleString('en-US')} rec/s`;
}

/** One markdown table of the rows (the main phase of each: produce, or consume for the consume case). */
export function formatTable(rows: readonly TableRow[]): string {
  const out = [
    '| case | system | target | achieved | p50 / p99 / p99.9 ms | MB/s | late sends | CPU s per 100 MB by role |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const c = TABLE_CASES.find((x) => x.id === r.caseId)!;
    const p = r.report?.results.find((x) => x.phase === (c.consumes ? 'consume' : 'produce'));
    if (!p) {
      out.push(`| ${c.label} | ${r.system} | ${c.target} | failed: ${r.error ?? 'no result'} | | | | |`);
      continue;
    }
    const l = p.latencyMs;
    const late = p.openLoop ? `${p.openLoop.lateSends} of ${p.openLoop.sent}${p.openLoop.unanswered ? ` (${p.openLoop.unanswered} unanswered)` : ''}` : '-';
    const errors = Object.keys(p.errors).length ? ` (errors ${JSON.stringify(p.errors)})` : '';
    out.push(`| ${c.label} | ${r.system} | ${c.target} | ${achieved(p)}${errors} | ${ms(l.p50)} / ${ms(l.p99)} / ${ms(l.p999)} | ${p.mbPerSec.toFixed(1)} | ${late} | ${p.cpu ? formatCpuPer100MB(p.cpu) : '-'} |`);
  }
  return `${out.join('\n')}\n`;
}

/**
 * Runs the chosen cases (each against the cluster, then the relay when given) one after another.
 * `dropTopic` deletes a topic of the cluster (not the relay, whose ring is bounded) once no later
 * case reads it; a failed deletion is logged and the table goes on.
 */
export async function runTable(
  o: TableOptions,
  run: (argv: string[]) => Promise<BenchReport>,
  log: (line: string) => void = () => undefined,
  dropTopic?: (topic: string) => Promise<void>,
): Promise<TableRow[]> {
  const runId = Date.now().toString(36);
  const systems: { name: 'dms' | 'relay'; bootstrap: string; clusterFile?: string }[] = [{ name: 'dms', bootstrap: o.bootstrapServer, clusterFile: o.clusterFile }];
  if (o.baselineBootstrap) systems.push({ name: 'relay', bootstrap: o.baselineBootstrap, clusterFile: o.baselineClusterFile });
  const rows: TableRow[] = [];
  const cases = TABLE_CASES.filter((c) => !o.only || o.only.includes(c.id));
  const produced = new Set<string>();
  // The case whose topic `c` uses on `system`: its own, or the one a consume case reads when that case ran there.
  const sourceOf = (c: TableCase, system: string) => (c.consumes && produced.has(`${system}/${c.consumes}`) ? c.consumes : c.id);
  for (const [i, c] of cases.entries()) {
    for (const s of systems) {
      // The consume case reads what an earlier case wrote; without it, it produces first (both).
      const source = sourceOf(c, s.name);
      const mode = c.consumes ? (source === c.id ? 'both' : 'consume') : 'produce';
      const base = c.consumes && source !== c.id ? TABLE_CASES.find((x) => x.id === source)! : c;
      const args = caseArgs({ ...c, rf: base.rf, acks: base.acks, flags: c.consumes && mode === 'both' ? base.flags.concat(['--batch-size', '100']) : c.flags },
        o, s, `${o.topicPrefix}-${source}-${runId}`, mode);
      const command = `node dist/tools/bench/main.js ${args.join(' ')}`;
      log(`${c.id} against ${s.name}: ${command}`);
      try {
        const report = await run(args);
        rows.push({ caseId: c.id, system: s.name, command, report });
        produced.add(`${s.name}/${c.id}`);
      } catch (err) {
        rows.push({ caseId: c.id, system: s.name, command, error: err instanceof Error ? err.message : String(err) });
      }
    }
    const topicOf = sourceOf(c, 'dms');
    const readLater = cases.slice(i + 1).some((later) => later.consumes === topicOf);
    if (dropTopic && !o.keepTopics && !readLater) {
      const topic = `${o.topicPrefix}-${topicOf}-${runId}`;
      await dropTopic(topic).catch((err: unknown) => log(`could not delete ${topic}: ${err instanceof Error ? err.message : String(err)}`));
    }
  }
  return rows;
}

export function tableConditions(): string {
  const cpus = os.cpus();
  return `${cpus.length} cores (${cpus[0]?.model ?? 'unknown'}), node ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`;
}

/** Parses one case's bench arguments (so a bad table fails before the first case runs). */
export function checkCaseArgs(o: TableOptions): void {
  for (const c of TABLE_CASES) parseBenchArgs(caseArgs(c, o, { bootstrap: o.bootstrapServer, clusterFile: o.clusterFile }, 'check', c.consumes ? 'consume' : 'produce'));
}
