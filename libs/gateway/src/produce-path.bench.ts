// CPU per small produce request through the gateway's own code: frame in, header and body decode,
// the Produce handler, the storage port and the answer written back, with metrics on a real OTel
// SDK meter. The storage broker is a channel that answers every request at once, so the figure
// leaves out gRPC and the broker: what remains is what the gateway spends per request itself.
//
//   npx esbuild libs/gateway/src/produce-path.bench.ts --bundle --platform=node --packages=external --outfile=tmp/produce-path.bench.js
//   node tmp/produce-path.bench.js [seconds] [requests-per-chunk]
import { EventEmitter } from 'node:events';
import { ProxyTracerProvider } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { buildRecordBatch, encodeRequest } from '@dms/kafka-codec';
import type { ClusterPort, RequestContext, TopicView } from '@dms/kafka-handlers';
import type { ProduceRequest, ProduceResponse } from '@dms/rpc';
import type { Socket } from 'node:net';
import type { BrokerClients } from './broker-clients';
import { KafkaConnection } from './kafka-connection';
import { gatewayRequestMetrics } from './request-metrics';
import { GatewayStoragePort } from './storage-port';

class FakeSocket extends EventEmitter {
  remoteAddress = '127.0.0.1';
  remotePort = 40000;
  writableNeedDrain = false;
  answers = 0;
  setNoDelay(): void {}
  cork(): void {}
  uncork(): void {}
  pause(): void {}
  resume(): void {}
  destroy(): void {
    throw new Error('connection closed');
  }
  write(chunk: Buffer): boolean {
    // A frame's first chunk holds the size prefix and the correlation id: count frames, not chunks.
    if (chunk.length >= 8) this.answers++;
    return true;
  }
}

const PARTITIONS = 6;
const topic: TopicView = {
  name: 'bench',
  topicId: '6e4a3c1d-0000-4000-8000-000000000001',
  internal: false,
  configs: {},
  partitions: Array.from({ length: PARTITIONS }, (_, i) => ({ partition: i, storageLeader: 1 + (i % 3), leaderAvailable: true })) as unknown as TopicView['partitions'],
};
const cluster = {
  topic: (name: string) => (name === topic.name ? topic : undefined),
  topicById: () => undefined,
  effectiveTopicConfigs: () => ({ 'max.message.bytes': '1048588' }),
  config: { messageMaxBytes: 1048588 },
} as unknown as ClusterPort;

/** A broker that answers each request at once, as the leader of every partition. */
const channel = {
  request: async (body: ProduceRequest): Promise<ProduceResponse> => ({
    correlationId: 0n,
    partitions: body.partitions.map((p) => ({
      topic: p.topic, partition: p.partition, errorCode: 0, errorMessage: '', baseOffset: 42n, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], appended: true,
    })),
  }),
  close: () => undefined,
};
const brokers = { isLive: () => true, get: (id: number) => ({ id, produceChannel: channel }) } as unknown as BrokerClients;

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  const perChunk = Number(process.argv[3] ?? 8);
  // As the services' /metrics endpoint reads them (an SDK without a reader records nothing).
  const meter = new MeterProvider({ readers: [new PrometheusExporter({ preventServerStart: true })] }).getMeter('bench');
  const metrics = gatewayRequestMetrics(meter);
  const storage = new GatewayStoragePort(cluster, brokers);
  const socket = new FakeSocket();
  const logger = { info: () => undefined, warn: () => undefined, error: (o: object, m: string) => console.error(m, o) };
  const conn = new KafkaConnection(socket as unknown as Socket, {
    maxFrameBytes: 100 << 20,
    maxInFlight: 1 << 20,
    tracer: new ProxyTracerProvider().getTracer('bench'),
    logger,
    makeContext: (clientId, session) => ({ clientId, clientHost: '/127.0.0.1', cluster, storage, session } as unknown as RequestContext),
    onRequest: metrics.onRequest,
    onResponse: metrics.onResponse,
    onBytesOut: () => undefined,
  });
  void conn;
  const records = await buildRecordBatch({ records: [{ key: null, value: Buffer.alloc(1024, 7) }] });
  const frames = Array.from({ length: PARTITIONS }, (_, i) =>
    encodeRequest(
      { requestApiKey: 0, requestApiVersion: 9, correlationId: i, clientId: 'bench' },
      { transactionalId: null, acks: 1, timeoutMs: 30000, topicData: [{ name: topic.name, partitionData: [{ index: i, records }] }] },
    ),
  );
  const chunk = Buffer.concat(Array.from({ length: perChunk }, (_, i) => frames[i % PARTITIONS]!));
  const round = async (n: number) => {
    const target = socket.answers + n * perChunk;
    for (let i = 0; i < n; i++) {
      socket.emit('data', chunk);
      // Let the answers of this chunk complete, as a socket's next read would.
      await new Promise((r) => setImmediate(r));
    }
    while (socket.answers < target) await new Promise((r) => setImmediate(r));
  };
  await round(2000); // warm-up
  for (let k = 0; k < 3; k++) {
    const before = socket.answers;
    const cpu = process.cpuUsage();
    const t0 = Date.now();
    while (Date.now() - t0 < seconds * 1000) await round(200);
    const used = process.cpuUsage(cpu);
    const n = socket.answers - before;
    console.log(`${n} requests, ${((used.user + used.system) / n).toFixed(2)} µs CPU per request, heap ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB`);
  }
}

void main();
