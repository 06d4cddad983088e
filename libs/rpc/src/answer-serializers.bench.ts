// Encode cost of the small messages sent once per replicated append: the generated encoders vs
// the exact-size ones (CPU microseconds per message, in process).
//
//   npx esbuild libs/rpc/src/answer-serializers.bench.ts --bundle --platform=node --packages=external --outfile=tmp/answers.bench.js
//   node tmp/answers.bench.js
import { ProduceBatchResponse, ReplicaFetchRequest } from './generated/dms/storage/v1/storage';
import { encodeProduceBatchResponse, encodeReplicaFetchRequest } from './record-serializers';

const fetchRequest: ReplicaFetchRequest = {
  correlationId: 123_456n,
  replicaId: 2,
  maxWaitMs: 500,
  maxBytes: 10 * 1024 * 1024,
  partitions: [0, 3].map((partition) => ({
    topic: 'bench-table-rf3-1k-mxcohi5u',
    partition,
    fetchOffset: 1_234_567n,
    lastFetchedEpoch: 3,
    currentLeaderEpoch: 3,
    partitionMaxBytes: 1024 * 1024,
    logStartOffset: 0n,
  })),
};
const batchResponse: ProduceBatchResponse = {
  responses: [{ correlationId: 98_765n, partitions: [{ topic: 'bench-table-rf3-1k-mxcohi5u', partition: 3, errorCode: 0, errorMessage: '', baseOffset: 1_234_567n, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], appended: false }] }],
};

function time(name: string, fn: () => unknown): void {
  for (let i = 0; i < 20_000; i++) fn();
  const n = 200_000;
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) fn();
  const t = process.cpuUsage(t0);
  console.log(`${name.padEnd(40)} ${(((t.user + t.system) / n) * 1000).toFixed(0)} ns per message`);
}

time('ReplicaFetchRequest generated', () => ReplicaFetchRequest.encode(fetchRequest).finish());
time('ReplicaFetchRequest exact-size', () => encodeReplicaFetchRequest(fetchRequest));
time('ProduceBatchResponse generated', () => ProduceBatchResponse.encode(batchResponse).finish());
time('ProduceBatchResponse exact-size', () => encodeProduceBatchResponse(batchResponse));
