/**
 * Micro benchmark, not a spec: CPU time per PushTelemetry (zstd decompression, OTLP decoding,
 * storing the series) and per scrape of the pushed series, for C clients each pushing M metrics
 * (counters and gauges with two attributes, encoded by the OpenTelemetry SDK, like a Java client's push).
 * Run from the repository root (stdin resolves node_modules from there):
 *   npx esbuild libs/gateway/src/client-telemetry/client-metrics.bench.ts --bundle --platform=node --packages=external | node - [clients] [metrics]
 */
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { Meter } from '@opentelemetry/api';
import { compress, CompressionType } from '@dms/kafka-codec';
import { ClientMetricsManager } from './client-metrics-manager';

/** What a client would push: the SDK's own encoding (specs use @dms/testing's otlpPayload, which a bench may not import). */
async function otlpPayload(record: (meter: Meter) => void): Promise<Buffer> {
  const reader = new (class extends MetricReader {
    protected override async onForceFlush(): Promise<void> {}
    protected override async onShutdown(): Promise<void> {}
  })();
  const provider = new MeterProvider({ readers: [reader] });
  record(provider.getMeter('org.apache.kafka'));
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  return Buffer.from(ProtobufMetricsSerializer.serializeRequest(resourceMetrics as ResourceMetrics)!);
}

const cpuMs = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};

async function main(): Promise<void> {
  const clients = Number(process.argv[2] ?? 1000);
  const metrics = Number(process.argv[3] ?? 100);
  const raw = await otlpPayload((meter) => {
    for (let i = 0; i < metrics; i++) {
      if (i % 2 === 0) meter.createCounter(`org.apache.kafka.producer.metric${i}.total`).add(i, { node_id: '1', topic: 'orders' });
      else meter.createGauge(`org.apache.kafka.producer.metric${i}.avg`).record(i / 3, { node_id: '1', topic: 'orders' });
    }
  });
  const payload = await compress(CompressionType.Zstd, raw);
  let now = 0;
  const m = new ClientMetricsManager({
    maxBytes: 1 << 20, maxSeriesPerClient: 10_000, maxSeries: 10_000_000,
    subscriptions: () => new Map([['all', { metrics: '*', 'interval.ms': '60000' }]]),
    now: () => now,
  });
  const subs = [];
  for (let c = 0; c < clients; c++) {
    subs.push(m.getSubscriptions({ clientId: `c${c}`, softwareName: 'apache-kafka-java', softwareVersion: '3.9.0', sourceAddress: '127.0.0.1', sourcePort: 1000 + c, principal: 'User:bench' }, '00000000-0000-0000-0000-000000000000'));
  }
  for (let round = 0; round < 3; round++) {
    now += 60_000;
    const start = process.cpuUsage();
    for (let c = 0; c < clients; c++) {
      const s = subs[c]!;
      const code = await m.push({ clientId: `c${c}`, softwareName: 'apache-kafka-java', softwareVersion: '3.9.0', sourceAddress: '127.0.0.1', sourcePort: 1000 + c, principal: 'User:bench' },
        { clientInstanceId: s.clientInstanceId, subscriptionId: s.subscriptionId, terminating: false, compressionType: CompressionType.Zstd, metrics: payload });
      if (code !== 0) throw new Error(`push failed with ${code}`);
    }
    const pushMs = cpuMs(start);
    const scrapeStart = process.cpuUsage();
    const text = m.render();
    const scrapeMs = cpuMs(scrapeStart);
    process.stdout.write(`round ${round}: ${clients} pushes of ${metrics} metrics (${payload.length} B zstd, ${raw.length} B raw): ${(pushMs / clients).toFixed(3)} ms CPU per push; ` +
      `scrape of ${m.store.seriesCount} series (${(text.length / 1e6).toFixed(1)} MB): ${scrapeMs.toFixed(0)} ms CPU\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`${e?.stack ?? e}\n`);
  process.exit(1);
});
