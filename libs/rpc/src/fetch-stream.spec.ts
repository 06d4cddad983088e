import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { FetchRequest, FetchResponse } from './generated/dms/storage/v1/storage';
import { StorageServiceClient, StorageServiceService } from './storage-service-def';
import { createClient } from './client';
import { bindServer, createGrpcServer, stopServer } from './server';
import { StreamMux } from './stream-mux';
import { serveLeanFetch } from './fetch-stream';
import { LeanSession } from './lean-stream-client';
import { fetchMethod, openFetch } from './lean-storage-streams';
import { ReadBufferPool } from './read-buffer-pool';
import type { ServerMessageStream } from './lean-stream-server';

/**
 * Answers each fetch with, per partition, `partitionMaxBytes` bytes of the partition number, the
 * fetch offset as high watermark, and one aborted transaction when isolation level is 1.
 */
function fetchHandler(seen: { streams: number; lean: number }) {
  return (call: ServerMessageStream<FetchRequest, FetchResponse>) => {
    seen.streams++;
    if (!('getPeer' in call)) seen.lean++;
    call.on('data', (m) =>
      call.write({
        correlationId: m.correlationId,
        partitions: m.partitions.map((p) => ({
          topic: p.topic,
          partition: p.partition,
          errorCode: p.partition === 9 ? 6 : 0,
          highWatermark: p.fetchOffset,
          lastStableOffset: p.fetchOffset - 1n,
          logStartOffset: 0n,
          records: Buffer.alloc(p.partitionMaxBytes, p.partition),
          abortedTransactions: m.isolationLevel === 1 ? [{ producerId: 7n, firstOffset: 3n }] : [],
        })),
      }),
    );
    call.on('end', () => call.end());
    call.on('error', () => undefined);
  };
}

/** Frames and record buffers leased out and back, counted (as the broker's ReadBufferPool leases them). */
class LeasingFrames {
  readonly open = new Set<ArrayBufferLike>();
  readonly reused = new Set<ArrayBufferLike>();
  leased = 0;
  private readonly free: Buffer[] = [];
  acquire(length: number): Buffer {
    const block = this.free.find((b) => b.length >= length);
    if (block) this.free.splice(this.free.indexOf(block), 1);
    const out = block ?? Buffer.allocUnsafeSlow(length);
    if (block) this.reused.add(out.buffer);
    this.open.add(out.buffer);
    this.leased++;
    return out.subarray(0, length);
  }
  release(view: Uint8Array): boolean {
    if (!this.open.delete(view.buffer)) return false;
    this.free.push(Buffer.from(view.buffer));
    return true;
  }
}

async function startServer(framed: boolean) {
  const seen = { streams: 0, lean: 0 };
  const frames = new LeasingFrames();
  const server = createGrpcServer();
  const impl = { fetch: fetchHandler(seen) };
  server.addService(StorageServiceService, impl as unknown as UntypedServiceImplementation);
  const port = await bindServer(server, '127.0.0.1', 0);
  if (framed) serveLeanFetch(server, impl, frames);
  return { server, port, seen, frames };
}

async function waitUntil(ok: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const fetchOf = (isolationLevel: number, partitions: { partition: number; bytes: number }[]): Omit<FetchRequest, 'correlationId'> => ({
  maxWaitMs: 0,
  minBytes: 1,
  maxBytes: 64 << 20,
  isolationLevel,
  partitions: partitions.map((p) => ({ topic: 't', partition: p.partition, fetchOffset: 100n + BigInt(p.partition), partitionMaxBytes: p.bytes, currentLeaderEpoch: -1 })),
  traceContext: {},
  wakeCorrelationId: 0n,
});

describe('consumer Fetch framed by us on http2 (internal.fetch.transport=framed)', () => {
  const stops: (() => unknown)[] = [];
  afterEach(async () => {
    for (const s of stops.splice(0).reverse()) await s();
  });

  it.each([
    ['framed server', 'grpc-js client', true, false],
    ['grpc-js server', 'grpc-js client', false, false],
    ['framed server', 'framed client', true, true],
    ['grpc-js server', 'framed client', false, true],
  ])('%s, %s: every answer reaches the gateway with its marks, errors and records', async (_s, _c, leanServer, leanClient) => {
    const { server, port, seen, frames } = await startServer(leanServer);
    stops.push(() => stopServer(server, 100));
    const address = `127.0.0.1:${port}`;
    const client = createClient(StorageServiceClient, address, { tracing: false });
    stops.push(() => client.close());
    const session = new LeanSession(address);
    stops.push(() => session.close());
    // The gateway's framed client gathers answers spread over http2 chunks into leased buffers.
    const pool = new ReadBufferPool();
    const method = fetchMethod((n) => pool.acquire(n));
    const mux = new StreamMux<FetchRequest, FetchResponse>(leanClient ? () => openFetch(session, method) : () => client.fetch(), { propagateTraceContext: false });
    stops.unshift(() => mux.close());
    const requests = [
      fetchOf(0, [{ partition: 0, bytes: 4 << 20 }]),
      fetchOf(1, [{ partition: 1, bytes: 1 }, { partition: 2, bytes: 0 }, { partition: 9, bytes: 0 }]),
      ...Array.from({ length: 40 }, (_, i) => fetchOf(0, [{ partition: i % 8, bytes: i * 1021 }, { partition: 3, bytes: 3 << 20 }])),
    ];
    const answers = await Promise.all(requests.map((r) => mux.request(r)));
    answers.forEach((a, i) => {
      expect(a.partitions.map((p) => [p.partition, p.highWatermark, p.lastStableOffset, p.errorCode, p.records.length])).toEqual(
        requests[i]!.partitions.map((p) => [p.partition, p.fetchOffset, p.fetchOffset - 1n, p.partition === 9 ? 6 : 0, p.partitionMaxBytes]),
      );
      for (const p of a.partitions) if (p.records.length > 0) expect(p.records.every((b) => b === p.partition)).toBe(true);
    });
    expect(answers[1]!.partitions[0]!.abortedTransactions).toEqual([{ producerId: 7n, firstOffset: 3n }]);
    expect(answers[0]!.partitions[0]!.abortedTransactions).toEqual([]);
    expect(seen.streams).toBe(1);
    expect(seen.lean).toBe(leanServer ? 1 : 0);
    // One frame leased per answer, every one back once sent, and frames reused for later answers.
    expect(frames.leased).toBe(leanServer ? requests.length : 0);
    await waitUntil(() => frames.open.size === 0);
    // (A framed client sends the 42 requests in one burst: the server may then encode every answer
    // before the first is sent, so reuse is only certain with grpc-js's paced stream.)
    if (leanServer && !leanClient) expect(frames.reused.size).toBeGreaterThan(0);
    // The multi-MiB answers were gathered into leases (their records are views of them).
    if (leanClient) {
      expect(pool.stats().leased).toBeGreaterThan(0);
      expect(pool.release(answers[0]!.partitions[0]!.records)).toBe(true);
    } else expect(pool.stats().leased).toBe(0);
  });

  it('framed client: a lease released and reused never changes the answers gathered after it', async () => {
    const { server, port } = await startServer(true);
    stops.push(() => stopServer(server, 100));
    const session = new LeanSession(`127.0.0.1:${port}`);
    stops.push(() => session.close());
    const pool = new ReadBufferPool();
    const mux = new StreamMux<FetchRequest, FetchResponse>(() => openFetch(session, fetchMethod((n) => pool.acquire(n))), { propagateTraceContext: false });
    stops.unshift(() => mux.close());
    for (let round = 0; round < 4; round++) {
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => mux.request(fetchOf(0, [{ partition: i, bytes: 300_000 + i }]))));
      answers.forEach((a, i) => {
        const r = a.partitions[0]!.records;
        expect(r.length).toBe(300_000 + i);
        expect(r.every((b) => b === i)).toBe(true);
        pool.release(r);
      });
    }
    expect(pool.stats().reused).toBeGreaterThan(0);
    expect(pool.stats().leased).toBe(0);
  });
});
