/**
 * Micro benchmark, not a spec: the leader side of replication factor 3 in one process. Appends
 * 300 MB in 100-record batches of 1 KiB records (16 appends in flight, as the bench tool's
 * producer) while two tail readers (the followers) read from their own offset up to the log end.
 * Reports append MB/s and CPU seconds (all threads) per 100 MB appended.
 * Run from the repository root (stdin resolves node_modules from there):
 *   npx esbuild libs/log/src/log-follow.bench.ts --bundle --platform=node --packages=external | node -
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BATCH, BATCH_LOG_OVERHEAD, buildRecordBatch } from '@dms/kafka-codec';
import { PartitionLog } from './partition-log';

const TOTAL = 300 * 1024 * 1024;
const IN_FLIGHT = 16;
const READERS = 2;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'dms-log-follow-bench-'));
  try {
    const value = Buffer.alloc(1024, 'x');
    const template = await buildRecordBatch({ records: Array.from({ length: 100 }, () => ({ value })) });
    const count = Math.ceil(TOTAL / template.length);
    const log = await PartitionLog.open(dir, { segmentBytes: 256 << 20 });
    const cpu = process.cpuUsage();
    const started = performance.now();
    let producing = true;
    let read = 0;
    const follow = async () => {
      let offset = 0n;
      while (producing || offset < log.logEndOffset) {
        const { records } = await log.read(offset, 1 << 20, { upperBound: log.logEndOffset, minOneBatch: true });
        if (records.length === 0) {
          // Stands in for the long poll: let the appends run.
          await new Promise((r) => setImmediate(r));
          continue;
        }
        read += records.length;
        let last = 0;
        for (let at = 0; at < records.length; at += records.readInt32BE(at + BATCH.batchLength) + BATCH_LOG_OVERHEAD) last = at;
        offset = records.readBigInt64BE(last) + BigInt(records.readInt32BE(last + BATCH.lastOffsetDelta)) + 1n;
      }
    };
    const readers = Array.from({ length: READERS }, follow);
    const inflight = new Set<Promise<unknown>>();
    for (let i = 0; i < count; i++) {
      const p = log.append(Buffer.from(template), { leaderEpoch: 0 }).finally(() => inflight.delete(p));
      inflight.add(p);
      if (inflight.size >= IN_FLIGHT) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    producing = false;
    await Promise.all(readers);
    const used = process.cpuUsage(cpu);
    const secs = (performance.now() - started) / 1000;
    const mb = log.size() / 1e6;
    console.log(
      `append with ${READERS} tail readers: ${(mb / secs).toFixed(0)} MB/s, ${(((used.user + used.system) / 1e6 / mb) * 100).toFixed(2)} CPU s per 100 MB ` +
        `(${mb.toFixed(0)} MB, ${log.stats().writeCalls} writev calls, ${(read / 1e6).toFixed(0)} MB read)`,
    );
    if (read !== READERS * log.size()) throw new Error(`read ${read} bytes, expected ${READERS * log.size()}`);
    await log.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
