/**
 * Micro benchmark, not a spec: the broker's consumer-fetch serving path in one process, per byte.
 * Writes 256 MB of 100-record batches of 1 KiB records, then reads it back from the start the
 * way handleFetch does (1 MiB per partition read, from disk: the page cache, not the log's
 * in-memory tail) and serialises each answer as the gRPC server does (the response serialiser,
 * then grpc-js's framing copy behind a 5-byte header). Three variants, run in turns:
 *   fresh  - a fresh buffer per read and per serialised answer (before perf-bytes)
 *   scratch - answers serialised into the reused scratch buffer
 *   pooled  - the scratch buffer and disk reads into ReadBufferPool buffers released after serialising
 *   framed-fresh  - pooled reads, each answer encoded once behind its frame header into a fresh
 *                   buffer (our own framing, no grpc-js copy: decision 0033's lean streams)
 *   framed-pooled - as framed-fresh into a frame buffer reused once sent (what a write-done hook
 *                   on the lean server stream would allow): no allocation per answer
 * Reports MB/s, CPU seconds (all threads) per 100 MB and GC milliseconds per 100 MB.
 * Run from the repository root (stdin resolves node_modules from there):
 *   npx esbuild libs/storage/src/fetch-serve.bench.ts --bundle --platform=node --packages=external | node -
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { buildRecordBatch } from '@dms/kafka-codec';
import { PartitionLog, ReadBufferPool } from '@dms/log';
import { encodeFetchResponse, framedOutput, frameOf, serializeFetchResponse, type FetchResponse } from '@dms/rpc';

const TOTAL = 256 * 1024 * 1024;
const READ_BYTES = 1 << 20;
const ROUNDS = 3;

type Variant = 'fresh' | 'scratch' | 'pooled' | 'framed-fresh' | 'framed-pooled';

let gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration;
}).observe({ entryTypes: ['gc'] });

/** grpc-js 1.14's server framing: a fresh buffer of the message plus its 5-byte header, one copy. */
function frame(message: Buffer): Buffer {
  const out = Buffer.allocUnsafe(message.length + 5);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  message.copy(out, 5);
  return out;
}

/** One frame buffer reused for every answer (sent, in this process, before the next is encoded). */
let frameSpace = Buffer.alloc(0);
function reusedFrame(size: number): Buffer {
  if (frameSpace.length < size + 5) frameSpace = Buffer.allocUnsafeSlow(2 ** Math.ceil(Math.log2(size + 5)));
  frameSpace[0] = 0;
  frameSpace.writeUInt32BE(size, 1);
  return frameSpace.subarray(5, 5 + size);
}

function framedAnswer(m: FetchResponse, variant: Variant): Buffer {
  if (variant === 'framed-fresh') return frameOf(encodeFetchResponse(m, framedOutput));
  if (variant === 'framed-pooled') return frameOf(encodeFetchResponse(m, reusedFrame));
  return frame(variant === 'fresh' ? encodeFetchResponse(m) : serializeFetchResponse(m));
}

async function serveAll(log: PartitionLog, variant: Variant, pool: ReadBufferPool): Promise<number> {
  let offset = 0n;
  let bytes = 0;
  let sink = 0;
  const end = log.logEndOffset;
  while (offset < end) {
    const { records } = await log.read(offset, READ_BYTES, { upperBound: end, minOneBatch: true, pool: variant === 'fresh' || variant === 'scratch' ? undefined : pool });
    if (records.length === 0) break;
    const m: FetchResponse = {
      correlationId: 1n,
      partitions: [{ topic: 'bench', partition: 0, errorCode: 0, highWatermark: end, lastStableOffset: end, logStartOffset: 0n, records, abortedTransactions: [] }],
    };
    const framed = framedAnswer(m, variant);
    pool.release(records);
    sink ^= framed[framed.length - 1]!;
    bytes += records.length;
    // The last batch's base offset plus its last offset delta, as the fetch loop moves on.
    let pos = 0;
    let last = offset;
    while (pos + 61 <= records.length) {
      last = records.readBigInt64BE(pos) + BigInt(records.readInt32BE(pos + 23));
      pos += 12 + records.readInt32BE(pos + 8);
    }
    offset = last + 1n;
  }
  if (sink === 256) console.log('');
  return bytes;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'dms-fetch-serve-bench-'));
  try {
    const value = Buffer.alloc(1024, 'x');
    const template = await buildRecordBatch({ records: Array.from({ length: 100 }, () => ({ value })) });
    const log = await PartitionLog.open(dir, { segmentBytes: 512 << 20 });
    const pending = new Set<Promise<unknown>>();
    for (let written = 0; written < TOTAL; written += template.length) {
      const p = log.append(Buffer.from(template), { leaderEpoch: 0 }).finally(() => pending.delete(p));
      pending.add(p);
      if (pending.size >= 16) await Promise.race(pending);
    }
    await Promise.all(pending);
    log.highWatermark = log.logEndOffset;
    const pool = new ReadBufferPool();
    const variants: Variant[] = ['fresh', 'scratch', 'pooled', 'framed-fresh', 'framed-pooled'];
    await serveAll(log, 'fresh', pool); // warm the page cache and the JIT
    for (let round = 0; round < ROUNDS; round++) {
      for (const v of variants) {
        gcMs = 0;
        const cpu = process.cpuUsage();
        const t0 = performance.now();
        const bytes = await serveAll(log, v, pool);
        const wall = (performance.now() - t0) / 1000;
        const used = process.cpuUsage(cpu);
        const per100 = 1e8 / bytes;
        console.log(
          `${v.padEnd(8)} ${(bytes / 1e6 / wall).toFixed(0).padStart(5)} MB/s  CPU ${(((used.user + used.system) / 1e6) * per100).toFixed(3)} s/100MB` +
            ` (user ${((used.user / 1e6) * per100).toFixed(3)}, sys ${((used.system / 1e6) * per100).toFixed(3)})  GC ${(gcMs * per100).toFixed(1)} ms/100MB`,
        );
      }
    }
    await log.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
