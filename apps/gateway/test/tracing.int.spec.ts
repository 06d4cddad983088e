// One Kafka request yields a gateway span with child spans in the storage broker, the context
// carried over gRPC: checked with an in-memory exporter, real etcd, in-process services.
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { buildRecordBatch } from '@dms/kafka-codec';
import { KafkaClient } from '@dms/kafka-client';
import { Controller } from '@dms/controller';
import { Gateway } from '@dms/gateway';
import { createLogger, startTelemetry, type Telemetry } from '@dms/platform';
import { Broker } from '@dms/storage';
import { startTestEtcd, type TestEtcd } from '@dms/testing';
import { waitFor } from '@dms/devcluster';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

jest.setTimeout(60_000);

let etcd: TestEtcd;
let telemetry: Telemetry;
let controller: Controller;
let broker: Broker;
let gateway: Gateway;
let client: KafkaClient;
const exporter = new InMemorySpanExporter();
const dataDir = mkdtempSync(join(tmpdir(), 'dms-trace-'));

beforeAll(async () => {
  etcd = await startTestEtcd();
  telemetry = await startTelemetry({ serviceName: 'dms-test', spanExporter: exporter });
  const logger = createLogger({ service: 'test', level: 'silent' });
  const common = { clusterName: 'trace', etcdEndpoints: [etcd.endpoint], leaseTtlMs: 3000 };
  controller = new Controller({ ...common, id: 1, grpcHost: '127.0.0.1', grpcPort: 0, numPartitions: 1, defaultReplicationFactor: 1 });
  await controller.start();
  broker = new Broker({
    ...common, brokerId: 1, grpcHost: '127.0.0.1', grpcPort: 0, logDir: join(dataDir, 'b1'), rack: null,
    segmentBytes: 1 << 20, indexIntervalBytes: 4096, messageMaxBytes: 1 << 20, fsync: 'never', tracer: telemetry.tracer, logger,
  });
  await broker.start();
  gateway = new Gateway({
    ...common, nodeId: 1, listenHost: '127.0.0.1', listenPort: 0, advertisedHost: '127.0.0.1', listenerName: 'PLAINTEXT', rack: null,
    maxFrameBytes: 1 << 24, maxInFlight: 100, autoCreateTopicsEnable: true, messageMaxBytes: 1 << 20,
    tracer: telemetry.tracer, meter: telemetry.meter, logger,
  });
  await gateway.start();
  client = new KafkaClient({ bootstrapServers: [`127.0.0.1:${gateway.port}`] });
});

afterAll(async () => {
  client?.close();
  await gateway?.stop();
  await broker?.stop();
  await controller?.stop();
  await telemetry?.shutdown();
  await etcd?.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('tracing', () => {
  it('links the broker append span to the gateway Produce span', async () => {
    await client.createTopics([{ name: 'traced', numPartitions: 1 }]);
    exporter.reset();
    await client.produce('traced', 0, await buildRecordBatch({ records: [{ value: 'traced value' }] }));
    const spans = await waitFor('both spans exported', () => {
      const all = exporter.getFinishedSpans();
      const gw = all.find((s) => s.name === 'kafka.Produce');
      const br = all.find((s) => s.name === 'broker.produce');
      return gw && br ? { gw, br } : undefined;
    }, 10_000);
    expect(spans.br.spanContext().traceId).toBe(spans.gw.spanContext().traceId);
    expect(spans.br.parentSpanContext?.spanId).toBe(spans.gw.spanContext().spanId);
    expect(spans.gw.attributes['kafka.api_key']).toBe(0);
  });
});
