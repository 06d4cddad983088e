import {
  FetchRequest,
  FetchResponse,
  ProduceBatchRequest,
  ProduceBatchResponse,
  ProduceResponse,
  ReplicaFetchRequest,
  ReplicaFetchResponse,
} from './generated/dms/storage/v1/storage';
import { decodeFetchRequest, decodeFetchResponse } from './fetch-deserializers';
import {
  decodeProduceBatchRequest,
  decodeProduceBatchResponse,
  decodeProduceRequest,
  decodeProduceResponse,
  decodeReplicaFetchRequest,
  decodeReplicaFetchResponse,
} from './record-deserializers';
import { StorageServiceService } from './storage-service-def';

// The hand-written decoders against the generated ones, field by field, on what the generated
// encoders write: every 64-bit edge around 2^k for k = 7…63 (both sides of the Number fast path),
// negative int32 and int64 (ten-byte varints), empty and absent fields, repeated topics and
// names that collide in the topic cache.

const encoded = <T>(fns: { encode(m: T): { finish(): Uint8Array } }, m: T) => Buffer.from(fns.encode(m).finish());

const around = (x: bigint) => [x - 1n, x, x + 1n];
const POWERS = Array.from({ length: 57 }, (_, i) => BigInt(i + 7)).flatMap((k) => around(2n ** k));
const INT64_MAX = 2n ** 63n - 1n;
const INT64S = [0n, 1n, -1n, -2n, 127n, 128n, ...POWERS.filter((v) => v <= INT64_MAX), ...POWERS.filter((v) => v <= 2n ** 63n).map((v) => -v)];
const UINT64S = [0n, 1n, 127n, 128n, ...POWERS, 2n ** 64n - 1n, 2n ** 64n - 2n];
const INT32S = [0, 1, -1, 127, 128, 2 ** 31 - 1, -(2 ** 31), -129, 300, 0x7fffffff - 1];
const TOPICS = ['t', 'orders-eu', 'abcdef', 'abcdefg', 'abcdé', 'x'.repeat(32), 'x'.repeat(33), 'y'.repeat(300), 'ünïcödé-☃', '\ud83d\ude00', 'é'.repeat(40), ''];

function replicaFetchResponse(v: bigint, correlationId: bigint, topics: string[], i32 = 3): ReplicaFetchResponse {
  return {
    correlationId,
    partitions: topics.map((topic, i) => ({
      topic,
      partition: i % 2 ? i32 : i,
      errorCode: i % 3 ? 0 : i32,
      highWatermark: v,
      logStartOffset: v === -(2n ** 63n) ? v : -v,
      records: i % 2 ? Buffer.from(`records of ${topic}`) : Buffer.alloc(0),
      divergingEpoch: i % 2 ? { epoch: i32, endOffset: v } : undefined,
    })),
  };
}

function replicaFetchRequest(v: bigint, logStartOffset: bigint | undefined, correlationId: bigint, topics: string[], i32 = 3): ReplicaFetchRequest {
  return {
    correlationId,
    replicaId: i32,
    maxWaitMs: 500,
    maxBytes: 1 << 20,
    partitions: topics.map((topic, i) => ({
      topic,
      partition: i,
      fetchOffset: v,
      lastFetchedEpoch: i32,
      currentLeaderEpoch: -1,
      partitionMaxBytes: 0x7fffffff,
      logStartOffset,
    })),
  };
}

function produceBatchResponse(v: bigint, correlationId: bigint, topics: string[], i32 = 0): ProduceBatchResponse {
  const one = (c: bigint): ProduceResponse => ({
    correlationId: c,
    partitions: topics.map((topic, i) => ({
      topic,
      partition: i,
      errorCode: i32,
      errorMessage: i % 2 ? `error on ${topic}` : '',
      baseOffset: v,
      logAppendTimeMs: v === -(2n ** 63n) ? v : -v,
      logStartOffset: v < 0n ? -v - 1n : v,
      recordErrors: i % 2 ? [{ batchIndex: i32, message: topic }, { batchIndex: 0, message: '' }] : [],
      appended: i % 2 === 1,
    })),
  });
  return { responses: [one(correlationId), one(0n)] };
}

function produceBatchRequest(correlationId: bigint, topics: string[], i32 = -1): ProduceBatchRequest {
  return {
    requests: [
      {
        correlationId,
        acks: i32,
        timeoutMs: 30_000,
        partitions: topics.map((topic, i) => ({ topic, partition: i, records: i % 2 ? Buffer.alloc(0) : Buffer.from(`batch ${i}`) })),
        traceContext: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: '', '': 'empty key' },
      },
      { correlationId: 0n, acks: 0, timeoutMs: 0, partitions: [], traceContext: {} },
    ],
  };
}

function fetchResponse(v: bigint, correlationId: bigint, topics: string[]): FetchResponse {
  return {
    correlationId,
    partitions: topics.map((topic, i) => ({
      topic,
      partition: i,
      errorCode: 0,
      highWatermark: v,
      lastStableOffset: v === -(2n ** 63n) ? v : -v,
      logStartOffset: 0n,
      records: Buffer.from(`fetched ${i}`),
      abortedTransactions: i % 2 ? [{ producerId: v, firstOffset: -1n }] : [],
    })),
  };
}

/** Both decoders on the generated encoder's bytes: the same object, and records are views of the input. */
function same<T>(fns: { encode(m: T): { finish(): Uint8Array }; decode(b: Uint8Array): T }, decode: (b: Uint8Array) => T, m: T): [T, Buffer] {
  const bytes = encoded(fns, m);
  const ours = decode(bytes);
  expect(ours).toStrictEqual(fns.decode(bytes));
  expect(ours).toStrictEqual(m);
  return [ours, bytes];
}

function expectViews(bytes: Buffer, records: Buffer[]): void {
  for (const r of records) {
    expect(Buffer.isBuffer(r)).toBe(true);
    if (r.length > 0) expect(r.buffer).toBe(bytes.buffer);
  }
}

describe('hand-written decoders of the replicated produce path', () => {
  it('edge values include every 2^k ± 1 for k = 7…63 and the Number fast path bounds', () => {
    for (const k of [7, 28, 31, 32, 49, 53, 56, 63]) for (const v of around(2n ** BigInt(k))) expect(UINT64S).toContain(v);
    for (const v of [2n ** 53n - 1n, 2n ** 53n, -(2n ** 53n), -(2n ** 53n) - 1n, INT64_MAX, -(2n ** 63n)]) expect(INT64S).toContain(v);
  });

  it('ReplicaFetchResponse: every int64 and uint64 edge, negative int32, absent divergingEpoch and records', () => {
    INT64S.forEach((v, i) => {
      const c = UINT64S[i % UINT64S.length]!;
      const m = replicaFetchResponse(v, c, TOPICS, INT32S[i % INT32S.length]!);
      const [ours, bytes] = same(ReplicaFetchResponse, decodeReplicaFetchResponse, m);
      expectViews(bytes, ours.partitions.map((p) => p.records));
      for (const p of ours.partitions) expect(typeof p.highWatermark).toBe('bigint');
    });
    for (const c of UINT64S) same(ReplicaFetchResponse, decodeReplicaFetchResponse, replicaFetchResponse(-1n, c, ['t']));
    same(ReplicaFetchResponse, decodeReplicaFetchResponse, { correlationId: 0n, partitions: [] });
  });

  it('ReplicaFetchRequest: every edge, logStartOffset present as 0 and absent', () => {
    INT64S.forEach((v, i) => {
      const c = UINT64S[i % UINT64S.length]!;
      same(ReplicaFetchRequest, decodeReplicaFetchRequest, replicaFetchRequest(v, v, c, TOPICS, INT32S[i % INT32S.length]!));
    });
    const [zero] = same(ReplicaFetchRequest, decodeReplicaFetchRequest, replicaFetchRequest(0n, 0n, 1n, ['t']));
    expect(zero.partitions[0]!.logStartOffset).toBe(0n);
    const [absent] = same(ReplicaFetchRequest, decodeReplicaFetchRequest, replicaFetchRequest(5n, undefined, 1n, ['t']));
    expect('logStartOffset' in absent.partitions[0]!).toBe(true);
    expect(absent.partitions[0]!.logStartOffset).toBeUndefined();
  });

  it('ProduceBatchResponse: every edge, record errors, appended, an answer with only defaults', () => {
    INT64S.forEach((v, i) => {
      same(ProduceBatchResponse, decodeProduceBatchResponse, produceBatchResponse(v, UINT64S[i % UINT64S.length]!, TOPICS, INT32S[i % INT32S.length]!));
    });
    same(ProduceBatchResponse, decodeProduceBatchResponse, { responses: [] });
    same(ProduceResponse, decodeProduceResponse, produceBatchResponse(2n ** 40n, 9n, TOPICS).responses[0]!);
  });

  it('ProduceBatchRequest: trace context entries, empty records, negative acks, records as views', () => {
    for (const c of UINT64S) {
      const m = produceBatchRequest(c, TOPICS, INT32S[Number(c % BigInt(INT32S.length))]!);
      const [ours, bytes] = same(ProduceBatchRequest, decodeProduceBatchRequest, m);
      expectViews(bytes, ours.requests.flatMap((q) => q.partitions.map((p) => p.records)));
    }
  });

  it('FetchResponse: every edge, aborted transactions, records as views', () => {
    for (const v of INT64S) {
      const m = fetchResponse(v, 3n, TOPICS);
      const [ours, bytes] = same(FetchResponse, decodeFetchResponse, m);
      expectViews(bytes, ours.partitions.map((p) => p.records));
    }
  });

  it('FetchRequest: every edge, trace context, a wake request with no partitions', () => {
    INT64S.forEach((v, i) => {
      const m: FetchRequest = {
        correlationId: UINT64S[i % UINT64S.length]!,
        maxWaitMs: 500,
        minBytes: INT32S[i % INT32S.length]!,
        maxBytes: 50 << 20,
        isolationLevel: 1,
        partitions: TOPICS.map((topic, p) => ({ topic, partition: p, fetchOffset: v, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1 })),
        traceContext: i % 2 ? { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } : {},
        wakeCorrelationId: 0n,
      };
      same(FetchRequest, decodeFetchRequest, m);
    });
    const wake = { correlationId: 9n, maxWaitMs: 0, minBytes: 0, maxBytes: 0, isolationLevel: 0, partitions: [], traceContext: {}, wakeCorrelationId: 2n ** 64n - 1n };
    same(FetchRequest, decodeFetchRequest, wake);
  });

  it('topic names that share a cache slot decode to their own strings', () => {
    // Same length, same first and last byte: the same slot; alternate them within and across messages.
    const names = ['tab', 'txb', 'tab', 'tçb', 'tab', 'tzb', 'tzb', 'a'.repeat(255), 'a'.repeat(254) + 'b', 'a'.repeat(256)];
    for (let i = 0; i < names.length; i++) {
      const m = replicaFetchResponse(BigInt(i), 1n, [names[i]!, names[(i + 1) % names.length]!, names[i]!]);
      same(ReplicaFetchResponse, decodeReplicaFetchResponse, m);
    }
  });

  it('the storage service definition decodes with these decoders on both transports', () => {
    const m = produceBatchRequest(42n, ['orders']);
    expect(StorageServiceService.produceBatch.requestDeserialize(encoded(ProduceBatchRequest, m))).toStrictEqual(m);
    const a = produceBatchResponse(7n, 42n, ['orders']);
    expect(StorageServiceService.produceBatch.responseDeserialize(encoded(ProduceBatchResponse, a))).toStrictEqual(a);
    const f = replicaFetchRequest(7n, 0n, 42n, ['orders']);
    expect(StorageServiceService.replicaFetch.requestDeserialize(encoded(ReplicaFetchRequest, f))).toStrictEqual(f);
    const g = replicaFetchResponse(7n, 42n, ['orders']);
    expect(StorageServiceService.replicaFetch.responseDeserialize(encoded(ReplicaFetchResponse, g))).toStrictEqual(g);
    expect(StorageServiceService.replicaFetch.responseDeserialize).toBe(decodeReplicaFetchResponse);
    expect(StorageServiceService.fetch.requestDeserialize).toBe(decodeFetchRequest);
    expect(StorageServiceService.fetch.responseDeserialize).toBe(decodeFetchResponse);
    expect(StorageServiceService.produce.requestDeserialize).toBe(decodeProduceRequest);
  });
});
