/**
 * Cluster benchmark, not a spec: time for the self-balancer to give a new broker its share. A
 * fresh dev cluster (3 brokers, 1 controller, 1 gateway, balancer rounds every 2 s) gets a
 * 12-partition RF3 topic filled for FILL_S seconds with 16 KiB records; then a 4th broker is added
 * while a paced acks=all producer (200 records/s of 1 KiB) runs, and the time until broker 4 holds
 * 9 replicas with no move running is measured, with the bytes the moves copied (balance/status),
 * the CPU seconds of each process during the move and the paced producer's latency before and
 * during it. Run from the repository root after `node tools/build/build.mjs`:
 *   npx esbuild tools/bench/self-balance.bench.ts --bundle --platform=node --packages=external | node - [FILL_S] [DURING_S] [THROTTLE_BYTES_PER_S]
 * (THROTTLE 0, the default here, leaves the copies unthrottled; the cluster default is 10 MiB/s).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Etcd3 } from 'etcd3';
import { balanceStatusKey, balanceStatusRecord, partitionState, topicPartitionsPrefix } from '@dms/cluster';
import { DevCluster, freePort } from '@dms/devcluster';
import { runBench } from './main';
import { parseBenchArgs } from './options';

const TOPIC = 'balance-bench';

async function main(): Promise<void> {
  const fillS = Number(process.argv[2] ?? 30);
  const duringS = Number(process.argv[3] ?? 60);
  const throttle = Number(process.argv[4] ?? 0);
  const dataDir = await mkdtemp(join(tmpdir(), 'dms-balance-bench-'));
  const cluster = await DevCluster.start({
    brokers: 3,
    controllers: 1,
    gateways: 1,
    dataDir,
    port: await freePort(),
    distDir: resolve('dist/apps'),
    config: {
      broker: { 'broker.load.report.interval.ms': 2000, 'log.segment.bytes': 64 << 20 },
      controller: { 'auto.balance.interval.ms': 2000, 'auto.balance.throttle.bytes.per.second': throttle },
    },
  });
  process.on('exit', () => cluster.killAllSync());
  const etcd = new Etcd3({ hosts: `http://${cluster.etcdEndpoint}` });
  try {
    const fill = await runBench(parseBenchArgs([
      'produce', '--bootstrap-server', cluster.bootstrap, '--topic', TOPIC, '--partitions', '12', '--replication-factor', '3',
      '--record-size', '16384', '--batch-size', '16', '--acks', '-1', '--in-flight', '16', '--duration-s', String(fillS),
    ]));
    console.log(`fill: ${fill.results[0]!.mbPerSec.toFixed(1)} MB/s for ${fillS} s`);
    // Sizes reach etcd within the report interval; the controller plans with them.
    await new Promise((r) => setTimeout(r, 5000));
    const paced = (durationS: number) => runBench(parseBenchArgs([
      'produce', '--bootstrap-server', cluster.bootstrap, '--topic', TOPIC, '--record-size', '1024', '--batch-size', '1',
      '--acks', '-1', '--rate', '200', '--duration-s', String(durationS),
    ]));
    const before = (await paced(10)).results[0]!;

    const cpu0 = cpuSeconds(cluster);
    const t0 = Date.now();
    const during = paced(duringS);
    const added = await cluster.addBroker();
    let status;
    for (;;) {
      const kvs = await etcd.getAll().prefix(topicPartitionsPrefix('dms', TOPIC)).strings();
      const states = Object.values(kvs).map((v) => partitionState.decode(v)!);
      const on4 = states.filter((s) => s.replicas.includes(added.id)).length;
      const moving = states.some((s) => (s.addingReplicas?.length ?? 0) + (s.removingReplicas?.length ?? 0) > 0);
      status = balanceStatusRecord.decode(await etcd.get(balanceStatusKey('dms')).string());
      if (on4 >= 9 && !moving && status?.inFlight.length === 0) break;
      if (Date.now() - t0 > 1_200_000) throw new Error(`not balanced after 20 minutes (${on4} replicas on broker ${added.id})`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const seconds = (Date.now() - t0) / 1000;
    const cpu1 = cpuSeconds(cluster);
    const load = loadavg()[0]!.toFixed(1);
    const gb = (status?.bytesMoved ?? 0) / 1e9;
    console.log(`throttle: ${throttle > 0 ? `${(throttle / 1e6).toFixed(1)} MB/s` : 'none'}`);
    console.log(`balanced: broker ${added.id} got its 9 replicas in ${seconds.toFixed(1)} s; ${status?.movesCompleted} moves copied ${(gb * 1000).toFixed(0)} MB` +
      ` (${gb > 0 ? (seconds / gb).toFixed(0) : '-'} s per GB moved); load average ${load}`);
    console.log('  CPU seconds during the move: ' + [...cpu1].map(([n, s]) => `${n} ${(s - (cpu0.get(n) ?? 0)).toFixed(1)}`).join(', '));
    console.log(`  paced producer (200 records/s, acks=all) before: p50 / p99 ${before.latencyMs.p50} / ${before.latencyMs.p99} ms`);
    const r = (await during).results[0]!;
    console.log(`  paced producer during the first ${duringS} s after the add: p50 / p99 ${r.latencyMs.p50} / ${r.latencyMs.p99} ms, errors ${JSON.stringify(r.errors)}`);
  } finally {
    etcd.close();
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
