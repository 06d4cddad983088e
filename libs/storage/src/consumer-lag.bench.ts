/**
 * Micro benchmark, not a spec: CPU time of one consumer lag round and of one scrape of its
 * series through the real Prometheus endpoint, for G groups each committed on P partitions (all
 * led locally, half of them lagging so a batch header is read for their record age).
 * Run from the repository root (stdin resolves node_modules from there):
 *   npx esbuild libs/storage/src/consumer-lag.bench.ts --bundle --platform=node --packages=external | node - [groups] [partitions]
 */
import { buildRecordBatch } from '@dms/kafka-codec';
import type { PartitionLog } from '@dms/log';
import { createLogger, startTelemetry } from '@dms/platform';
import { ConsumerLagCollector } from './consumer-lag';
import { consumerLagMetrics } from './consumer-lag-metrics';

const cpuMs = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};

async function main(): Promise<void> {
  const groups = Number(process.argv[2] ?? 1000);
  const partitions = Number(process.argv[3] ?? 10);
  const batch = await buildRecordBatch({ records: [{ value: Buffer.alloc(100), timestamp: Date.now() - 60_000 }] });
  const log = { read: async () => ({ records: batch, logStartOffset: 0n, logEndOffset: 100n, highWatermark: 100n }) } as unknown as PartitionLog;
  const commits: Array<{ groupId: string; topic: string; partition: number; offset: bigint }> = [];
  for (let g = 0; g < groups; g++) {
    for (let p = 0; p < partitions; p++) commits.push({ groupId: `group-${g}`, topic: `topic-${g % 50}`, partition: p, offset: g % 2 === 0 ? 100n : 50n });
  }
  const collector = new ConsumerLagCollector({
    intervalMs: 60_000,
    logger: createLogger({ service: 'bench', level: 'silent' }),
    sources: {
      committedOffsets: () => commits,
      localLeader: () => ({ ends: { logStartOffset: 0n, highWatermark: 100n }, log }),
      remoteEnds: async () => new Map(),
    },
  });
  const port = 20000 + Math.floor(Math.random() * 30000);
  const t = await startTelemetry({ serviceName: 'bench', metricsPort: port });
  consumerLagMetrics(t.liveGauges, () => collector.samples());
  for (let i = 0; i < 3; i++) await collector.collect(); // warm up
  const rounds = 10;
  let c = process.cpuUsage();
  for (let i = 0; i < rounds; i++) await collector.collect();
  const roundMs = cpuMs(c) / rounds;
  await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  c = process.cpuUsage();
  let bytes = 0;
  for (let i = 0; i < rounds; i++) bytes = (await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).length;
  const scrapeMs = cpuMs(c) / rounds;
  console.log(`${groups} groups x ${partitions} partitions (${commits.length} group-partitions): round ${roundMs.toFixed(1)} ms CPU, scrape ${scrapeMs.toFixed(1)} ms CPU (${(bytes / 1e6).toFixed(1)} MB of text)`);
  await t.shutdown();
}

void main();
