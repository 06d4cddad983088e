import * as os from 'node:os';
import { mainShare } from './share';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import { describeError, ErrorCode, KafkaClient, KafkaError, LATEST_TIMESTAMP } from '@dms/kafka-client';
import { isOpenLoop, parseBenchArgs, type BenchOptions } from './options';
import { prebuildBatch, runConsume, runProduce } from './load';
import { drainMs, runOpenLoopProduce, type ProduceSender } from './open-loop';
import { RawProducer } from './raw-producer';
import { startRelayProcess, type RelayProcess } from './relay-process';
import { runConcurrentConsumers } from './consumers';
import { formatCpuPer100MB, readClusterFile, startCpuSampler, type ProcessRef } from './cpu';
import { checkCaseArgs, formatTable, parseTableArgs, runTable, TABLE_CASES, tableConditions, type TableOptions } from './table';
import { runTransactionalProduce } from './txn-load';
import { mainKeys } from './key-lookup';
import { mainRebalance } from './rebalance';
import type { PhaseResult } from './stats';
import { type DiskSample, startDiskSampler } from './disk-usage';

export interface BenchReport {
  conditions: {
    mode: string; topic: string; partitions: number; recordSize: number; batchSize: number; batchBytes: number;
    acks: number; idempotent: boolean; transactionalId: string | null; recordsPerTxn: number | null; inFlight: number; durationS: number; compression: string; cores: number; cpuModel: string; node: string;
    warmupS?: number; replicationFactor?: number; rate?: number | null; requestRate?: number | null; producers?: number; client?: string; lingerMs?: number; consumers?: number; loadAverage?: number[];
  };
  results: PhaseResult[];
  /** With --disk-dir: the topic's bytes on disk during the produce phase. */
  diskSamples?: DiskSample[];
}

async function ensureTopic(client: KafkaClient, o: BenchOptions): Promise<void> {
  const [res] = await client.createTopics([{ name: o.topic, numPartitions: o.partitions, replicationFactor: o.replicationFactor, configs: o.topicConfig }]);
  if (res.errorCode !== ErrorCode.NONE && res.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
    throw new KafkaError(res.errorCode, `cannot create topic ${o.topic}${res.errorMessage ? `: ${res.errorMessage}` : ''}`);
  }
  const have = await client.partitionCount(o.topic);
  if (have < o.partitions) throw new Error(`topic ${o.topic} has ${have} partitions, fewer than --partitions ${o.partitions}`);
}

function newClient(o: BenchOptions, clientId = 'dms-bench'): KafkaClient {
  return new KafkaClient({ bootstrapServers: o.bootstrapServer, clientId, retries: 0 });
}

/** Connects a client to the topic's leaders before the clock starts (metadata and connection setup). */
async function warm(client: KafkaClient, o: BenchOptions): Promise<void> {
  await Promise.all([...Array(o.partitions).keys()].map((p) => client.listOffsets(o.topic, p, LATEST_TIMESTAMP)));
}

/**
 * The produce phase, open or closed loop, with consumers tailing the topic when asked. The CPU of
 * `procs` is sampled over the measured run (after any --warmup-s) and reported with the first result.
 */
async function producePhase(client: KafkaClient, o: BenchOptions, batch: Buffer, from: bigint[], progress: { bytes: number }, procs?: ProcessRef[]): Promise<PhaseResult[]> {
  const extra: KafkaClient[] = [];
  const closers: (() => void)[] = [];
  try {
    if (o.transactionalId !== undefined) return await withCpu(procs, async () => [await runTransactionalProduce(client, o, batch, progress)]);
    const producers = [client];
    if (isOpenLoop(o)) for (let i = 1; i < o.producers; i++) producers.push(newClient(o, `dms-bench-producer-${i}`));
    const consumers = Array.from({ length: o.consumers }, (_, i) => newClient(o, `dms-bench-consumer-${i}`));
    extra.push(...producers.slice(1), ...consumers);
    await Promise.all([...producers, ...consumers].map((c) => warm(c, o)));
    const senders = isOpenLoop(o) ? await openSenders(producers, o) : [];
    closers.push(...senders.map((s) => s.close));
    if (o.warmupS > 0) await warmUp(client, senders, o, batch);
    return await withCpu(procs, async () => {
      const produced = isOpenLoop(o)
        ? runOpenLoopProduce(senders.map((s) => s.send), o, { stampTimestamps: o.consumers > 0, progress })
        : runProduce(client, o, batch, progress);
      const consumed = consumers.length > 0 ? runConcurrentConsumers(consumers, o, from, produced, isOpenLoop(o)) : undefined;
      const results = [await produced];
      if (consumed) results.push(await consumed);
      return results;
    });
  } finally {
    for (const c of closers) c();
    for (const c of extra) c.close();
  }
}

/**
 * --warmup-s: the measured run's load (its rate, or its closed loop) for that long on the same
 * connections, its results dropped. Errors there fail the bench as they would the run.
 */
async function warmUp(client: KafkaClient, senders: { send: ProduceSender }[], o: BenchOptions, batch: Buffer): Promise<void> {
  const w: BenchOptions = { ...o, durationS: o.warmupS, timelineMs: undefined };
  const r = isOpenLoop(o) ? await runOpenLoopProduce(senders.map((s) => s.send), w, { stampTimestamps: false }) : await runProduce(client, w, batch);
  if (r.requests === 0) throw new Error(`the ${o.warmupS} s warm-up produced nothing${Object.keys(r.errors).length ? ` (errors ${JSON.stringify(r.errors)})` : ''}`);
}

/** Runs `phase` with the processes' CPU sampled over it; the first result carries the report. */
async function withCpu(procs: ProcessRef[] | undefined, phase: () => Promise<PhaseResult[]>): Promise<PhaseResult[]> {
  const cpu = procs ? startCpuSampler(procs) : undefined;
  const results = await phase();
  if (cpu && results[0]) results[0].cpu = cpu.stop(results[0].bytes, results[0].requests);
  return results;
}

/** The open loop's producers: the lean raw path (default) or the full client (--client full). */
async function openSenders(clients: KafkaClient[], o: BenchOptions): Promise<{ send: ProduceSender; close(): void }[]> {
  if (o.client === 'full') {
    return clients.map((c) => ({ send: (p: number, b: Buffer) => c.produce(o.topic, p, b, o.acks, 30_000), close: () => undefined }));
  }
  const raws = await Promise.all(clients.map((c) => RawProducer.open(c, o.topic, o.partitions, o.acks)));
  return raws.map((r) => ({ send: (p: number, b: Buffer, reused: boolean) => r.produce(p, b, reused), close: () => r.close() }));
}

export async function runBench(o: BenchOptions): Promise<BenchReport> {
  const client = newClient(o);
  const procs: ProcessRef[] | undefined = o.clusterFile ? [...readClusterFile(o.clusterFile), { role: 'bench', id: 0, pid: process.pid }] : undefined;
  try {
    await ensureTopic(client, o);
    const batch = await prebuildBatch(o);
    const results: PhaseResult[] = [];
    let from: bigint[] | undefined;
    let diskSamples: DiskSample[] | undefined;
    if (o.mode !== 'consume') {
      from = await Promise.all([...Array(o.partitions).keys()].map(async (p) => (await client.listOffsets(o.topic, p, LATEST_TIMESTAMP)).offset));
      const progress = { bytes: 0 };
      const sampler = o.diskDir ? startDiskSampler(o.diskDir, o.topic, o.sampleEveryS, progress) : undefined;
      results.push(...(await producePhase(client, o, batch, from, progress, procs)));
      diskSamples = await sampler?.stop();
    }
    if (o.mode !== 'produce') {
      const cpu = procs ? startCpuSampler(procs) : undefined;
      const consumed = await runConsume(client, o, o.mode === 'both' ? from : undefined);
      if (cpu) consumed.cpu = cpu.stop(consumed.bytes, consumed.requests);
      results.push(consumed);
    }
    const cpus = os.cpus();
    return {
      conditions: {
        mode: o.mode, topic: o.topic, partitions: o.partitions, recordSize: o.recordSize, batchSize: o.batchSize,
        batchBytes: batch.length, acks: o.acks, idempotent: o.idempotent,
        transactionalId: o.transactionalId ?? null, recordsPerTxn: o.transactionalId !== undefined ? o.recordsPerTxn : null, inFlight: o.inFlight, durationS: o.durationS, compression: o.compressionName,
        cores: cpus.length, cpuModel: cpus[0]?.model ?? 'unknown', node: process.version,
        warmupS: o.warmupS, replicationFactor: o.replicationFactor, rate: o.rate ?? null, requestRate: o.requestRate ?? null, producers: o.producers, client: isOpenLoop(o) ? o.client : 'full',
        lingerMs: o.lingerMs, consumers: o.consumers, loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
      },
      results,
      ...(diskSamples ? { diskSamples } : {}),
    };
  } finally {
    client.close();
  }
}

export function formatReport(r: BenchReport): string {
  const c = r.conditions;
  const lines = [
    `conditions: record ${c.recordSize} B, batch ${c.batchSize} records (${c.batchBytes} B on the wire, ${c.compression}), ` +
      `${c.partitions} partitions, acks ${c.acks}${c.idempotent ? ' (idempotent)' : ''}` +
      (c.transactionalId !== null ? `, transactional id ${c.transactionalId} with ${c.recordsPerTxn} records per transaction`
        : c.rate || c.requestRate ? `, open loop (${c.client} client)` : `, ${c.inFlight} in flight`) + `, ${c.durationS} s per phase${c.warmupS ? ` after a ${c.warmupS} s warm-up (not measured)` : ''}, ${c.cores} cores, node ${c.node}`,
  ];
  for (const p of r.results) {
    const l = p.latencyMs;
    lines.push(`${p.phase.padEnd(8)} ${p.mbPerSec.toFixed(1)} MB/s  ${p.recordsPerSec} records/s  ${p.requests} requests in ${p.seconds} s  ` +
      `latency ms p50 ${l.p50 ?? '-'} p99 ${l.p99 ?? '-'} p999 ${l.p999 ?? '-'} max ${l.max ?? '-'}` +
      (Object.keys(p.errors).length ? `  errors ${JSON.stringify(p.errors)}` : ''));
    if (p.openLoop) {
      const ol = p.openLoop;
      lines.push(`${''.padEnd(8)} open loop: target ${ol.targetPerSec} ${ol.unit}/s, achieved ${ol.achievedPerSec}, ${ol.producers} producer(s), linger ${ol.lingerMs} ms, ` +
        `latency per ${ol.latencyPer} from its due time: p90 ${p.latencyMs.p90 ?? '-'} ms; ${ol.lateSends} requests sent > ${ol.lateThresholdMs} ms late` +
        `${ol.unanswered ? `, ${ol.unanswered} unanswered when the run stopped waiting (counted with the latency reached)` : ''} ` +
        `(send lag p50 ${ol.sendLagMs.p50 ?? '-'} p99 ${ol.sendLagMs.p99 ?? '-'} max ${ol.sendLagMs.max ?? '-'} ms)`);
      for (const w of ol.timeline ?? []) {
        lines.push(`${''.padEnd(8)} due ${String(w.fromMs).padStart(6)} ms: ${w.count} ${ol.latencyPer}s, latency ms p50 ${w.p50} p99 ${w.p99} max ${w.max}, ${w.slow} over 10 ms`);
      }
    }
    if (p.endToEndMs) {
      const e = p.endToEndMs;
      lines.push(`${''.padEnd(8)} end to end (due time to receipt) ms p50 ${e.p50 ?? '-'} p99 ${e.p99 ?? '-'} p999 ${e.p999 ?? '-'} max ${e.max ?? '-'}`);
    }
    if (p.cpu) {
      lines.push(`${''.padEnd(8)} CPU s per 100 MB: ${formatCpuPer100MB(p.cpu)} (CPU s ${p.cpu.total.cpuSeconds}, per 10k requests ${p.cpu.total.per10kRequests ?? '-'})`);
      lines.push(`${''.padEnd(8)} per process (CPU s, per 100 MB, per 10k requests): ` +
        p.cpu.processes.map((x) => `${x.role}-${x.id} ${x.cpuSeconds} / ${x.per100MB ?? '-'} / ${x.per10kRequests ?? '-'}`).join(' · '));
    }
    if (p.transactions) {
      const t = p.transactions.latencyMs;
      lines.push(`${''.padEnd(8)} ${p.transactions.committed} transactions committed, ${p.transactions.perSec} transactions/s  ` +
        `begin-to-commit ms p50 ${t.p50 ?? '-'} p99 ${t.p99 ?? '-'} p999 ${t.p999 ?? '-'} max ${t.max ?? '-'}`);
    }
  }
  if (c.acks === 0) lines.push('note: acks=0 produce latency is time to write the request, not to store it');
  if (r.diskSamples) {
    lines.push('disk use of the topic during the produce phase (all replicas):', '   t s   disk MB  of which .deleted MB  segment files  produce MB/s since last');
    for (const d of r.diskSamples) {
      lines.push(`${d.atS.toFixed(1).padStart(6)}  ${(d.diskBytes / 1e6).toFixed(1).padStart(8)}  ${(d.deletedBytes / 1e6).toFixed(1).padStart(20)}` +
        `  ${String(d.files).padStart(13)}  ${d.produceMBps.toFixed(1).padStart(10)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Deletes one topic (a table case's, once no later case reads it). */
async function deleteTopic(bootstrap: string, topic: string): Promise<void> {
  const client = new KafkaClient({ bootstrapServers: [bootstrap], clientId: 'dms-bench-table', retries: 3 });
  try {
    const [r] = await client.deleteTopics([topic]);
    if (r && r.errorCode !== ErrorCode.NONE && r.errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw new KafkaError(r.errorCode, `delete ${topic}`);
  } finally {
    client.close();
  }
}

/** `table`: every case of the issue's table, one after another, then one markdown table. */
async function mainTable(argv: string[]): Promise<number> {
  let t: TableOptions;
  try {
    t = parseTableArgs(argv);
    checkCaseArgs(t);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    throw err;
  }
  const cases = TABLE_CASES.filter((c) => !t.only || t.only.includes(c.id)).length * (t.baselineBootstrap || t.baselineRelay ? 2 : 1);
  let relay: RelayProcess | undefined;
  const watchdog = setTimeout(() => {
    process.stderr.write('bench table: exceeded its time bound, giving up\n');
    if (relay) process.kill(relay.pid, 'SIGTERM');
    process.exit(2);
  }, cases * (t.durationS * 3 + (t.warmupS > 0 ? t.warmupS + drainMs(t.warmupS) / 1000 : 0) + 45) * 1000);
  relay = t.baselineRelay ? await startRelayProcess(join(__dirname, 'relay.js')) : undefined;
  if (relay) {
    t = { ...t, baselineBootstrap: relay.bootstrap, baselineClusterFile: relay.clusterFile };
    process.stderr.write(`started a relay at ${relay.bootstrap} (pid ${relay.pid})\n`);
  }
  try {
    const before = tableConditions();
    const rows = await runTable(t, (args) => runBench(parseBenchArgs(args)), (line) => process.stderr.write(`${line}\n`), (topic) => deleteTopic(t.bootstrapServer, topic));
    process.stdout.write(`Conditions at the start: ${before}; at the end: ${tableConditions()}.\n\n${formatTable(rows)}\nCommands:\n\n`);
    for (const r of rows) process.stdout.write(`    ${r.command}\n`);
    if (t.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
    return rows.every((r) => r.report) ? 0 : 1;
  } finally {
    clearTimeout(watchdog);
    await relay?.stop();
  }
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'table') return mainTable(argv.slice(1));
  if (argv[0] === 'keys') return mainKeys(argv.slice(1));
  if (argv[0] === 'share') return mainShare(argv.slice(1));
  if (argv[0] === 'rebalance') return mainRebalance(argv.slice(1));
  let o: BenchOptions;
  try {
    o = parseBenchArgs(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    throw err;
  }
  // Bounded in time whatever the cluster does: each phase plus connection and drain slack.
  const phases = (o.mode === 'both' ? 2 : 1) + (o.consumers > 0 ? 1 : 0);
  const watchdog = setTimeout(() => {
    process.stderr.write('bench: exceeded its time bound, giving up\n');
    process.exit(2);
  }, (o.durationS * phases + (o.warmupS > 0 ? o.warmupS + drainMs(o.warmupS) / 1000 : 0) + 60) * 1000);
  try {
    const report = await runBench(o);
    process.stdout.write(o.json ? `${JSON.stringify(report)}\n` : formatReport(report));
    return report.results.some((p) => p.requests === 0) ? 1 : 0;
  } catch (err) {
    process.stderr.write(`bench: ${describeError(err)}\n`);
    return 1;
  } finally {
    clearTimeout(watchdog);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
