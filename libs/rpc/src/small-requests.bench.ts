// CPU per small request over one Produce and one Fetch stream: generated serialisers vs the
// exact-size ones. The server is a child process; both ends report CPU microseconds per request
// (process.cpuUsage), which contention on a shared machine disturbs far less than rates.
//
//   npx esbuild libs/rpc/src/small-requests.bench.ts --bundle --platform=node --packages=external --outfile=tmp/small.bench.js
//   node tmp/small.bench.js [seconds-per-case] [record-bytes]
import { fork } from 'node:child_process';
import type { ServerDuplexStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import * as generated from './generated/dms/storage/v1/storage';
import type { FetchRequest, FetchResponse, ProduceRequest, ProduceResponse } from './generated/dms/storage/v1/storage';
import * as exact from './storage-service-def';
import { createClient } from './client';
import { bindServer, createGrpcServer } from './server';
import { StreamMux } from './stream-mux';

const defs = { generated, exact } as const;
type Kind = keyof typeof defs;

async function runServer(kind: Kind, recordBytes: number): Promise<void> {
  const server = createGrpcServer();
  const records = Buffer.alloc(recordBytes, 1);
  const produce = (call: ServerDuplexStream<ProduceRequest, ProduceResponse>) => {
    call.on('data', (req: ProduceRequest) =>
      call.write({
        correlationId: req.correlationId,
        partitions: req.partitions.map((p) => ({ topic: p.topic, partition: p.partition, errorCode: 0, errorMessage: '', baseOffset: 1n, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], appended: false })),
      }),
    );
    call.on('end', () => call.end());
    call.on('error', () => undefined);
  };
  const fetch = (call: ServerDuplexStream<FetchRequest, FetchResponse>) => {
    call.on('data', (req: FetchRequest) =>
      call.write({
        correlationId: req.correlationId,
        partitions: [{ topic: 't', partition: 0, errorCode: 0, highWatermark: 100n, lastStableOffset: 100n, logStartOffset: 0n, records, abortedTransactions: [] }],
      }),
    );
    call.on('end', () => call.end());
    call.on('error', () => undefined);
  };
  server.addService(defs[kind].StorageServiceService, { produce, fetch } as unknown as UntypedServiceImplementation);
  const port = await bindServer(server, '127.0.0.1', 0);
  process.on('message', (m: string) => {
    if (m === 'cpu') process.send!(process.cpuUsage());
  });
  process.send!({ port });
  process.on('disconnect', () => process.exit(0));
}

const cpuOf = (child: ReturnType<typeof fork>) =>
  new Promise<NodeJS.CpuUsage>((resolve) => {
    child.once('message', (u: NodeJS.CpuUsage) => resolve(u));
    child.send('cpu');
  });

async function runCase(kind: Kind, mode: 'produce' | 'fetch', seconds: number, recordBytes: number, inFlight: number): Promise<string> {
  const child = fork(__filename, ['--server', kind, String(recordBytes)], { stdio: 'inherit' });
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
  const client = createClient(defs[kind].StorageServiceClient, `127.0.0.1:${port}`, { tracing: false });
  const records = Buffer.alloc(recordBytes, 1);
  const produceMux = new StreamMux<ProduceRequest, ProduceResponse>(() => client.produce(), { propagateTraceContext: false });
  const fetchMux = new StreamMux<FetchRequest, FetchResponse>(() => client.fetch(), { propagateTraceContext: false });
  const send = mode === 'produce'
    ? () => produceMux.request({ acks: 1, timeoutMs: 30_000, partitions: [{ topic: 'bench-topic', partition: 3, records }], traceContext: {} })
    : () => fetchMux.request({ maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, partitions: [], traceContext: {}, wakeCorrelationId: 0n });
  const warmUntil = Date.now() + 500;
  await Promise.all(Array.from({ length: inFlight }, async () => { while (Date.now() < warmUntil) await send(); }));
  const s0 = await cpuOf(child);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const until = Date.now() + seconds * 1000;
  let done = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => { while (Date.now() < until) { await send(); done++; } }));
  const secs = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const s1 = await cpuOf(child);
  produceMux.close();
  fetchMux.close();
  client.close();
  child.disconnect();
  await new Promise((r) => child.once('exit', r));
  const us = (u: { user: number; system: number }) => ((u.user + u.system) / done).toFixed(1);
  return `${kind.padEnd(9)} ${mode.padEnd(7)} ${recordBytes} B x${inFlight}: ${(done / secs).toFixed(0).padStart(6)} req/s  client ${us(c).padStart(6)} µs/req  server ${us({ user: s1.user - s0.user, system: s1.system - s0.system }).padStart(6)} µs/req`;
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 3);
  const recordBytes = Number(process.argv[3] ?? 1100);
  for (const mode of ['produce', 'fetch'] as const) {
    for (const kind of ['generated', 'exact', 'generated', 'exact'] as const) console.log(await runCase(kind, mode, seconds, recordBytes, 32));
  }
}

if (process.argv[2] === '--server') void runServer(process.argv[3] as Kind, Number(process.argv[4]));
else main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });
