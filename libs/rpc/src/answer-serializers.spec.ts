import { ProduceBatchResponse, ProduceResponse, ReplicaFetchRequest } from './generated/dms/storage/v1/storage';
import { encodeProduceBatchResponse, encodeProduceResponse, encodeReplicaFetchRequest } from './record-serializers';
import { StorageServiceService } from './storage-service-def';

const generated = <T>(fns: { encode(m: T): { finish(): Uint8Array } }, m: T) => Buffer.from(fns.encode(m).finish());

function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: T[]): T => xs[int(0, xs.length - 1)]!;
  return { next, int, pick };
}

const INT32S = [0, 1, -1, 127, 128, 16383, 16384, 0x7fffffff, -0x80000000, 3, -7];
const INT64S = [0n, 1n, -1n, -2n, 127n, 128n, 2n ** 31n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n)];
const UINT64S = [0n, 1n, 127n, 128n, 300n, 2n ** 32n, 2n ** 53n + 5n, 2n ** 64n - 1n];
const STRINGS = ['', 't', 'orders-eu', '__consumer_offsets', 'ünïcödé-☃', 'x'.repeat(200)];

function produceResponse(r: ReturnType<typeof rng>): ProduceResponse {
  return {
    correlationId: r.pick(UINT64S),
    partitions: Array.from({ length: r.int(0, 3) }, () => ({
      topic: r.pick(STRINGS),
      partition: r.pick(INT32S),
      errorCode: r.pick(INT32S),
      errorMessage: r.pick(STRINGS),
      baseOffset: r.pick(INT64S),
      logAppendTimeMs: r.pick(INT64S),
      logStartOffset: r.pick(INT64S),
      recordErrors: Array.from({ length: r.pick([0, 0, 1, 3]) }, () => ({ batchIndex: r.pick(INT32S), message: r.pick(STRINGS) })),
      appended: r.next() < 0.5,
    })),
  };
}

describe('exact-size serialisers of the per-append control messages', () => {
  it('ReplicaFetchRequest: byte-identical, with and without the optional log start offset', () => {
    const r = rng(7);
    for (let i = 0; i < 400; i++) {
      const m: ReplicaFetchRequest = {
        correlationId: r.pick(UINT64S),
        replicaId: r.pick(INT32S),
        maxWaitMs: r.pick(INT32S),
        maxBytes: r.pick(INT32S),
        partitions: Array.from({ length: r.int(0, 5) }, () => ({
          topic: r.pick(STRINGS),
          partition: r.pick(INT32S),
          fetchOffset: r.pick(INT64S),
          lastFetchedEpoch: r.pick(INT32S),
          currentLeaderEpoch: r.pick(INT32S),
          partitionMaxBytes: r.pick(INT32S),
          // An optional field is written when present, 0 included.
          logStartOffset: r.next() < 0.3 ? undefined : r.pick(INT64S),
        })),
      };
      const ours = encodeReplicaFetchRequest(m);
      expect(ours.equals(generated(ReplicaFetchRequest, m))).toBe(true);
      expect(ReplicaFetchRequest.decode(ours)).toEqual(m);
    }
  });

  it('ProduceResponse and ProduceBatchResponse: byte-identical, with record errors and the appended flag', () => {
    const r = rng(11);
    for (let i = 0; i < 300; i++) {
      const one = produceResponse(r);
      expect(encodeProduceResponse(one).equals(generated(ProduceResponse, one))).toBe(true);
      const batch: ProduceBatchResponse = { responses: Array.from({ length: r.int(0, 4) }, () => produceResponse(r)) };
      const ours = encodeProduceBatchResponse(batch);
      expect(ours.equals(generated(ProduceBatchResponse, batch))).toBe(true);
      expect(ProduceBatchResponse.decode(ours)).toEqual(batch);
    }
  });

  it('rejects what the generated encoders reject', () => {
    const p = { topic: 't', partition: 0, fetchOffset: 0n, lastFetchedEpoch: 0, currentLeaderEpoch: 0, partitionMaxBytes: 0 };
    const base: ReplicaFetchRequest = { correlationId: 1n, replicaId: 1, maxWaitMs: 500, maxBytes: 0, partitions: [p] };
    expect(() => encodeReplicaFetchRequest({ ...base, partitions: [{ ...p, fetchOffset: 2n ** 63n }] })).toThrow(/int64 too large/);
    expect(() => encodeReplicaFetchRequest({ ...base, partitions: [{ ...p, logStartOffset: -(2n ** 63n) - 1n }] })).toThrow(/int64 too large/);
    expect(() => encodeReplicaFetchRequest({ ...base, replicaId: 1.5 })).toThrow(/invalid int32/);
    expect(() => encodeProduceResponse({ correlationId: -1n, partitions: [] })).toThrow(/uint64 too large/);
  });

  it('is what the StorageService definition uses', () => {
    expect(StorageServiceService.replicaFetch.requestSerialize).toBe(encodeReplicaFetchRequest);
    expect(StorageServiceService.produce.responseSerialize).toBe(encodeProduceResponse);
    expect(StorageServiceService.produceBatch.responseSerialize).toBe(encodeProduceBatchResponse);
  });
});
