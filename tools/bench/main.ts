import * as os from 'node:os';
import { CommanderError } from 'commander';
import { describeError, ErrorCode, KafkaClient, KafkaError, LATEST_TIMESTAMP } from '@dms/kafka-client';
import { parseBenchArgs, type BenchOptions } from './options';
import { prebuildBatch, runConsume, runProduce } from './load';
import { runTransactionalProduce } from './txn-load';
import type { PhaseResult } from './stats';
import { type DiskSample, startDiskSampler } from './disk-usage';

export interface BenchReport {
  conditions: {
    mode: string; topic: string; partitions: number; recordSize: number; batchSize: number; batchBytes: number;
    acks: number; idempotent: boolean; transactionalId: string | null; recordsPerTxn: number | null; inFlight: number; durationS: number; compression: string; cores: number; cpuModel: string; node: string;
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

export async function runBench(o: BenchOptions): Promise<BenchReport> {
  const client = new KafkaClient({ bootstrapServers: o.bootstrapServer, clientId: 'dms-bench', retries: 0 });
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
      results.push(await (o.transactionalId !== undefined ? runTransactionalProduce(client, o, batch, progress) : runProduce(client, o, batch, progress)));
      diskSamples = await sampler?.stop();
    }
    if (o.mode !== 'produce') results.push(await runConsume(client, o, o.mode === 'both' ? from : undefined));
    const cpus = os.cpus();
    return {
      conditions: {
        mode: o.mode, topic: o.topic, partitions: o.partitions, recordSize: o.recordSize, batchSize: o.batchSize,
        batchBytes: batch.length, acks: o.acks, idempotent: o.idempotent,
        transactionalId: o.transactionalId ?? null, recordsPerTxn: o.transactionalId !== undefined ? o.recordsPerTxn : null, inFlight: o.inFlight, durationS: o.durationS, compression: o.compressionName,
        cores: cpus.length, cpuModel: cpus[0]?.model ?? 'unknown', node: process.version,
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
      (c.transactionalId !== null ? `, transactional id ${c.transactionalId} with ${c.recordsPerTxn} records per transaction` : `, ${c.inFlight} in flight`) + `, ${c.durationS} s per phase, ${c.cores} cores, node ${c.node}`,
  ];
  for (const p of r.results) {
    const l = p.latencyMs;
    lines.push(`${p.phase.padEnd(8)} ${p.mbPerSec.toFixed(1)} MB/s  ${p.recordsPerSec} records/s  ${p.requests} requests in ${p.seconds} s  ` +
      `latency ms p50 ${l.p50 ?? '-'} p99 ${l.p99 ?? '-'} p999 ${l.p999 ?? '-'} max ${l.max ?? '-'}` +
      (Object.keys(p.errors).length ? `  errors ${JSON.stringify(p.errors)}` : ''));
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

async function main(argv: string[]): Promise<number> {
  let o: BenchOptions;
  try {
    o = parseBenchArgs(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    throw err;
  }
  // Bounded in time whatever the cluster does: each phase plus connection and drain slack.
  const phases = o.mode === 'both' ? 2 : 1;
  const watchdog = setTimeout(() => {
    process.stderr.write('bench: exceeded its time bound, giving up\n');
    process.exit(2);
  }, (o.durationS * phases + 60) * 1000);
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
