// CPU per message and per MB of the two hot internal streams over three transports, both ends
// in their own process, with the same exact-size encoders and generated decoders everywhere:
//   grpc    today's grpc-js bidi stream (StorageServiceClient / createGrpcServer)
//   framed  our gRPC framing on Node's http2 (lean-stream-client/server), same port and wire
//   socket  a bare TLS (or TCP) socket with the same 5-byte framing, one connection per stream
// Payload mixes: ProduceBatch of 1 request × 1 partition × 1 KiB (small), 1 request × 1
// partition × 100 KiB (100 records), 16 requests × 1 KiB on 16 partitions (many partitions);
// ReplicaFetch answers with 6 partitions × 1 KiB and 6 × 100 KiB. Answers are the broker's usual
// (one ProduceResponse per request; a 6-partition ReplicaFetchRequest per answer).
//
//   npx esbuild libs/rpc/src/transport.bench.ts --bundle --platform=node --packages=external --outfile=tmp/transport.bench.js
//   TRANSPORT_BENCH_TLS_DIR=<dir of `dms certs create --brokers 1,2 --gateways 1`> node tmp/transport.bench.js [seconds] [inflight]
// (TRANSPORT_BENCH_MIXES and TRANSPORT_BENCH_TRANSPORTS, comma-separated, pick mixes and transports.)
import { fork, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { join } from 'node:path';
import type { ServerDuplexStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { ProduceBatchRequest, ProduceBatchResponse, ProduceResponse, ReplicaFetchRequest, ReplicaFetchResponse } from './generated/dms/storage/v1/storage';
import { StorageServiceClient, StorageServiceService } from './storage-service-def';
import { createClient } from './client';
import { bindServer, createGrpcServer } from './server';
import { StreamMux } from './stream-mux';
import { configureInternalTls, internalTls, loadInternalTls, INTERNAL_SERVER_NAME } from './tls';
import { checkServiceServerIdentity } from './service-identity';
import { FrameDecoder, framedOutput, frameOf } from './grpc-framing';
import { LeanSession, type LeanMethod, type MessageStream } from './lean-stream-client';
import { PRODUCE_BATCH_METHOD, REPLICA_FETCH_METHOD, serveLeanStorageStreams } from './lean-storage-streams';
import type { ServerMessageStream } from './lean-stream-server';
import { encodeProduceBatchResponse, encodeReplicaFetchResponse } from './record-serializers';
import { EventEmitter } from 'node:events';

type Transport = 'grpc' | 'framed' | 'socket';
const tlsDir = process.env.TRANSPORT_BENCH_TLS_DIR;
function useTls(role: 'broker' | 'gateway', id = 1): void {
  if (!tlsDir) return;
  configureInternalTls(loadInternalTls({ ca: join(tlsDir, 'ca.pem'), cert: join(tlsDir, `${role}-${id}.pem`), key: join(tlsDir, `${role}-${id}-key.pem`) }));
}

// --- the server's answers ----------------------------------------------------------------------
const replicaRecords = new Map<number, Buffer>();
function produceAnswer(req: ProduceBatchRequest): ProduceBatchResponse {
  return {
    responses: req.requests.map((r) => ({
      correlationId: r.correlationId,
      partitions: r.partitions.map((p) => ({ topic: p.topic, partition: p.partition, errorCode: 0, errorMessage: '', baseOffset: 12345n, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], appended: false })),
    })) as ProduceResponse[],
  };
}
function replicaAnswer(req: ReplicaFetchRequest): ReplicaFetchResponse {
  let records = replicaRecords.get(req.maxBytes);
  if (!records) replicaRecords.set(req.maxBytes, (records = Buffer.alloc(req.maxBytes, 7)));
  return {
    correlationId: req.correlationId,
    partitions: req.partitions.map((p) => ({ topic: p.topic, partition: p.partition, errorCode: 0, highWatermark: p.fetchOffset, logStartOffset: 0n, records: records!, divergingEpoch: undefined })),
  };
}
function serveProduce(call: ServerMessageStream<ProduceBatchRequest, ProduceBatchResponse>): void {
  call.on('data', (m) => call.write(produceAnswer(m)));
  call.on('end', () => call.end());
  call.on('error', () => undefined);
}
function serveReplica(call: ServerMessageStream<ReplicaFetchRequest, ReplicaFetchResponse>): void {
  call.on('data', (m) => call.write(replicaAnswer(m)));
  call.on('end', () => call.end());
  call.on('error', () => undefined);
}

// --- transport (c): a bare socket with the same framing --------------------------------------
const SOCKET_PATHS = ['produce', 'replica'] as const;
class SocketStream<Req, Res> extends EventEmitter implements MessageStream<Req, Res> {
  private readonly decoder = new FrameDecoder(1 << 30);
  constructor(private readonly socket: net.Socket, private readonly method: LeanMethod<Req, Res>) {
    super();
    socket.on('data', (chunk: Buffer) => this.decoder.push(chunk, (b) => this.emit('data', method.decode(b))));
    socket.on('error', (e) => this.emit('error', e));
    socket.on('drain', () => this.emit('drain'));
  }
  write(m: Req): boolean { return this.socket.write(this.method.encode(m)); }
  end(): void { this.socket.end(); }
  cancel(): void { this.socket.destroy(); }
}
function socketConnect<Req, Res>(port: number, which: (typeof SOCKET_PATHS)[number], method: LeanMethod<Req, Res>): MessageStream<Req, Res> {
  const t = internalTls();
  const s = t
    ? tls.connect({ port, host: '127.0.0.1', ca: t.ca, cert: t.cert, key: t.key, servername: INTERNAL_SERVER_NAME, checkServerIdentity: checkServiceServerIdentity })
    : net.connect({ port, host: '127.0.0.1' });
  s.setNoDelay(true);
  s.write(which === 'produce' ? 'P' : 'R');
  return new SocketStream(s, method);
}
function socketServer(): Promise<number> {
  const t = internalTls();
  const onConn = (s: net.Socket) => {
    s.setNoDelay(true);
    s.once('readable', function first() {
      const kind = s.read(1) as Buffer | null;
      if (!kind) return s.once('readable', first);
      const decoder = new FrameDecoder(1 << 30);
      if (kind.toString() === 'P') {
        const dec = StorageServiceService.produceBatch.requestDeserialize;
        s.on('data', (c: Buffer) => decoder.push(c, (b) => s.write(frameOf(encodeProduceBatchResponse(produceAnswer(dec(b)), framedOutput)))));
      } else {
        const dec = StorageServiceService.replicaFetch.requestDeserialize;
        s.on('data', (c: Buffer) => decoder.push(c, (b) => s.write(frameOf(encodeReplicaFetchResponse(replicaAnswer(dec(b)), framedOutput)))));
      }
    });
    s.on('error', () => undefined);
  };
  const server = t ? tls.createServer({ ca: t.ca, cert: t.cert, key: t.key, requestCert: true, rejectUnauthorized: true }, onConn) : net.createServer(onConn);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

async function runServer(transport: Transport): Promise<void> {
  useTls('broker');
  let port: number;
  if (transport === 'socket') port = await socketServer();
  else {
    const server = createGrpcServer();
    server.addService(StorageServiceService, {
      produceBatch: (c: ServerDuplexStream<ProduceBatchRequest, ProduceBatchResponse>) => serveProduce(c),
      replicaFetch: (c: ServerDuplexStream<ReplicaFetchRequest, ReplicaFetchResponse>) => serveReplica(c),
    } as unknown as UntypedServiceImplementation);
    port = await bindServer(server, '127.0.0.1', 0);
    if (transport === 'framed') serveLeanStorageStreams(server, { produceBatch: serveProduce, replicaFetch: serveReplica });
  }
  process.on('message', (m: string) => m === 'cpu' && process.send!(process.cpuUsage()));
  process.send!({ port });
  process.on('disconnect', () => process.exit(0));
}

// --- client ------------------------------------------------------------------------------------
interface Mix { name: string; kind: 'produce' | 'replica'; bytes: number; build(): object }
const kib = Buffer.alloc(1024, 1);
const hundred = Buffer.alloc(100 * 1024, 1);
const MIXES: Mix[] = [
  { name: 'produce 1 KiB x1', kind: 'produce', bytes: 1024, build: () => ({ requests: [{ correlationId: 0n, acks: -1, timeoutMs: 30000, partitions: [{ topic: 'bench-topic', partition: 3, records: kib }], traceContext: {} }] }) },
  { name: 'produce 1 KiB x100', kind: 'produce', bytes: 100 * 1024, build: () => ({ requests: [{ correlationId: 0n, acks: -1, timeoutMs: 30000, partitions: [{ topic: 'bench-topic', partition: 3, records: hundred }], traceContext: {} }] }) },
  { name: 'produce 16 parts x 1 KiB', kind: 'produce', bytes: 16 * 1024, build: () => ({ requests: Array.from({ length: 16 }, (_, i) => ({ correlationId: BigInt(i + 1), acks: -1, timeoutMs: 30000, partitions: [{ topic: 'bench-topic', partition: i, records: kib }], traceContext: {} })) }) },
  { name: 'replica 6 parts x 1 KiB', kind: 'replica', bytes: 6 * 1024, build: () => replicaReq(1024) },
  { name: 'replica 6 parts x 100 KiB', kind: 'replica', bytes: 6 * 100 * 1024, build: () => replicaReq(100 * 1024) },
];
function replicaReq(maxBytes: number): Omit<ReplicaFetchRequest, 'correlationId'> {
  return {
    replicaId: 2, maxWaitMs: 500, maxBytes,
    partitions: Array.from({ length: 6 }, (_, i) => ({ topic: 'bench-topic', partition: i, fetchOffset: 100000n + BigInt(i), lastFetchedEpoch: 3, currentLeaderEpoch: 3, partitionMaxBytes: 1048576, logStartOffset: 0n })),
  };
}

const cpuOf = (child: ChildProcess) => new Promise<NodeJS.CpuUsage>((resolve) => {
  child.once('message', (u: NodeJS.CpuUsage) => resolve(u));
  child.send('cpu');
});

async function runCase(transport: Transport, mix: Mix, seconds: number, inFlight: number): Promise<string> {
  const child = fork(__filename, ['--server', transport], { stdio: 'inherit' });
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
  const address = `127.0.0.1:${port}`;
  // ProduceBatch is a gateway's call, ReplicaFetch a follower's (broker 2, its replicaId).
  if (mix.kind === 'produce') useTls('gateway');
  else useTls('broker', 2);
  let send: () => Promise<unknown>;
  let close: () => void;
  if (mix.kind === 'produce') {
    // The gateway's coalescing mux: its pack/unpack carry the built message's requests.
    const built = mix.build() as ProduceBatchRequest;
    let open: () => MessageStream<ProduceBatchRequest, ProduceBatchResponse>;
    let closeConn = () => undefined as void;
    if (transport === 'grpc') { const c = createClient(StorageServiceClient, address, { tracing: false }); open = () => c.produceBatch(); closeConn = () => c.close(); }
    else if (transport === 'framed') { const s = new LeanSession(address); open = () => s.open(PRODUCE_BATCH_METHOD); closeConn = () => s.close(); }
    else open = () => socketConnect(port, 'produce', PRODUCE_BATCH_METHOD);
    const mux = new StreamMux<{ correlationId: bigint }, { correlationId: bigint }, ProduceBatchRequest, ProduceBatchResponse>(open, {
      propagateTraceContext: false,
      coalesce: {
        pack: ([r]) => ({ requests: built.requests.map((q, i) => ({ ...q, correlationId: i === 0 ? r!.correlationId : q.correlationId })) }),
        unpack: (m) => [m.responses[0]!],
        maxRequests: 1,
      },
    });
    send = () => mux.request({});
    close = () => { mux.close(); closeConn(); };
  } else {
    const body = mix.build() as Omit<ReplicaFetchRequest, 'correlationId'>;
    let open: () => MessageStream<ReplicaFetchRequest, ReplicaFetchResponse>;
    let closeConn = () => undefined as void;
    if (transport === 'grpc') { const c = createClient(StorageServiceClient, address, { tracing: false }); open = () => c.replicaFetch(); closeConn = () => c.close(); }
    else if (transport === 'framed') { const s = new LeanSession(address); open = () => s.open(REPLICA_FETCH_METHOD); closeConn = () => s.close(); }
    else open = () => socketConnect(port, 'replica', REPLICA_FETCH_METHOD);
    const mux = new StreamMux<ReplicaFetchRequest, ReplicaFetchResponse>(open, { propagateTraceContext: false });
    send = () => mux.request(body);
    close = () => { mux.close(); closeConn(); };
  }
  const warmUntil = Date.now() + 700;
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
  close();
  child.disconnect();
  await new Promise((r) => child.once('exit', r));
  const cli = c.user + c.system;
  const srv = s1.user - s0.user + s1.system - s0.system;
  const perMsg = (cli + srv) / done;
  const perMb = ((cli + srv) / 1e6) / ((done * mix.bytes) / 1e6) * 1000; // CPU ms per MB
  return `${transport.padEnd(6)} ${mix.name.padEnd(26)} x${inFlight}: ${(done / secs).toFixed(0).padStart(6)} msg/s  client ${(cli / done).toFixed(1).padStart(6)} + server ${(srv / done).toFixed(1).padStart(6)} = ${perMsg.toFixed(1).padStart(6)} µs/msg  ${perMb.toFixed(2).padStart(6)} CPU ms/MB`;
}

async function main(): Promise<void> {
  useTls('gateway');
  const seconds = Number(process.argv[2] ?? 3);
  const inFlights = (process.argv[3] ?? '1,16').split(',').map(Number);
  const only = process.env.TRANSPORT_BENCH_MIXES?.split(',');
  const transports = (process.env.TRANSPORT_BENCH_TRANSPORTS?.split(',') ?? ['grpc', 'framed', 'socket']) as Transport[];
  for (const mix of MIXES) {
    if (only && !only.some((o) => mix.name.includes(o))) continue;
    for (const inFlight of inFlights) {
      for (const transport of [...transports, ...transports]) console.log(await runCase(transport, mix, seconds, inFlight));
    }
  }
}

if (process.argv[2] === '--server') void runServer(process.argv[3] as Transport);
else main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });
