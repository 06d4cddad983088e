import {
  type FetchRequest,
  FetchResponse,
  ProduceBatchRequest,
  ProduceRequest,
  ReplicaFetchResponse,
} from './generated/dms/storage/v1/storage';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import {
  encodeFetchResponse,
  encodeProduceBatchRequest,
  encodeProduceRequest,
  encodeReplicaFetchResponse,
  SCRATCH_MAX_BYTES,
  serializeFetchResponse,
  serializeReplicaFetchResponse,
} from './record-serializers';
import { StorageServiceService, storageServiceReleasingFetchRecords } from './storage-service-def';
import { startTestStorage } from './test-server';

const generated = <T>(fns: { encode(m: T): { finish(): Uint8Array } }, m: T) => Buffer.from(fns.encode(m).finish());

/** A small deterministic generator so a failure is reproducible. */
function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: T[]): T => xs[int(0, xs.length - 1)]!;
  return { next, int, pick };
}

const INT32S = [0, 1, -1, 127, 128, 16383, 16384, 0x7fffffff, -0x80000000, 3, -7];
const INT64S = [0n, 1n, -1n, -2n, 127n, 128n, 2n ** 31n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n), 1_700_000_000_000n];
const UINT64S = [0n, 1n, 127n, 128n, 300n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n + 5n, 2n ** 64n - 1n];
const TOPICS = ['', 't', 'orders-eu', '__consumer_offsets', 'ünïcödé-☃', 'x'.repeat(200), '\ud83d\ude00 emoji'];
const records = (r: ReturnType<typeof rng>) => {
  const n = r.pick([0, 0, 1, 61, 1024, 70_000]);
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + n) & 0xff;
  // Sometimes a view into a larger buffer, as a decoded frame's records are.
  return r.next() < 0.3 ? Buffer.concat([Buffer.alloc(5, 9), b, Buffer.alloc(3, 9)]).subarray(5, 5 + n) : b;
};

describe('exact-size serialisers', () => {
  it('ProduceRequest: byte-identical to the generated encoder and decodable by it', () => {
    const r = rng(11);
    for (let i = 0; i < 400; i++) {
      const m: ProduceRequest = {
        correlationId: r.pick(UINT64S),
        acks: r.pick([-1, 0, 1]),
        timeoutMs: r.pick(INT32S),
        partitions: Array.from({ length: r.int(0, 4) }, () => ({ topic: r.pick(TOPICS), partition: r.pick(INT32S), records: records(r) })),
        traceContext: r.pick<Record<string, string>>([{}, { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }, { traceparent: 'x', tracestate: '', '': 'v' }]),
      };
      const ours = encodeProduceRequest(m);
      expect(ours.equals(generated(ProduceRequest, m))).toBe(true);
      const back = ProduceRequest.decode(ours);
      expect(back.correlationId).toBe(m.correlationId);
      expect(back.partitions.map((p) => Buffer.compare(p.records, m.partitions[back.partitions.indexOf(p)]!.records))).toEqual(back.partitions.map(() => 0));
    }
  });

  it('ProduceBatchRequest: byte-identical, each request keeping its own fields', () => {
    const r = rng(44);
    for (let i = 0; i < 200; i++) {
      const m: ProduceBatchRequest = {
        requests: Array.from({ length: r.int(0, 5) }, () => ({
          correlationId: r.pick(UINT64S),
          acks: r.pick([-1, 0, 1]),
          timeoutMs: r.pick(INT32S),
          partitions: Array.from({ length: r.int(0, 3) }, () => ({ topic: r.pick(TOPICS), partition: r.pick(INT32S), records: records(r) })),
          traceContext: r.pick<Record<string, string>>([{}, { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }]),
        })),
      };
      const ours = encodeProduceBatchRequest(m);
      expect(ours.equals(generated(ProduceBatchRequest, m))).toBe(true);
      expect(ProduceBatchRequest.decode(ours).requests.map((q) => q.correlationId)).toEqual(m.requests.map((q) => q.correlationId));
    }
  });

  it('FetchResponse: byte-identical, with aborted transactions and large and empty records', () => {
    const r = rng(22);
    for (let i = 0; i < 400; i++) {
      const m: FetchResponse = {
        correlationId: r.pick(UINT64S),
        partitions: Array.from({ length: r.int(0, 4) }, () => ({
          topic: r.pick(TOPICS),
          partition: r.pick(INT32S),
          errorCode: r.pick(INT32S),
          highWatermark: r.pick(INT64S),
          lastStableOffset: r.pick(INT64S),
          logStartOffset: r.pick(INT64S),
          records: records(r),
          abortedTransactions: Array.from({ length: r.int(0, 3) }, () => ({ producerId: r.pick(INT64S), firstOffset: r.pick(INT64S) })),
        })),
      };
      const ours = encodeFetchResponse(m);
      expect(ours.equals(generated(FetchResponse, m))).toBe(true);
      // Decoded by the generated decoder, it encodes back to the same bytes.
      expect(encodeFetchResponse(FetchResponse.decode(ours)).equals(ours)).toBe(true);
    }
  });

  it('ReplicaFetchResponse: byte-identical, with and without a diverging epoch', () => {
    const r = rng(33);
    for (let i = 0; i < 400; i++) {
      const m: ReplicaFetchResponse = {
        correlationId: r.pick(UINT64S),
        partitions: Array.from({ length: r.int(0, 4) }, () => ({
          topic: r.pick(TOPICS),
          partition: r.pick(INT32S),
          errorCode: r.pick(INT32S),
          highWatermark: r.pick(INT64S),
          logStartOffset: r.pick(INT64S),
          records: records(r),
          divergingEpoch: r.next() < 0.3 ? { epoch: r.pick(INT32S), endOffset: r.pick(INT64S) } : undefined,
        })),
      };
      const ours = encodeReplicaFetchResponse(m);
      expect(ours.equals(generated(ReplicaFetchResponse, m))).toBe(true);
      const back = ReplicaFetchResponse.decode(ours);
      expect(back.partitions.length).toBe(m.partitions.length);
    }
  });

  it('copies a large record field once into a buffer of exactly the message size', () => {
    const big = Buffer.alloc(8 * 1024 * 1024, 7);
    const m: FetchResponse = { correlationId: 5n, partitions: [{ topic: 't', partition: 0, errorCode: 0, highWatermark: 10n, lastStableOffset: 10n, logStartOffset: 0n, records: big, abortedTransactions: [] }] };
    const ours = encodeFetchResponse(m);
    expect(ours.length).toBe(generated(FetchResponse, m).length);
    expect(ours.buffer.byteLength).toBe(ours.length); // its own allocation, no slack
    const back = FetchResponse.decode(ours);
    expect(back.partitions[0]!.records.equals(big)).toBe(true);
    // Decoding does not copy bytes fields: the records are a view into the message.
    expect(back.partitions[0]!.records.buffer).toBe(ours.buffer);
    // Empty message and empty records.
    expect(encodeFetchResponse({ correlationId: 0n, partitions: [] }).length).toBe(0);
    const empty: ReplicaFetchResponse = { correlationId: 1n, partitions: [{ topic: 't', partition: 1, errorCode: 0, highWatermark: 0n, logStartOffset: 0n, records: Buffer.alloc(0), divergingEpoch: undefined }] };
    expect(encodeReplicaFetchResponse(empty).equals(generated(ReplicaFetchResponse, empty))).toBe(true);
  });

  it('rejects what the generated encoders reject', () => {
    const base: ProduceRequest = { correlationId: 1n, acks: 1, timeoutMs: 100, partitions: [], traceContext: {} };
    expect(() => encodeProduceRequest({ ...base, correlationId: -1n })).toThrow(/uint64 too large/);
    expect(() => encodeProduceRequest({ ...base, correlationId: 2n ** 64n })).toThrow(/uint64 too large/);
    expect(() => encodeProduceRequest({ ...base, acks: 1.5 })).toThrow(/invalid int32/);
    expect(() => encodeProduceRequest({ ...base, timeoutMs: 2 ** 31 })).toThrow(/invalid int32/);
    const f: FetchResponse = { correlationId: 1n, partitions: [{ topic: 't', partition: 0, errorCode: 0, highWatermark: 2n ** 63n, lastStableOffset: 0n, logStartOffset: 0n, records: Buffer.alloc(0), abortedTransactions: [] }] };
    expect(() => encodeFetchResponse(f)).toThrow(/int64 too large/);
  });

  it('is what the StorageService definition uses for the record-carrying messages', () => {
    expect(StorageServiceService.produce.requestSerialize).toBe(encodeProduceRequest);
    expect(StorageServiceService.fetch.responseSerialize).toBe(serializeFetchResponse);
    expect(StorageServiceService.replicaFetch.responseSerialize).toBe(serializeReplicaFetchResponse);
    expect(StorageServiceService.produceBatch.requestSerialize).toBe(encodeProduceBatchRequest);
    expect(StorageServiceService.produce.path).toBe('/dms.storage.v1.StorageService/Produce');
  });
});

const fetchAnswer = (correlationId: bigint, records: Buffer): FetchResponse => ({
  correlationId,
  partitions: [{ topic: 't', partition: 0, errorCode: 0, highWatermark: 10n, lastStableOffset: 10n, logStartOffset: 0n, records, abortedTransactions: [] }],
});
const fetchRequest = (correlationId: bigint): FetchRequest =>
  ({ correlationId, maxWaitMs: 0, minBytes: 0, maxBytes: 0, isolationLevel: 0, partitions: [], traceContext: {}, wakeCorrelationId: 0n });
const filled = (n: number, seed: number) => {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 13 + seed) & 0xff;
  return b;
};

describe('server-side serialisers into the scratch buffer', () => {
  it('write the same bytes as the fresh-buffer encoders, reusing one buffer', () => {
    const r = rng(77);
    for (let i = 0; i < 50; i++) {
      const m = fetchAnswer(BigInt(i), filled(r.pick([0, 10, 70_000, 1 << 20]), i));
      const ours = serializeFetchResponse(m);
      expect(ours.equals(encodeFetchResponse(m))).toBe(true);
      const rm: ReplicaFetchResponse = { correlationId: BigInt(i), partitions: [{ topic: 'r', partition: 1, errorCode: 0, highWatermark: 3n, logStartOffset: 0n, records: m.partitions[0]!.records, divergingEpoch: undefined }] };
      expect(serializeReplicaFetchResponse(rm).equals(encodeReplicaFetchResponse(rm))).toBe(true);
    }
    // Once grown to 1 MiB and more, the same memory serves every later answer of that size.
    const shared = serializeFetchResponse(fetchAnswer(1n, filled(1 << 20, 1))).buffer;
    const again = serializeFetchResponse(fetchAnswer(1n, filled(1 << 20, 2)));
    expect(again.buffer === shared).toBe(true);
    expect(again.equals(encodeFetchResponse(fetchAnswer(1n, filled(1 << 20, 2))))).toBe(true);
    // An answer over the cap gets its own buffer, and the scratch keeps serving small ones.
    const huge = serializeFetchResponse(fetchAnswer(2n, Buffer.alloc(SCRATCH_MAX_BYTES + 1, 3)));
    expect(huge.buffer === shared).toBe(false);
    expect(serializeFetchResponse(fetchAnswer(3n, filled(100, 3))).buffer === shared).toBe(true);
  });

  it('survive grpc-js: answers written back to back on one stream arrive intact', async () => {
    // The server writes many answers in one turn (grpc-js buffers them behind the first) while
    // each serialisation reuses the scratch buffer: every answer must still arrive as written.
    const sizes = [1 << 20, 100, 3 << 20, 70_000, 1, 2 << 20, 0, 500_000];
    const storage = await startTestStorage({
      fetch: (call: ServerDuplexStream<any, any>) => {
        call.on('data', (req: { correlationId: bigint }) => {
          for (let i = 0; i < sizes.length; i++) call.write(fetchAnswer(req.correlationId * 100n + BigInt(i), filled(sizes[i]!, i)));
        });
        call.on('end', () => call.end());
      },
    });
    const seen: FetchResponse[] = [];
    const stream = storage.client.fetch();
    stream.on('error', () => {}); // ending the call at the end of the test
    try {
      const all = new Promise<void>((resolve, reject) => {
        stream.on('data', (m: FetchResponse) => {
          seen.push(m);
          if (seen.length === sizes.length * 2) resolve();
        });
        stream.on('error', reject);
      });
      stream.write(fetchRequest(1n));
      stream.write(fetchRequest(2n));
      await all;
      expect(seen.length).toBe(sizes.length * 2);
      for (let k = 0; k < seen.length; k++) {
        const i = k % sizes.length;
        expect(seen[k]!.correlationId).toBe(BigInt(Math.floor(k / sizes.length) + 1) * 100n + BigInt(i));
        expect(seen[k]!.partitions[0]!.records.equals(filled(sizes[i]!, i))).toBe(true);
      }
    } finally {
      stream.end();
      await storage.stop();
    }
  });
});

describe('storageServiceReleasingFetchRecords', () => {
  it('releases every partition buffer of an answer once it is serialised, and only then', () => {
    const released: Uint8Array[] = [];
    const a = filled(70_000, 1);
    const b = filled(300, 2);
    const m: FetchResponse = { correlationId: 9n, partitions: [fetchAnswer(0n, a).partitions[0]!, { ...fetchAnswer(0n, b).partitions[0]!, partition: 1 }] };
    const def = storageServiceReleasingFetchRecords((r) => {
      // The bytes are in the serialised answer already: scribbling over them changes nothing.
      released.push(r);
      Buffer.from(r.buffer, r.byteOffset, r.byteLength).fill(0);
    });
    const expected = encodeFetchResponse({ ...m, partitions: m.partitions.map((p) => ({ ...p, records: Buffer.from(p.records) })) });
    const out = def.fetch.responseSerialize(m);
    expect(released).toEqual([a, b]);
    expect(Buffer.from(out).equals(expected)).toBe(true);
    expect(def.replicaFetch.responseSerialize).toBe(serializeReplicaFetchResponse);
    expect(def.produce.requestSerialize).toBe(encodeProduceRequest);
  });
});
