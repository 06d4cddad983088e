/**
 * Micro benchmark, not a spec: appends 200 MB in 16 KiB batches (64 appends in flight, as
 * concurrent producers would) and reads it all back with 1 MiB fetches.
 * Run from the repository root (stdin resolves node_modules from there):
 *   npx esbuild libs/log/src/log.bench.ts --bundle --platform=node --packages=external | node -
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BATCH, buildRecordBatch } from '@dms/kafka-codec';
import { PartitionLog } from './partition-log';

const TOTAL = 200 * 1024 * 1024;
const IN_FLIGHT = 64;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'dms-log-bench-'));
  try {
    const value = Buffer.alloc(1000, 'x');
    const template = await buildRecordBatch({ records: Array.from({ length: 16 }, () => ({ value })) });
    const count = Math.ceil(TOTAL / template.length);
    const log = await PartitionLog.open(dir, { segmentBytes: 64 << 20 });

    let started = performance.now();
    const inflight = new Set<Promise<unknown>>();
    for (let i = 0; i < count; i++) {
      // Each produce request owns its buffer; the log rewrites its header in place.
      const p = log.append(Buffer.from(template), { leaderEpoch: 0 }).finally(() => inflight.delete(p));
      inflight.add(p);
      if (inflight.size >= IN_FLIGHT) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    const bytes = log.size();
    report('append', bytes, started, `${count} batches of ${template.length} B, ${log.stats().writeCalls} writev calls`);

    log.highWatermark = log.logEndOffset;
    started = performance.now();
    let offset = 0n;
    let read = 0;
    while (offset < log.logEndOffset) {
      const { records } = await log.read(offset, 1 << 20, { upperBound: log.highWatermark, minOneBatch: true });
      read += records.length;
      const lastBatch = records.length - template.length;
      offset = records.readBigInt64BE(lastBatch) + BigInt(records.readInt32BE(lastBatch + BATCH.lastOffsetDelta)) + 1n;
    }
    report('read', read, started, '1 MiB fetches');
    if (read !== bytes) throw new Error(`read ${read} bytes of ${bytes}`);
    await log.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function report(what: string, bytes: number, started: number, detail: string): void {
  const secs = (performance.now() - started) / 1000;
  console.log(`${what}: ${(bytes / 1e6 / secs).toFixed(0)} MB/s (${(bytes / 1e6).toFixed(0)} MB in ${secs.toFixed(2)} s; ${detail})`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
