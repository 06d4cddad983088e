/**
 * Micro benchmark, not a spec: the log cleaner's throughput (MB of log cleaned per second) and
 * what appends do while it runs. Fills a log with ~100 MB of updates over 10,000 keys (16 records
 * of 1 KiB a batch, 16 MiB segments), measures appends alone, then one cleaning round over every
 * closed segment while the same appends run beside it, and the longest event-loop stall.
 * Run from the repository root (stdin resolves node_modules from there):
 *   npx esbuild libs/log/src/cleaner/compaction.bench.ts --bundle --platform=node --packages=external | node - [none|lz4|zstd]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { buildRecordBatch, CompressionType } from '@dms/kafka-codec';
import { PartitionLog } from '../partition-log';
import { cleanableRange } from './cleanable-range';
import { compactLog } from './log-compactor';
import { OffsetMap } from './offset-map';

const FILL_BYTES = 100 * 1024 * 1024;
const KEYS = 10_000;
const PER_BATCH = 16;
const IN_FLIGHT = 16;
const APPEND_PHASE_MS = 4_000;

async function main(): Promise<void> {
  const codec = process.argv[2] ?? 'none';
  const compression = { none: CompressionType.None, lz4: CompressionType.Lz4, zstd: CompressionType.Zstd }[codec];
  if (compression === undefined) throw new Error(`unknown codec ${codec}`);
  const dir = await mkdtemp(join(tmpdir(), 'dms-cleaner-bench-'));
  try {
    const value = Buffer.alloc(1000, 'x');
    let n = 0;
    const batches: Buffer[] = [];
    for (let b = 0; b < 256; b++) {
      const records = Array.from({ length: PER_BATCH }, () => ({ key: `key-${n++ % KEYS}`, value }));
      batches.push(await buildRecordBatch({ records, compression }));
    }
    const log = await PartitionLog.open(dir, { segmentBytes: 16 << 20 });
    let i = 0;
    const appendFor = async (stop: () => boolean) => {
      const started = performance.now();
      let bytes = 0;
      const latencies: number[] = [];
      const inflight = new Set<Promise<unknown>>();
      while (!stop()) {
        const batch = Buffer.from(batches[i++ % batches.length]!);
        bytes += batch.length;
        const t = performance.now();
        const p = log.append(batch, { leaderEpoch: 0 }).then(() => latencies.push(performance.now() - t)).finally(() => inflight.delete(p));
        inflight.add(p);
        if (inflight.size >= IN_FLIGHT) await Promise.race(inflight);
      }
      await Promise.all(inflight);
      log.highWatermark = log.logEndOffset;
      latencies.sort((a, b) => a - b);
      const secs = (performance.now() - started) / 1000;
      return { mbps: bytes / 1e6 / secs, p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0, secs };
    };

    const settings = {
      minCleanableDirtyRatio: 0.5,
      minCompactionLagMs: 0,
      maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
      deleteRetentionMs: 86_400_000,
      segmentBytes: 16 << 20,
      fileDeleteDelayMs: 1_000,
    };
    const map = new OffsetMap(128 << 20);
    const delay = monitorEventLoopDelay({ resolution: 5 });
    let checkpoint: bigint | undefined;
    const clean = async (beside: boolean) => {
      const now = Date.now();
      const range = await cleanableRange(log, checkpoint, settings, now);
      let cleaning = true;
      const started = performance.now();
      delay.reset();
      delay.enable();
      const round = compactLog(log, map, range, settings, now, { indexIntervalBytes: 4096 }).finally(() => (cleaning = false));
      const appends = beside ? await appendFor(() => !cleaning) : undefined;
      const stats = await round;
      delay.disable();
      checkpoint = stats.endOffset;
      const secs = (performance.now() - started) / 1000;
      line(
        `cleaning${beside ? ' beside appends' : ' alone'}: ${(stats.bytesRead / 1e6 / secs).toFixed(1)} MB/s of log cleaned ` +
          `(${(stats.bytesRead / 1e6).toFixed(0)} MB -> ${(stats.bytesWritten / 1e6).toFixed(1)} MB, ${stats.recordsRead} -> ` +
          `${stats.recordsKept} records, ${stats.segmentsReplaced} segments, ${secs.toFixed(1)} s); longest event-loop stall ${(delay.max / 1e6).toFixed(0)} ms`,
      );
      if (appends) line(`appends beside the cleaner: ${appends.mbps.toFixed(0)} MB/s, p99 ${appends.p99.toFixed(1)} ms`);
    };

    const fillTo = log.size() + FILL_BYTES;
    await appendFor(() => log.size() >= fillTo);
    await clean(false);
    const dirtyTo = log.size() + FILL_BYTES;
    await appendFor(() => log.size() >= dirtyTo);
    const deadline = performance.now() + APPEND_PHASE_MS;
    delay.reset();
    delay.enable();
    const alone = await appendFor(() => performance.now() > deadline || log.size() >= dirtyTo + FILL_BYTES);
    delay.disable();
    line(`appends alone: ${alone.mbps.toFixed(0)} MB/s, p99 ${alone.p99.toFixed(1)} ms (${IN_FLIGHT} in flight, ${codec}); longest event-loop stall ${(delay.max / 1e6).toFixed(0)} ms`);
    await clean(true);
    await log.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function line(s: string): void {
  console.log(s);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
