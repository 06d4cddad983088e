/**
 * Benchmark, not a spec: disk use of a retention-limited topic under constant produce load.
 * Starts a real cluster (etcd, 1 controller, 3 brokers, 1 gateway from dist/, with a short
 * log.retention.check.interval.ms), creates a topic with retention.bytes / segment.bytes set,
 * produces for --duration-s while sampling the topic's bytes on disk over all replicas, and
 * prints the samples with the append throughput between them. Bounded: the bench's own watchdog
 * plus cluster start and stop. Build first (`node tools/build/build.mjs`), then from the
 * repository root:
 *   npx esbuild tools/bench/retention.bench.ts --bundle --platform=node --packages=external | node - \
 *     [--duration-s 60] [--check-interval-ms 5000] [any bench flag: --partitions, --replication-factor, --topic-config k=v ...]
 */
import { startTestCluster } from '@dms/testing';
import { formatReport, runBench } from './main';
import { parseBenchArgs } from './options';

const DEFAULT_TOPIC_CONFIG = ['retention.bytes=33554432', 'segment.bytes=8388608', 'file.delete.delay.ms=10000'];

async function main(argv: string[]): Promise<void> {
  const at = argv.indexOf('--check-interval-ms');
  const checkIntervalMs = at >= 0 ? Number(argv.splice(at, 2)[1]) : 5_000;
  const topicConfig = argv.includes('--topic-config') ? [] : DEFAULT_TOPIC_CONFIG.flatMap((c) => ['--topic-config', c]);
  const tc = await startTestCluster({
    brokers: 3,
    controllers: 1,
    gateways: 1,
    config: { broker: { 'log.retention.check.interval.ms': checkIntervalMs } },
  });
  try {
    const o = parseBenchArgs([
      'produce', '--bootstrap-server', tc.bootstrap, '--topic', 'retention-bench', '--partitions', '2', '--replication-factor', '3',
      '--duration-s', '60', '--sample-every-s', '5', ...topicConfig, ...argv, '--disk-dir', tc.dataDir,
    ]);
    process.stdout.write(`cluster: 3 brokers, log.retention.check.interval.ms=${checkIntervalMs}; topic configs ${JSON.stringify(o.topicConfig)}\n`);
    const watchdog = setTimeout(() => {
      process.stderr.write('retention bench: exceeded its time bound\n');
      process.exit(2);
    }, (o.durationS + 120) * 1000);
    const report = await runBench(o);
    clearTimeout(watchdog);
    process.stdout.write(o.json ? `${JSON.stringify(report)}\n` : formatReport(report));
  } finally {
    await tc.cleanup();
  }
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`retention bench: ${err?.stack ?? err}\n`);
  process.exitCode = 1;
});
