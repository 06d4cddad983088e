// Throughput of one bidi stream, default HTTP/2 windows vs FLOW_CONTROL_WINDOW_BYTES on both ends.
// The server runs in a child process so each end has its own event loop, as in production.
//
//   npx esbuild libs/rpc/src/stream.bench.ts --bundle --platform=node --outfile=tmp/stream.bench.js
//   node tmp/stream.bench.js [seconds-per-case]
// With STREAM_BENCH_TLS_DIR=<dir of `dms certs create --brokers 1 --gateways 1`> both ends use
// internal mutual TLS (server as broker 1, client as gateway 1); each row then also shows the CPU
// seconds both processes spent per GB moved, the figure to compare with a plaintext run.
import { fork, type ChildProcess } from 'node:child_process';
import type { ServerDuplexStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import {
  StorageServiceClient,
  StorageServiceService,
  type FetchRequest,
  type FetchResponse,
  type ProduceRequest,
  type ProduceResponse,
} from './generated/dms/storage/v1/storage';
import { createClient } from './client';
import { FLOW_CONTROL_WINDOW_BYTES, MiB } from './options';
import { bindServer, createGrpcServer } from './server';
import { StreamMux } from './stream-mux';
import { configureInternalTls, loadInternalTls } from './tls';
import { join } from 'node:path';

const tlsDir = process.env.STREAM_BENCH_TLS_DIR;
function useTls(role: 'broker' | 'gateway'): void {
  if (!tlsDir) return;
  configureInternalTls(loadInternalTls({ ca: join(tlsDir, 'ca.pem'), cert: join(tlsDir, `${role}-1.pem`), key: join(tlsDir, `${role}-1-key.pem`) }));
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function runServer(window: number): Promise<void> {
  useTls('broker');
  process.on('message', (m: { cpu?: boolean }) => m.cpu && process.send!({ cpu: cpuSeconds() }));
  const server = createGrpcServer({ flowControlWindowBytes: window });
  const payloads = new Map<number, Buffer>();
  const produce = (call: ServerDuplexStream<ProduceRequest, ProduceResponse>) => {
    call.on('data', (req: ProduceRequest) =>
      call.write({ correlationId: req.correlationId, partitions: [] }),
    );
    call.on('end', () => call.end());
    call.on('error', () => undefined);
  };
  const fetch = (call: ServerDuplexStream<FetchRequest, FetchResponse>) => {
    call.on('data', (req: FetchRequest) => {
      let records = payloads.get(req.maxBytes);
      if (!records) payloads.set(req.maxBytes, (records = Buffer.alloc(req.maxBytes, 1)));
      call.write({
        correlationId: req.correlationId,
        partitions: [{ topic: 't', partition: 0, errorCode: 0, highWatermark: 0n, lastStableOffset: 0n, logStartOffset: 0n, records, abortedTransactions: [] }],
      });
    });
    call.on('end', () => call.end());
    call.on('error', () => undefined);
  };
  server.addService(StorageServiceService, { produce, fetch, listOffsets: () => undefined } as unknown as UntypedServiceImplementation);
  const port = await bindServer(server, '127.0.0.1', 0);
  process.send!({ port });
  process.on('disconnect', () => process.exit(0));
}

async function measure(
  send: () => Promise<unknown>,
  bytesPerRequest: number,
  inFlight: number,
  seconds: number,
): Promise<{ mbps: number; msgps: number }> {
  // Warm up the connection and windows before timing.
  await Promise.all(Array.from({ length: Math.min(inFlight, 8) }, send));
  const until = Date.now() + seconds * 1000;
  let done = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (Date.now() < until) {
        await send();
        done++;
      }
    }),
  );
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  return { mbps: (done * bytesPerRequest) / secs / 1e6, msgps: done / secs };
}

async function runClient(seconds: number): Promise<void> {
  useTls('gateway');
  const rows: string[] = [];
  for (const window of [0, FLOW_CONTROL_WINDOW_BYTES]) {
    const child: ChildProcess = fork(__filename, ['--server', String(window)], { stdio: 'inherit' });
    const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
    const client = createClient(StorageServiceClient, `127.0.0.1:${port}`, { flowControlWindowBytes: window, tracing: false });
    const label = (window ? `${window / MiB} MiB window` : 'default window') + (tlsDir ? ' mTLS' : '');
    const serverCpu = () => new Promise<number>((resolve) => {
      child.once('message', (m: { cpu: number }) => resolve(m.cpu));
      child.send({ cpu: true });
    });
    for (const [size, inFlight] of [[MiB, 16], [16 * 1024, 256]] as const) {
      const records = Buffer.alloc(size, 1);
      const cpu0 = cpuSeconds() + (await serverCpu());
      let moved = 0;
      const produceMux = new StreamMux<ProduceRequest, ProduceResponse>(() => client.produce(), { propagateTraceContext: false });
      const up = await measure(
        () => produceMux.request({ acks: 1, timeoutMs: 1000, partitions: [{ topic: 't', partition: 0, records }], traceContext: {} }),
        size, inFlight, seconds,
      );
      produceMux.close();
      const fetchMux = new StreamMux<FetchRequest, FetchResponse>(() => client.fetch(), { propagateTraceContext: false });
      const down = await measure(
        () => fetchMux.request({ maxWaitMs: 0, minBytes: 0, maxBytes: size, isolationLevel: 0, partitions: [], traceContext: {}, wakeCorrelationId: 0n }),
        size, inFlight, seconds,
      );
      fetchMux.close();
      moved = (up.mbps + down.mbps) * seconds * 1e6;
      const cpuPerGb = ((cpuSeconds() + (await serverCpu()) - cpu0) / moved) * 1e9;
      const sz = size >= MiB ? `${size / MiB} MiB` : `${size / 1024} KiB`;
      rows.push(
        `${label.padEnd(16)} ${sz.padStart(7)} x${String(inFlight).padEnd(4)} produce ${up.mbps.toFixed(0).padStart(5)} MB/s ${up.msgps.toFixed(0).padStart(6)} msg/s | fetch ${down.mbps.toFixed(0).padStart(5)} MB/s ${down.msgps.toFixed(0).padStart(6)} msg/s | ~${cpuPerGb.toFixed(1)} CPU s/GB`,
      );
      console.log(rows[rows.length - 1]);
    }
    client.close();
    child.disconnect();
    await new Promise((r) => child.once('exit', r));
  }
}

if (process.argv[2] === '--server') {
  void runServer(Number(process.argv[3]));
} else {
  runClient(Number(process.argv[2] ?? 3)).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
