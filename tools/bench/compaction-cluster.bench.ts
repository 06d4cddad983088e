/**
 * Cluster benchmark, not a spec: keyed acks=all produce to a compacted topic (RF 3, 100 keys,
 * 8 MiB segments) on a fresh dev cluster (3 brokers, 1 controller, 1 gateway) with the log cleaner
 * on, off, or on and throttled to N MB/s (log.cleaner.io.max.bytes.per.second), then what the
 * cleaners did (from the brokers' "cleaned compacted log" lines). About 50 s. Run from the
 * repository root after `node tools/build/build.mjs`:
 *   npx esbuild tools/bench/compaction-cluster.bench.ts --bundle --platform=node --packages=external | node - on|off|<MB/s>
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DevCluster, freePort } from '@dms/devcluster';
import { runBench } from './main';
import { parseBenchArgs } from './options';

async function main(): Promise<void> {
  const arg = process.argv[2] ?? 'on';
  const cleaner = arg !== 'off';
  const throttleMBps = Number(arg) > 0 ? Number(arg) : undefined;
  const dataDir = await mkdtemp(join(tmpdir(), 'dms-compaction-bench-'));
  const port = await freePort();
  const cluster = await DevCluster.start({
    brokers: 3,
    controllers: 1,
    gateways: 1,
    dataDir,
    port,
    distDir: resolve('dist/apps'),
    config: {
      broker: {
        'log.segment.bytes': 8 << 20,
        'log.cleaner.enable': cleaner,
        'log.cleaner.backoff.ms': 1000,
        ...(throttleMBps ? { 'log.cleaner.io.max.bytes.per.second': Math.round(throttleMBps * 1e6) } : {}),
      },
    },
  });
  // No orphans if this process dies before stopping the cluster.
  process.on('exit', () => cluster.killAllSync());
  try {
    const o = parseBenchArgs([
      'produce', '--bootstrap-server', cluster.bootstrap, '--topic', 'kv', '--partitions', '1', '--replication-factor', '3',
      '--record-size', '1024', '--batch-size', '100', '--keys', '100', '--acks', '-1', '--in-flight', '16', '--duration-s', '25',
      '--topic-config', 'cleanup.policy=compact', '--topic-config', 'segment.bytes=8388608', '--topic-config', 'file.delete.delay.ms=1000',
    ]);
    const cpuBefore = cpuSeconds(cluster);
    const report = await runBench(o);
    const cpuAfter = cpuSeconds(cluster);
    const p = report.results[0]!;
    console.log(
      `cleaner ${cleaner ? 'on' : 'off'}${throttleMBps ? ` (throttled to ${throttleMBps} MB/s)` : ''}: produce ${p.mbPerSec.toFixed(1)} MB/s, ${p.recordsPerSec} rec/s, ` +
        `p50 / p99 ${p.latencyMs.p50?.toFixed(0)} / ${p.latencyMs.p99?.toFixed(0)} ms`,
    );
    console.log(
      '  CPU seconds during the produce phase: ' +
        [...cpuAfter].map(([name, secs]) => `${name} ${(secs - (cpuBefore.get(name) ?? 0)).toFixed(1)}`).join(', '),
    );
    await new Promise((r) => setTimeout(r, 3_000));
    for (let id = 1; id <= 3; id++) {
      const rounds = (await readFile(join(dataDir, 'logs', `broker-${id}.log`), 'utf8'))
        .split('\n')
        .filter((l) => l.includes('"cleaned compacted log"') && l.includes('"topic":"kv"'))
        .map((l) => JSON.parse(l) as { bytesRead: number; bytesWritten: number; ms: number });
      const read = rounds.reduce((a, r) => a + r.bytesRead, 0);
      const ms = rounds.reduce((a, r) => a + r.ms, 0);
      const dir = join(dataDir, `broker-${id}`, 'kv-0');
      let onDisk = 0;
      for (const f of await readdir(dir)) if (f.endsWith('.log')) onDisk += (await stat(join(dir, f))).size;
      console.log(
        `  broker ${id}: ${rounds.length} rounds, ${(read / 1e6).toFixed(0)} MB cleaned in ${(ms / 1000).toFixed(1)} s ` +
          `(${ms ? (read / 1e3 / ms).toFixed(1) : '-'} MB/s while cleaning), ${(onDisk / 1e6).toFixed(1)} MB of segments on disk`,
      );
    }
  } finally {
    await cluster.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** User + system CPU seconds of each service process, from /proc (Linux). */
function cpuSeconds(cluster: DevCluster): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of cluster.status().processes) {
    if (!p.pid) continue;
    try {
      const fields = readFileSync(`/proc/${p.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      out.set(`${p.role}-${p.id}`, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // exited or not Linux
    }
  }
  return out;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
