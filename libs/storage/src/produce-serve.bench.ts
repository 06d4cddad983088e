/**
 * Micro benchmark, not a spec: CPU per small produce request in the broker's own code. Requests of
 * one 1 KiB record (acks=1) come in ProduceBatch messages of `perMessage` requests spread over six
 * partitions led here (RF 1, real logs in a temporary directory); each message's answers are
 * serialised as the server does (encodeProduceBatchResponse). gRPC itself is left out.
 * Run from the repository root:
 *   npx esbuild libs/storage/src/produce-serve.bench.ts --bundle --platform=node --packages=external --outfile=tmp/produce-serve.bench.js
 *   node tmp/produce-serve.bench.js [seconds] [per-message]
 */
import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProxyTracerProvider } from '@opentelemetry/api';
import { effectiveTopicConfigs } from '@dms/configs';
import { buildRecordBatch } from '@dms/kafka-codec';
import { PartitionLog } from '@dms/log';
import { LeaderState } from '@dms/replication';
import { encodeProduceBatchResponse, type ProduceBatchRequest, type ProduceBatchResponse, type ProduceRequest } from '@dms/rpc';
import { PartitionReplica } from './partition-replica';
import type { ReplicaManager } from './replica-manager';
import { createStorageService } from './storage-service';

const PARTITIONS = 6;

class FakeBatchCall extends EventEmitter {
  cancelled = false;
  destroyed = false;
  writableEnded = false;
  answers = 0;
  bytes = 0;
  write(m: ProduceBatchResponse): boolean {
    this.answers += m.responses.length;
    this.bytes += encodeProduceBatchResponse(m).length;
    return true;
  }
  end(): void {}
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  const perMessage = Number(process.argv[3] ?? 16);
  const dir = await mkdtemp(join(tmpdir(), 'produce-serve-'));
  const configs = effectiveTopicConfigs({}, { perBroker: {}, clusterDefault: {}, static: {} });
  const replicas = new Map<string, PartitionReplica>();
  for (let p = 0; p < PARTITIONS; p++) {
    const log = await PartitionLog.open(join(dir, `bench-${p}`));
    const r = new PartitionReplica('bench', p, '6e4a3c1d-0000-4000-8000-000000000001', log, configs);
    r.leader = new LeaderState({ leaderId: 1, leaderEpoch: 0, epochStartOffset: 0n, replicas: [1], isr: [1], partitionEpoch: 0, highWatermark: 0n, nowMs: Date.now() });
    r.role = 'leader';
    r.leaderEpoch = 0;
    r.leaderId = 1;
    replicas.set(`bench\0${p}`, r);
  }
  const manager = {
    fencedOff: false,
    get: async (topic: string, partition: number) => replicas.get(`${topic}\0${partition}`),
    getNow: (topic: string, partition: number) => replicas.get(`${topic}\0${partition}`),
    leaderNow: (topic: string, partition: number) => replicas.get(`${topic}\0${partition}`),
  } as unknown as ReplicaManager;
  const logger = { info: () => undefined, warn: () => undefined, error: (o: object, m: string) => console.error(m, o), debug: () => undefined };
  const service = createStorageService({ replicas: manager, tracer: new ProxyTracerProvider().getTracer('bench'), logger: logger as never, messageMaxBytes: 1048588 });
  const call = new FakeBatchCall();
  service.produceBatch(call as never);
  const records = await buildRecordBatch({ records: [{ key: null, value: Buffer.alloc(1024, 7) }] });
  let correlation = 1n;
  const message = (): ProduceBatchRequest => ({
    requests: Array.from({ length: perMessage }, (_, i): ProduceRequest => ({
      correlationId: correlation++,
      acks: 1,
      timeoutMs: 30000,
      traceContext: {},
      // A fresh copy, as a decoded gRPC message's bytes are.
      partitions: [{ topic: 'bench', partition: i % PARTITIONS, records: Buffer.from(records) }],
    })),
  });
  const round = async (n: number) => {
    const target = call.answers + n * perMessage;
    for (let i = 0; i < n; i++) {
      call.emit('data', message());
      await new Promise((r) => setImmediate(r));
    }
    while (call.answers < target) await new Promise((r) => setImmediate(r));
  };
  await round(500);
  for (let k = 0; k < 3; k++) {
    const before = call.answers;
    const cpu = process.cpuUsage();
    const t0 = Date.now();
    while (Date.now() - t0 < seconds * 1000) await round(100);
    const used = process.cpuUsage(cpu);
    const n = call.answers - before;
    console.log(`${n} requests, ${((used.user + used.system) / n).toFixed(2)} µs CPU per request (${perMessage} per message)`);
  }
  for (const r of replicas.values()) await r.log.close();
  await rm(dir, { recursive: true, force: true });
}

void main();
