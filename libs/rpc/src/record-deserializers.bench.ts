// Decode cost of the messages on the replicated produce path: the generated decoders vs the
// hand-written ones (CPU nanoseconds per message, in process, A/B alternated ROUNDS times).
//
//   npx esbuild libs/rpc/src/record-deserializers.bench.ts --bundle --platform=node --packages=external --outfile=tmp/decode.bench.js
//   ROUNDS=5 node tmp/decode.bench.js
import {
  FetchRequest,
  ProduceBatchRequest,
  ProduceBatchResponse,
  ProduceResponse,
  ReplicaFetchRequest,
  ReplicaFetchResponse,
} from './generated/dms/storage/v1/storage';
import { decodeFetchRequest } from './fetch-deserializers';
import { decodeProduceBatchRequest, decodeProduceBatchResponse, decodeReplicaFetchRequest, decodeReplicaFetchResponse } from './record-deserializers';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const TOPIC = 'bench-table-rf3-1k-mxcohi5u';
const batch = Buffer.alloc(1024 + 61, 7);

const fetchRequest = ReplicaFetchRequest.encode({
  correlationId: 123_456n,
  replicaId: 2,
  maxWaitMs: 500,
  maxBytes: 10 * 1024 * 1024,
  partitions: [0, 3].map((partition) => ({
    topic: TOPIC,
    partition,
    fetchOffset: 1_234_567n,
    lastFetchedEpoch: 3,
    currentLeaderEpoch: 3,
    partitionMaxBytes: 1024 * 1024,
    logStartOffset: 0n,
  })),
}).finish();

const fetchResponse = ReplicaFetchResponse.encode({
  correlationId: 123_456n,
  partitions: [{ topic: TOPIC, partition: 3, errorCode: 0, highWatermark: 1_234_566n, logStartOffset: 0n, records: batch, divergingEpoch: undefined }],
}).finish();

const produceRequests = (n: number) =>
  ProduceBatchRequest.encode({
    requests: Array.from({ length: n }, (_, i) => ({
      correlationId: 98_765n + BigInt(i),
      acks: -1,
      timeoutMs: 30_000,
      partitions: [{ topic: TOPIC, partition: i % 6, records: batch }],
      traceContext: {},
    })),
  }).finish();

const answer = (i: number): ProduceResponse => ({
  correlationId: 98_765n + BigInt(i),
  partitions: [{ topic: TOPIC, partition: i % 6, errorCode: 0, errorMessage: '', baseOffset: 1_234_567n + BigInt(i), logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], appended: false }],
});
const produceAnswers = (n: number) => ProduceBatchResponse.encode({ responses: Array.from({ length: n }, (_, i) => answer(i)) }).finish();

const consumerFetch = FetchRequest.encode({
  correlationId: 55n,
  maxWaitMs: 500,
  minBytes: 1,
  maxBytes: 50 << 20,
  isolationLevel: 0,
  partitions: [0, 1, 2, 3, 4, 5].map((partition) => ({ topic: TOPIC, partition, fetchOffset: 1_234_567n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: 3 })),
  traceContext: {},
  wakeCorrelationId: 0n,
}).finish();

const cases: [string, Uint8Array, (b: Uint8Array) => unknown, (b: Uint8Array) => unknown][] = [
  ['ReplicaFetchRequest (2 partitions)', fetchRequest, (b) => ReplicaFetchRequest.decode(b), decodeReplicaFetchRequest],
  ['ReplicaFetchResponse (1 x 1 KiB)', fetchResponse, (b) => ReplicaFetchResponse.decode(b), decodeReplicaFetchResponse],
  ['ProduceBatchRequest (1 x 1 KiB)', produceRequests(1), (b) => ProduceBatchRequest.decode(b), decodeProduceBatchRequest],
  ['ProduceBatchRequest (16 x 1 KiB)', produceRequests(16), (b) => ProduceBatchRequest.decode(b), decodeProduceBatchRequest],
  ['ProduceBatchResponse (1 answer)', produceAnswers(1), (b) => ProduceBatchResponse.decode(b), decodeProduceBatchResponse],
  ['ProduceBatchResponse (16 answers)', produceAnswers(16), (b) => ProduceBatchResponse.decode(b), decodeProduceBatchResponse],
  ['FetchRequest (6 partitions)', consumerFetch, (b) => FetchRequest.decode(b), decodeFetchRequest],
];

let sink = 0;

function time(bytes: Uint8Array, fn: (b: Uint8Array) => unknown, n: number): number {
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) if (fn(bytes) !== undefined) sink++;
  const t = process.cpuUsage(t0);
  return ((t.user + t.system) / n) * 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

for (const [name, bytes, generated, ours] of cases) {
  const n = bytes.length > 4096 ? 20_000 : 100_000;
  time(bytes, generated, n / 5);
  time(bytes, ours, n / 5);
  const a: number[] = [];
  const b: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    a.push(time(bytes, generated, n));
    b.push(time(bytes, ours, n));
  }
  const fmt = (xs: number[]) => xs.map((x) => x.toFixed(0)).join('/');
  console.log(`${name.padEnd(36)} generated ${median(a).toFixed(0).padStart(5)} ns (${fmt(a)})  hand-written ${median(b).toFixed(0).padStart(5)} ns (${fmt(b)})  ${(median(a) / median(b)).toFixed(2)}x`);
}
if (sink < 0) console.log(sink);
