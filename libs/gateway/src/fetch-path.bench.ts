// The gateway's consumer path in one process, per byte: storage Fetch answers in over a broker
// connection, Kafka Fetch responses out to a client socket. A forked child plays the broker
// (grpc-js server with the framed Fetch route and pooled answer frames, as internal.fetch.transport
// =framed serves) and the Kafka client (a socket that reads and drops). Variants, run in turns:
//   grpc           grpc-js client stream (internal.stream.transport=grpc)
//   framed-fresh   our framing on http2, answers spread over chunks joined into a fresh buffer
//   framed-pooled  as framed-fresh, gathered into a ReadBufferPool lease ended by the write
//                  callback of the Kafka response (what the gateway does, decision 0042)
// Each answer becomes a Kafka FetchResponse v12 (encodeResponseChunks: header pieces plus the
// record views) written corked to the client socket; the next request of that loop waits for
// the write callback, as a consumer waits for its answer. Reports the gateway side's CPU
// (process.cpuUsage, all threads) and GC per 100 MB of records.
//
//   npx esbuild libs/gateway/src/fetch-path.bench.ts --bundle --platform=node --packages=external --outfile=tmp/fetch-path.bench.js
//   [FETCH_BENCH_TLS_DIR=<dir of `dms certs create --brokers 1 --gateways 1`>] node tmp/fetch-path.bench.js [seconds] [inflight] [partitions x KiB]
import { fork, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import { join } from 'node:path';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import type { ServerDuplexStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import { encodeResponseChunks } from '@dms/kafka-codec';
import {
  LeanSession,
  ReadBufferPool,
  StorageServiceClient,
  StorageServiceService,
  StreamMux,
  bindServer,
  configureInternalTls,
  createClient,
  createGrpcServer,
  fetchMethod,
  loadInternalTls,
  openFetch,
  serveLeanFetch,
  type FetchRequest,
  type FetchResponse,
  type ServerMessageStream,
} from '@dms/rpc';

type Variant = 'grpc' | 'framed-fresh' | 'framed-pooled';
const tlsDir = process.env.FETCH_BENCH_TLS_DIR;
function useTls(role: 'broker' | 'gateway'): void {
  if (!tlsDir) return;
  configureInternalTls(loadInternalTls({ ca: join(tlsDir, 'ca.pem'), cert: join(tlsDir, `${role}-1.pem`), key: join(tlsDir, `${role}-1-key.pem`) }));
}

// --- the child: broker and Kafka client -----------------------------------------------------------
async function runPeer(): Promise<void> {
  useTls('broker');
  const records = new Map<number, Buffer>();
  const serve = (call: ServerMessageStream<FetchRequest, FetchResponse>) => {
    call.on('data', (m: FetchRequest) => {
      call.write({
        correlationId: m.correlationId,
        partitions: m.partitions.map((p) => {
          let r = records.get(p.partitionMaxBytes);
          if (!r) records.set(p.partitionMaxBytes, (r = Buffer.alloc(p.partitionMaxBytes, 7)));
          return { topic: p.topic, partition: p.partition, errorCode: 0, highWatermark: p.fetchOffset, lastStableOffset: p.fetchOffset, logStartOffset: 0n, records: r, abortedTransactions: [] };
        }),
      });
    });
    call.on('end', () => call.end());
    call.on('error', () => undefined);
  };
  const server = createGrpcServer();
  server.addService(StorageServiceService, { fetch: (c: ServerDuplexStream<FetchRequest, FetchResponse>) => serve(c) } as unknown as UntypedServiceImplementation);
  const port = await bindServer(server, '127.0.0.1', 0);
  serveLeanFetch(server, { fetch: serve }, new ReadBufferPool());
  let sink: net.Socket | undefined;
  process.on('message', (m: { sinkPort?: number; cpu?: true }) => {
    if (m.cpu) process.send!(process.cpuUsage());
    if (m.sinkPort) {
      sink = net.connect(m.sinkPort, '127.0.0.1');
      sink.on('data', () => undefined);
    }
  });
  process.send!({ port });
  process.on('disconnect', () => {
    sink?.destroy();
    process.exit(0);
  });
}

// --- the gateway side -------------------------------------------------------------------------
let gcMs = 0;
let majors = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcMs += e.duration;
    const kind = (e as { detail?: { kind: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
  }
}).observe({ entryTypes: ['gc'] });

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

async function runCase(variant: Variant, child: ChildProcess, port: number, client: net.Socket, seconds: number, inFlight: number, parts: number, kib: number): Promise<string> {
  const address = `127.0.0.1:${port}`;
  const pool = new ReadBufferPool();
  let mux: StreamMux<FetchRequest, FetchResponse>;
  let close: () => void;
  if (variant === 'grpc') {
    const c = createClient(StorageServiceClient, address, { tracing: false });
    mux = new StreamMux<FetchRequest, FetchResponse>(() => c.fetch(), { propagateTraceContext: false });
    close = () => c.close();
  } else {
    const s = new LeanSession(address);
    const method = fetchMethod(variant === 'framed-pooled' ? (n) => pool.acquire(n) : undefined);
    mux = new StreamMux<FetchRequest, FetchResponse>(() => openFetch(s, method), { propagateTraceContext: false });
    close = () => s.close();
  }
  const request: Omit<FetchRequest, 'correlationId'> = {
    maxWaitMs: 500, minBytes: 1, maxBytes: parts * kib * 1024, isolationLevel: 0, traceContext: {}, wakeCorrelationId: 0n,
    partitions: Array.from({ length: parts }, (_, i) => ({ topic: 'bench', partition: i, fetchOffset: 1000n, partitionMaxBytes: kib * 1024, currentLeaderEpoch: -1 })),
  };
  let correlationId = 0;
  let bytes = 0;
  const once = async () => {
    const a = await mux.request(request);
    const body = {
      throttleTimeMs: 0, errorCode: 0, sessionId: 0, nodeEndpoints: [],
      responses: [{ topic: 'bench', topicId: ZERO_UUID, partitions: a.partitions.map((p) => ({
        partitionIndex: p.partition, errorCode: p.errorCode, highWatermark: p.highWatermark, lastStableOffset: p.lastStableOffset,
        logStartOffset: p.logStartOffset, abortedTransactions: null, preferredReadReplica: -1, records: p.records,
      })) }],
    };
    const chunks = encodeResponseChunks(1, 12, ++correlationId, body);
    client.cork();
    for (let i = 0; i < chunks.length - 1; i++) client.write(chunks[i]);
    const written = new Promise<void>((resolve) => client.write(chunks[chunks.length - 1], () => {
      if (variant === 'framed-pooled') for (const p of a.partitions) pool.release(p.records);
      resolve();
    }));
    process.nextTick(() => client.uncork());
    await written;
    for (const p of a.partitions) bytes += p.records.length;
  };
  const warmUntil = Date.now() + 1000;
  await Promise.all(Array.from({ length: inFlight }, async () => { while (Date.now() < warmUntil) await once(); }));
  bytes = 0;
  gcMs = 0;
  majors = 0;
  const peer0 = await cpuOf(child);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const until = Date.now() + seconds * 1000;
  await Promise.all(Array.from({ length: inFlight }, async () => { while (Date.now() < until) await once(); }));
  const secs = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const peer1 = await cpuOf(child);
  mux.close();
  close();
  const per100 = 1e8 / bytes;
  const peer = (peer1.user - peer0.user + peer1.system - peer0.system) / 1e6;
  return `${variant.padEnd(13)} ${(bytes / 1e6 / secs).toFixed(0).padStart(5)} MB/s  gateway CPU ${(((c.user + c.system) / 1e6) * per100).toFixed(3)} s/100MB` +
    ` (user ${((c.user / 1e6) * per100).toFixed(3)}, sys ${((c.system / 1e6) * per100).toFixed(3)})  GC ${(gcMs * per100).toFixed(1)} ms, ${(majors * per100).toFixed(2)} majors per 100MB` +
    `  [peer ${(peer * per100).toFixed(3)} s/100MB]  load ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')}`;
}

const cpuOf = (child: ChildProcess) => new Promise<NodeJS.CpuUsage>((resolve) => {
  child.once('message', (u: NodeJS.CpuUsage) => resolve(u));
  child.send({ cpu: true });
});

async function main(): Promise<void> {
  useTls('gateway');
  const seconds = Number(process.argv[2] ?? 4);
  const inFlight = Number(process.argv[3] ?? 6);
  const [parts, kib] = (process.argv[4] ?? '2x1024').split('x').map(Number);
  const child = fork(__filename, ['--peer'], { stdio: 'inherit' });
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
  const sinkServer = net.createServer();
  await new Promise<void>((r) => sinkServer.listen(0, '127.0.0.1', r));
  const accepted = new Promise<net.Socket>((r) => sinkServer.once('connection', r));
  child.send({ sinkPort: (sinkServer.address() as net.AddressInfo).port });
  const client = await accepted;
  client.setNoDelay(true);
  console.log(`${parts} partitions x ${kib} KiB per answer, ${inFlight} in flight, ${seconds} s per run, internal TLS ${tlsDir ? 'on' : 'off'}`);
  for (let round = 0; round < 3; round++) {
    for (const v of ['grpc', 'framed-fresh', 'framed-pooled'] as const) console.log(await runCase(v, child, port, client, seconds, inFlight, parts!, kib!));
  }
  client.destroy();
  sinkServer.close();
  child.disconnect();
}

if (process.argv[2] === '--peer') void runPeer();
else void main();
