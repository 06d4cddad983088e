import { status as GrpcStatus, type ServerDuplexStream, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { ProduceBatchRequest, ProduceBatchResponse, ProduceRequest, ProduceResponse, ReplicaFetchRequest, ReplicaFetchResponse } from './generated/dms/storage/v1/storage';
import { StorageServiceClient, StorageServiceService } from './storage-service-def';
import { createClient } from './client';
import { bindServer, createGrpcServer, stopServer } from './server';
import { StreamMux } from './stream-mux';
import { LeanSession } from './lean-stream-client';
import { openProduceBatch, openReplicaFetch, serveLeanStorageStreams } from './lean-storage-streams';
import type { ServerMessageStream } from './lean-stream-server';

/** Answers each produce request with baseOffset = its record bytes; a request on topic "fail" fails the stream. */
function produceBatch(seen: { streams: number; lean: number }) {
  return (call: ServerMessageStream<ProduceBatchRequest, ProduceBatchResponse>) => {
    seen.streams++;
    if (!('getPeer' in call)) seen.lean++;
    call.on('data', (m) => {
      if (m.requests.some((r) => r.partitions[0]?.topic === 'fail')) {
        (call as unknown as { emit(e: string, err: object): void }).emit('error', { code: GrpcStatus.UNAVAILABLE, details: 'going away' });
        return;
      }
      call.write({ responses: m.requests.map((r) => answer(r)) });
    });
    call.on('end', () => call.end());
    call.on('error', () => undefined);
  };
}

function answer(r: ProduceRequest): ProduceResponse {
  return {
    correlationId: r.correlationId,
    partitions: r.partitions.map((p) => ({ topic: p.topic, partition: p.partition, errorCode: 0, errorMessage: '', baseOffset: BigInt(p.records.length), logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], appended: true })),
  };
}

function replicaFetch(call: ServerMessageStream<ReplicaFetchRequest, ReplicaFetchResponse>): void {
  call.on('data', (m) =>
    call.write({
      correlationId: m.correlationId,
      partitions: m.partitions.map((p) => ({ topic: p.topic, partition: p.partition, errorCode: 0, highWatermark: p.fetchOffset, logStartOffset: 0n, records: Buffer.alloc(m.maxBytes, p.partition), divergingEpoch: undefined })),
    }),
  );
  call.on('end', () => call.end());
  call.on('error', () => undefined);
}

async function startServer(framed: boolean, port = 0, flowControlWindowBytes?: number) {
  const seen = { streams: 0, lean: 0 };
  const server = createGrpcServer({ flowControlWindowBytes });
  const impl = { produceBatch: produceBatch(seen), replicaFetch };
  server.addService(StorageServiceService, {
    ...impl,
    produce: (call: ServerDuplexStream<ProduceRequest, ProduceResponse>) => {
      call.on('data', (r: ProduceRequest) => call.write(answer(r)));
      call.on('end', () => call.end());
    },
  } as unknown as UntypedServiceImplementation);
  const bound = await bindServer(server, '127.0.0.1', port);
  if (framed) serveLeanStorageStreams(server, impl);
  return { server, port: bound, seen };
}

const req = (topic: string, bytes: number): Omit<ProduceRequest, 'correlationId'> => ({ acks: -1, timeoutMs: 1000, partitions: [{ topic, partition: 0, records: Buffer.alloc(bytes, 1) }], traceContext: {} });

function batchMux(open: () => ReturnType<typeof openProduceBatch>) {
  return new StreamMux<ProduceRequest, ProduceResponse, ProduceBatchRequest, ProduceBatchResponse>(open, {
    propagateTraceContext: false,
    coalesce: { pack: (requests) => ({ requests }), unpack: (m) => m.responses },
  });
}

describe('framed ProduceBatch and ReplicaFetch (gRPC wire on Node http2)', () => {
  const stops: (() => unknown)[] = [];
  afterEach(async () => {
    for (const s of stops.splice(0).reverse()) await s();
  });

  it.each([
    ['framed client', 'framed server', true, true],
    ['framed client', 'grpc-js server', true, false],
    ['grpc-js client', 'framed server', false, true],
  ])('%s and %s: every answer reaches its request, small and large, many per message', async (_c, _s, leanClient, leanServer) => {
    const { server, port, seen } = await startServer(leanServer);
    stops.push(() => stopServer(server, 100));
    const address = `127.0.0.1:${port}`;
    let mux: ReturnType<typeof batchMux>;
    if (leanClient) {
      const session = new LeanSession(address);
      stops.push(() => session.close());
      mux = batchMux(() => openProduceBatch(session));
    } else {
      const client = createClient(StorageServiceClient, address, { tracing: false });
      stops.push(() => client.close());
      mux = batchMux(() => client.produceBatch());
    }
    stops.unshift(() => mux.close());
    const sizes = [1, 1024, 3 * 1024 * 1024, 0, 70_000, ...Array.from({ length: 200 }, (_, i) => i * 37), ...Array.from({ length: 6 }, () => 4 * 1024 * 1024)];
    const answers = await Promise.all(sizes.map((n) => mux.request(req('t', n))));
    expect(answers.map((a) => a.partitions[0]!.baseOffset)).toEqual(sizes.map(BigInt));
    expect(seen.streams).toBe(1);
    expect(seen.lean).toBe(leanServer ? 1 : 0);
  });

  it('takes coalesced messages past Node\'s 16 KiB stream mark until its write buffer is full, then asks for drain, and delivers every one', async () => {
    // Every coalesced message is larger than Node's 16 KiB mark for a byte stream: when write()
    // returned false for each, StreamMux waited for 'drain' (the bytes through nghttp2 and the
    // TLS socket, several event-loop turns) before every message, and at 30,000 small requests/s
    // the gateway fell behind with requests queued behind one message per round trip.
    const { server, port } = await startServer(true);
    stops.push(() => stopServer(server, 100));
    const session = new LeanSession(`127.0.0.1:${port}`, { writeBufferBytes: 256 * 1024 });
    stops.push(() => session.close());
    const stream = openProduceBatch(session);
    stops.unshift(() => stream.cancel());
    const answered: bigint[] = [];
    const errors: Error[] = [];
    stream.on('error', (err) => errors.push(err));
    const done = new Promise<void>((resolve) => {
      stream.on('data', (m) => {
        for (const r of m.responses) answered.push(r.correlationId);
        if (answered.length === 8) resolve();
      });
    });
    const message = (id: number): ProduceBatchRequest => ({ requests: [{ ...req('t', 40 * 1024), correlationId: BigInt(id) }] });
    const accepted = [1, 2, 3, 4, 5, 6, 7].map((id) => stream.write(message(id)));
    // 40 KiB each: six fit in 256 KiB; the seventh takes it past and the caller must wait.
    expect(accepted).toEqual([true, true, true, true, true, true, false]);
    await new Promise<void>((resolve) => stream.once('drain', resolve));
    expect(stream.write(message(8))).toBe(true);
    await done;
    expect(answered).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n]);
    expect(errors).toEqual([]);
  });

  it('delivers every message of a stream pushed far past 64 KiB HTTP/2 windows, both ways', async () => {
    const { server, port } = await startServer(true, 0, 0);
    stops.push(() => stopServer(server, 100));
    const session = new LeanSession(`127.0.0.1:${port}`, { flowControlWindowBytes: 0 });
    stops.push(() => session.close());
    const mux = batchMux(() => openProduceBatch(session));
    stops.unshift(() => mux.close());
    const sizes = Array.from({ length: 300 }, (_, i) => (i % 7) * 9_000 + (i % 3 === 0 ? 200_000 : 1));
    const answers = await Promise.all(sizes.map((n) => mux.request(req('t', n))));
    expect(answers.map((a) => a.partitions[0]!.baseOffset)).toEqual(sizes.map(BigInt));
    const fetch = new StreamMux<ReplicaFetchRequest, ReplicaFetchResponse>(() => openReplicaFetch(session), { propagateTraceContext: false });
    stops.unshift(() => fetch.close());
    const partitions = [{ topic: 't', partition: 1, fetchOffset: 0n, lastFetchedEpoch: 1, currentLeaderEpoch: 1, partitionMaxBytes: 1, logStartOffset: 0n }];
    const fetched = await Promise.all(Array.from({ length: 40 }, () => fetch.request({ replicaId: 2, maxWaitMs: 0, maxBytes: 300_000, partitions })));
    expect(fetched.map((f) => f.partitions[0]!.records.length)).toEqual(Array.from({ length: 40 }, () => 300_000));
  });

  it('fetches replica data over the framed stream', async () => {
    const { server, port } = await startServer(true);
    stops.push(() => stopServer(server, 100));
    const session = new LeanSession(`127.0.0.1:${port}`);
    stops.push(() => session.close());
    const mux = new StreamMux<ReplicaFetchRequest, ReplicaFetchResponse>(() => openReplicaFetch(session), { propagateTraceContext: false });
    stops.unshift(() => mux.close());
    const partitions = [0, 1, 2].map((p) => ({ topic: 't', partition: p, fetchOffset: 10n + BigInt(p), lastFetchedEpoch: 1, currentLeaderEpoch: 1, partitionMaxBytes: 1000, logStartOffset: 0n }));
    const res = await mux.request({ replicaId: 2, maxWaitMs: 0, maxBytes: 2048, partitions });
    expect(res.partitions.map((p) => [p.partition, p.highWatermark, p.records.length, p.records[0]])).toEqual([[0, 10n, 2048, 0], [1, 11n, 2048, 1], [2, 12n, 2048, 2]]);
  });

  it('passes the server\'s error status to every request in flight, and the next request opens a fresh stream', async () => {
    const { server, port, seen } = await startServer(true);
    stops.push(() => stopServer(server, 100));
    const session = new LeanSession(`127.0.0.1:${port}`);
    stops.push(() => session.close());
    const mux = batchMux(() => openProduceBatch(session));
    stops.unshift(() => mux.close());
    await mux.request(req('t', 1));
    const failed = await Promise.allSettled([mux.request(req('t', 2)), mux.request(req('fail', 1))]);
    // The first went out alone (nothing in flight) and was answered before the failing one arrived.
    expect(failed.map((f) => f.status)).toEqual(['fulfilled', 'rejected']);
    expect((failed[1] as PromiseRejectedResult).reason.code).toBe(GrpcStatus.UNAVAILABLE);
    expect((await mux.request(req('t', 5))).partitions[0]!.baseOffset).toBe(5n);
    expect(seen.streams).toBe(2);
  });

  it('reports UNIMPLEMENTED from a broker without ProduceBatch (the gateway then falls back to Produce)', async () => {
    const server = createGrpcServer();
    server.addService(StorageServiceService, {
      produce: (call: ServerDuplexStream<ProduceRequest, ProduceResponse>) => call.on('end', () => call.end()),
    } as unknown as UntypedServiceImplementation);
    const port = await bindServer(server, '127.0.0.1', 0);
    stops.push(() => stopServer(server, 100));
    const session = new LeanSession(`127.0.0.1:${port}`);
    stops.push(() => session.close());
    const mux = batchMux(() => openProduceBatch(session));
    stops.unshift(() => mux.close());
    await expect(mux.request(req('t', 1))).rejects.toMatchObject({ cause: { code: GrpcStatus.UNIMPLEMENTED } });
  });

  it('fails requests UNAVAILABLE when the server goes away and reconnects once it is back', async () => {
    const first = await startServer(true);
    const port = first.port;
    const session = new LeanSession(`127.0.0.1:${port}`);
    stops.push(() => session.close());
    const mux = batchMux(() => openProduceBatch(session));
    stops.push(() => mux.close());
    await mux.request(req('t', 1));
    const inFlight = mux.request({ ...req('t', 1), partitions: [] }).catch((e: { code: number }) => e.code);
    first.server.forceShutdown();
    expect(await inFlight).toBe(GrpcStatus.UNAVAILABLE);
    await expect(mux.request(req('t', 1))).rejects.toMatchObject({ code: GrpcStatus.UNAVAILABLE });
    const second = await startServer(true, port);
    stops.unshift(() => stopServer(second.server, 100));
    expect((await mux.request(req('t', 9))).partitions[0]!.baseOffset).toBe(9n);
  });
});
