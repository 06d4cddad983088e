// CPU per request of StreamMux's own request path (copy, correlation id, pending entry, deadline,
// coalescing, exact-size ProduceBatch encoding, settling), without sockets: the stream is a fake
// that encodes each message and answers it on the next turn. process.cpuUsage per request, which
// other load on a shared machine disturbs far less than rates.
//
//   npx esbuild libs/rpc/src/stream-mux.bench.ts --bundle --platform=node --packages=external --outfile=tmp/mux.bench.js
//   node tmp/mux.bench.js [requests-per-run] [requests-per-turn] [runs]
import { EventEmitter } from 'node:events';
import { StreamMux } from './stream-mux';
import { encodeProduceBatchRequest } from './record-serializers';
import type { ProduceBatchRequest, ProduceBatchResponse, ProduceRequest, ProduceResponse } from './generated/dms/storage/v1/storage';

class AnsweringStream extends EventEmitter {
  write(m: ProduceBatchRequest): boolean {
    encodeProduceBatchRequest(m);
    const responses: ProduceResponse[] = m.requests.map((r) => ({ correlationId: r.correlationId, partitions: [] }));
    setImmediate(() => this.emit('data', { responses } as ProduceBatchResponse));
    return true;
  }
  end(): void {}
  cancel(): void {}
}

const records = Buffer.alloc(100, 1);
const body = () => ({ acks: 1, timeoutMs: 30_000, partitions: [{ topic: 'bench-topic', partition: 0, records }], traceContext: {} });

async function run(n: number, perTurn: number): Promise<number> {
  const mux = new StreamMux<ProduceRequest, ProduceResponse, ProduceBatchRequest, ProduceBatchResponse>(() => new AnsweringStream() as never, {
    propagateTraceContext: false,
    coalesce: { pack: (requests) => ({ requests }), unpack: (m) => m.responses, weight: (r) => r.partitions[0]!.records.length },
  });
  const t0 = process.cpuUsage();
  for (let done = 0; done < n; done += perTurn) {
    const turn: Promise<unknown>[] = [];
    for (let i = 0; i < perTurn; i++) turn.push(mux.request(body()));
    await Promise.all(turn);
  }
  const d = process.cpuUsage(t0);
  mux.close();
  return (d.user + d.system) / n;
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 200_000);
  const perTurn = Number(process.argv[3] ?? 64);
  const runs = Number(process.argv[4] ?? 6);
  await run(n / 4, perTurn); // warm-up
  const us: number[] = [];
  for (let r = 0; r < runs; r++) us.push(await run(n, perTurn));
  const median = [...us].sort((a, b) => a - b)[Math.floor(us.length / 2)]!;
  console.log(`${perTurn} requests per turn: ${median.toFixed(2)} µs CPU per request (median; runs ${us.map((x) => x.toFixed(2)).join(' ')})`);
}

void main();
