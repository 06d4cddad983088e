/**
 * Micro benchmark, not a spec: what the key indexer costs per record, in CPU and in bytes
 * allocated, on the paths it runs on:
 *   trail-1rec      the background trailer keeping up with one-record batches (1 KiB value,
 *                   null key: the rf3-1k bench case), 50 appends between 256 KiB steps, read
 *                   from the in-memory tail;
 *   trail-1rec-key  the same with a distinct key per record;
 *   trail-1rec-250  as trail-1rec with 250 appends between steps (larger steps, less often);
 *   build-100rec    a sealed 64 MiB segment indexed from the file (page cache), batches of 100
 *                   records with keys key-<r mod 1,000,000> (the `bench keys` topic);
 *   build-1rec      a sealed 16 MiB segment of one-record keyed batches (what indexing only at
 *                   roll would cost per record, beside trail-1rec-key);
 *   build-lz4       the same shape compressed with lz4 (values of random hex text), 16 MiB;
 * then lookups of random keys in the last built index, growing (map) and frozen (binary search).
 * Bytes allocated are the V8 heap's growth over a window with no garbage collection in it (a
 * young generation large enough, checked with a gc observer) plus the array buffers' growth, so
 * they include what the index itself keeps. Run from the repository root:
 *   npx esbuild libs/log/src/key-index/key-index.bench.ts --bundle --platform=node --packages=external \
 *     --outfile=tmp/key-index.bench.js
 *   node --expose-gc --max-semi-space-size=128 tmp/key-index.bench.js [case,case]
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import { writeFile } from 'node:fs/promises';
import { PerformanceObserver } from 'node:perf_hooks';
import { buildRecordBatch, CompressionType } from '@dms/kafka-codec';
import { PartitionLog } from '../partition-log';
import { sharedActiveIndexTrailer } from './active-trailer';
import { keyHash } from './key-hash';
import { SegmentKeyIndex } from './segment-key-index';
import { indexSegmentRange } from './segment-reader';

const gc = (globalThis as { gc?: () => void }).gc;
let gcs = 0;
new PerformanceObserver((list) => (gcs += list.getEntries().length)).observe({ entryTypes: ['gc'] });

interface Meter {
  cpuUs: number;
  heap: number;
  external: number;
  gcs: number;
}

/** Runs `fn` with a collection before it, and adds its CPU and allocation to `m`. */
async function measured<T>(m: Meter, fn: () => Promise<T>): Promise<T> {
  // Let the log finish the work its appends left (write cycles) outside the window.
  await new Promise((r) => setTimeout(r, 2));
  gc?.();
  await new Promise((r) => setImmediate(r));
  const mem0 = process.memoryUsage();
  const gc0 = gcs;
  const cpu0 = process.cpuUsage();
  const out = await fn();
  const cpu = process.cpuUsage(cpu0);
  const mem1 = process.memoryUsage();
  m.cpuUs += cpu.user + cpu.system;
  m.heap += mem1.heapUsed - mem0.heapUsed;
  m.external += mem1.arrayBuffers - mem0.arrayBuffers;
  m.gcs += gcs - gc0;
  return out;
}

function report(name: string, records: number, bytes: number, m: Meter): void {
  const recPerS = records / (m.cpuUs / 1e6);
  console.log(
    `${name.padEnd(15)} ${records.toLocaleString('en').padStart(10)} records ${(bytes / 1e6).toFixed(1).padStart(6)} MB  ` +
      `${(recPerS / 1e3).toFixed(0).padStart(6)} k rec/s of CPU  ${((m.cpuUs * 1000) / records).toFixed(0).padStart(6)} ns/rec  ` +
      `${(m.heap / records).toFixed(0).padStart(5)} B heap/rec  ${(m.external / records).toFixed(0).padStart(5)} B buffers/rec` +
      (m.gcs > 0 ? `  (${m.gcs} gc in windows: heap figure low)` : ''),
  );
}

const meter = (): Meter => ({ cpuUs: 0, heap: 0, external: 0, gcs: 0 });

async function trailCase(name: string, keyed: boolean, batches: number, perStep = 50): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'dms-keyidx-bench-'));
  try {
    const log = await PartitionLog.open(dir, { segmentBytes: 1 << 30 });
    const value = Buffer.alloc(1024, 'v');
    const m = meter();
    for (let i = 0; i < batches; i += perStep) {
      for (let j = i; j < i + perStep; j++) {
        const b = await buildRecordBatch({ records: [{ key: keyed ? `key-${j}` : null, value, timestamp: 1_700_000_000_000n + BigInt(j) }] });
        await log.append(b, { leaderEpoch: 0 });
      }
      await measured(m, async () => {
        while (log.keyIndex.activeBacklog() > 0) await log.keyIndex.trailActive(256 << 10);
      });
    }
    report(name, batches, log.size(), m);
    await log.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

let lastIndex: SegmentKeyIndex | undefined;

async function buildCase(name: string, compression: CompressionType, segmentBytes: number, perBatch = 100): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'dms-keyidx-bench-'));
  try {
    const log = await PartitionLog.open(dir, { segmentBytes: 1 << 30, tailCacheBytes: 0 });
    const text = Buffer.from(randomBytes(1 << 16).toString('hex'));
    const valueAt = (r: number) => (compression === CompressionType.None ? text.subarray(0, 1024) : text.subarray((r * 37) % 100_000, ((r * 37) % 100_000) + 1024));
    let r = 0;
    while (log.size() < segmentBytes) {
      const records = Array.from({ length: perBatch }, () => ({ key: `key-${r % 1_000_000}`, value: valueAt(r), timestamp: 1_700_000_000_000n + BigInt(r++) }));
      await log.append(await buildRecordBatch({ records, compression }), { leaderEpoch: 0 });
    }
    const seg = log.segmentList()[0]!;
    const m = meter();
    // Three builds (the first also warms the page cache and the JIT; all three are counted).
    for (let i = 0; i < 3; i++) {
      const idx = new SegmentKeyIndex(seg.baseOffset);
      await measured(m, () => indexSegmentRange(seg, idx, seg.writtenSize));
      lastIndex = idx;
    }
    report(name, r * 3, seg.writtenSize * 3, m);
    lookups(lastIndex!, r);
    await log.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function lookups(idx: SegmentKeyIndex, records: number): void {
  const keys = Array.from({ length: 100_000 }, (_, i) => Buffer.from(`key-${(i * 7919) % Math.min(records, 1_000_000)}`));
  const time = (label: string) => {
    let found = 0;
    const t0 = process.cpuUsage();
    for (const k of keys) found += idx.lookup(keyHash(k)).length;
    const t = process.cpuUsage(t0);
    console.log(`  lookup ${label.padEnd(7)} ${((t.user + t.system) / keys.length).toFixed(2)} µs/lookup, ${(found / keys.length).toFixed(2)} batches/lookup`);
  };
  time('growing');
  idx.freeze();
  time('frozen');
}

/** KEYIDX_BENCH_PROFILE=<file>: a sampling heap profile of the whole run, collected objects included. */
async function profiled(run: () => Promise<void>): Promise<void> {
  const out = process.env['KEYIDX_BENCH_PROFILE'];
  if (!out) return run();
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  await run();
  const { profile } = await session.post('HeapProfiler.stopSampling');
  await writeFile(out, JSON.stringify(profile));
  session.disconnect();
}

async function main(): Promise<void> {
  if (!gc) console.log('(run with --expose-gc for the allocation figures)');
  sharedActiveIndexTrailer.settings.budgetMs = 0; // the bench drives the steps itself
  const only = process.argv[2]?.split(',');
  const cases: [string, () => Promise<void>][] = [
    ['trail-1rec', () => trailCase('trail-1rec', false, 20_000)],
    ['trail-1rec-key', () => trailCase('trail-1rec-key', true, 20_000)],
    ['trail-1rec-250', () => trailCase('trail-1rec-250', false, 20_000, 250)],
    ['build-100rec', () => buildCase('build-100rec', CompressionType.None, 64 << 20)],
    ['build-1rec', () => buildCase('build-1rec', CompressionType.None, 16 << 20, 1)],
    ['build-lz4', () => buildCase('build-lz4', CompressionType.Lz4, 16 << 20)],
  ];
  await profiled(async () => {
    for (const [name, run] of cases) if (!only || only.includes(name)) await run();
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
