import { join } from 'node:path';
import { Command } from 'commander';
import { runChaos } from './chaos-run';
import { ALL_FAULTS, KILL_FAULTS, type FaultKind } from './faults';

const program = new Command('chaos')
  .description('fault injection: acks=all writes and a reading consumer while processes are killed, cut apart, stopped or run out of disk; reports acknowledged records lost and stale reads')
  .option('--duration-s <s>', 'length of the run (bounded)', (v) => Number(v), 60)
  .option('--partitions <n>', 'partitions of the test topic', (v) => Number(v), 3)
  .option('--faults <list>', `comma list of ${ALL_FAULTS.join(', ')} (isolate-* and disk-full need root)`, KILL_FAULTS.join(','))
  .option('--downtime-s <s>', 'how long a killed process stays down (cuts and full disks hold at least 2 lease TTLs + 1 s)', (v) => Number(v), 3)
  .option('--settle-s <s>', 'pause after each restart', (v) => Number(v), 4)
  .option('--lease-ttl-ms <ms>', 'etcd lease TTL of every service', (v) => Number(v), 3000)
  .option('--disk-mib <n>', 'size of each broker\'s tmpfs log dir when disk-full is among the faults', (v) => Number(v), 64)
  .option('--data-dir <dir>', 'keep the cluster here (default: a temp dir, removed afterwards)')
  .option('--idempotent', 'produce with the idempotent producer (five in flight per partition); any duplicate fails the run')
  .option('--json', 'print the report as JSON')
  .action(async (opts) => {
    const faults = String(opts.faults).split(',').filter(Boolean) as FaultKind[];
    for (const f of faults) if (!ALL_FAULTS.includes(f)) throw new Error(`unknown fault '${f}'`);
    const report = await runChaos({
      durationS: Math.min(opts.durationS, 3600),
      partitions: opts.partitions,
      faults,
      downtimeS: opts.downtimeS,
      settleS: opts.settleS,
      leaseTtlMs: opts.leaseTtlMs,
      diskMiB: opts.diskMib,
      mode: opts.idempotent ? 'idempotent' : 'at-least-once',
      dataDir: opts.dataDir,
      distDir: join(__dirname, '..', '..', 'apps'),
      log: opts.json ? undefined : (l) => process.stderr.write(`chaos: ${l}\n`),
    });
    if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else {
      process.stdout.write(
        [
          `${report.mode}: acknowledged ${report.acknowledged}, read back ${report.read}`,
          `consumer read ${report.consumed}: stale reads ${report.staleReads}${report.staleReads ? ` (${report.staleSamples.join('; ')})` : ''}, ` +
            `vanished reads ${report.vanishedReads}${report.vanishedReads ? ` (${report.vanishedSamples.join('; ')})` : ''}`,
          `lost ${report.lost}${report.lost ? ` (e.g. ${report.lostSamples.join(', ')})` : ''}, out of order ${report.outOfOrder}, ` +
            `duplicates ${report.duplicates}${report.mode === 'idempotent' ? ' (must be 0)' : ''}`,
          ...report.faults.map((f) => `  ${f.startedAtS.toFixed(1)}s ${f.kind} (${f.target}), held ${f.heldMs} ms: longest unavailability ${f.unavailableMs} ms, ` +
            `every partition written again ${f.recoveredAfterMs === null ? 'never' : `${f.recoveredAfterMs} ms`} after the undo` +
            (f.exits.length ? `; exited on their own: ${f.exits.join('; ')}` : '')),
        ].join('\n') + '\n',
      );
    }
    process.exitCode = report.passed ? 0 : 1;
  });

// Interrupted: exit through process 'exit', whose hooks delete the nftables table and unmount the
// small disks (tools/chaos/host-faults.ts).
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`chaos: ${err.message}\n`);
  process.exit(2);
});
