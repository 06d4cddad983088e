import { join } from 'node:path';
import { Command } from 'commander';
import { runChaos, type FaultKind } from './chaos-run';

const ALL: FaultKind[] = ['leader-broker', 'controller', 'gateway', 'etcd'];

const program = new Command('chaos')
  .description('fault injection: acks=all writes while processes are SIGKILLed and restarted; reports acknowledged records lost')
  .option('--duration-s <s>', 'length of the run (bounded)', (v) => Number(v), 60)
  .option('--partitions <n>', 'partitions of the test topic', (v) => Number(v), 3)
  .option('--faults <list>', `comma list of ${ALL.join(', ')}`, ALL.join(','))
  .option('--downtime-s <s>', 'how long a killed process stays down', (v) => Number(v), 3)
  .option('--settle-s <s>', 'pause after each restart', (v) => Number(v), 4)
  .option('--lease-ttl-ms <ms>', 'etcd lease TTL of every service', (v) => Number(v), 3000)
  .option('--data-dir <dir>', 'keep the cluster here (default: a temp dir, removed afterwards)')
  .option('--idempotent', 'produce with the idempotent producer (five in flight per partition); any duplicate fails the run')
  .option('--json', 'print the report as JSON')
  .action(async (opts) => {
    const faults = String(opts.faults).split(',').filter(Boolean) as FaultKind[];
    for (const f of faults) if (!ALL.includes(f)) throw new Error(`unknown fault '${f}'`);
    const report = await runChaos({
      durationS: Math.min(opts.durationS, 3600),
      partitions: opts.partitions,
      faults,
      downtimeS: opts.downtimeS,
      settleS: opts.settleS,
      leaseTtlMs: opts.leaseTtlMs,
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
          `lost ${report.lost}${report.lost ? ` (e.g. ${report.lostSamples.join(', ')})` : ''}, out of order ${report.outOfOrder}, ` +
            `duplicates ${report.duplicates}${report.mode === 'idempotent' ? ' (must be 0)' : ''}`,
          ...report.faults.map((f) => `  ${f.startedAtS.toFixed(1)}s ${f.kind} (${f.target}): longest unavailability ${f.unavailableMs} ms`),
        ].join('\n') + '\n',
      );
    }
    process.exitCode = report.passed ? 0 : 1;
  });

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`chaos: ${err.message}\n`);
  process.exit(2);
});
