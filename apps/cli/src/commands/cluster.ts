// `dms cluster status`: what etcd says is alive, whichever way the cluster was started.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { clusterBalance } from './cluster-balance';
import { formatClusterStatus, readClusterJson, readClusterStatus, type EtcdTls } from '@dms/devcluster';

export interface ClusterStatusOptions {
  dataDir: string;
  etcd?: string;
  clusterName?: string;
  json?: boolean;
  timeoutMs?: number;
}

/** --etcd wins; else the running dev cluster's cluster.json in --data-dir; else etcd's default port. */
export function resolveTarget(o: ClusterStatusOptions): { endpoint: string; clusterName: string; tls?: EtcdTls } {
  const local = readClusterJson(resolve(o.dataDir));
  const fromLocal = local?.state === 'running' ? local : undefined;
  return {
    endpoint: o.etcd ?? fromLocal?.etcd.endpoint ?? '127.0.0.1:2379',
    clusterName: o.clusterName ?? fromLocal?.clusterName ?? 'dms',
    // A secured dev cluster's etcd speaks TLS only; its cluster.json names the files.
    tls: o.etcd ? undefined : fromLocal?.etcd.tls,
  };
}

export async function clusterStatus(o: ClusterStatusOptions): Promise<number> {
  const { endpoint, clusterName, tls } = resolveTarget(o);
  try {
    const status = await readClusterStatus(endpoint, clusterName, o.timeoutMs ?? 5000, tls);
    process.stdout.write((o.json ? JSON.stringify(status) : formatClusterStatus(status)) + '\n');
    return 0;
  } catch (e) {
    process.stderr.write(`dms cluster status: ${(e as Error).message}\n`);
    return 1;
  }
}

export function register(program: Command): void {
  const cluster = program.command('cluster').description('cluster membership and metadata, read from etcd');
  cluster
    .command('status')
    .description('live controllers (and the leader), brokers, gateways, topic and partition counts')
    .option('--data-dir <dir>', 'dev cluster directory whose cluster.json names the etcd endpoint', './.dms')
    .option('--etcd <host:port>', 'etcd endpoint(s), comma-separated (default: from cluster.json, else 127.0.0.1:2379)')
    .option('--cluster-name <name>', 'cluster name (default: from cluster.json, else dms)')
    .option('--json', 'print one JSON object')
    .option('--timeout <ms>', 'give up on etcd after this long', '5000')
    .action(async (opts: ClusterStatusOptions & { timeout: string }) => {
      const timeoutMs = Number(opts.timeout);
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
        process.stderr.write(`dms cluster status: --timeout must be a positive integer (ms), got '${opts.timeout}'\n`);
        process.exitCode = 1;
        return;
      }
      process.exitCode = await clusterStatus({ ...opts, timeoutMs });
    });
  cluster
    .command('balance')
    .description('the self-balancer: state, per-broker load, moves running and planned, bytes moved and left (from etcd)')
    .option('--data-dir <dir>', 'dev cluster directory whose cluster.json names the etcd endpoint', './.dms')
    .option('--etcd <host:port>', 'etcd endpoint(s), comma-separated (default: from cluster.json, else 127.0.0.1:2379)')
    .option('--cluster-name <name>', 'cluster name (default: from cluster.json, else dms)')
    .option('--json', 'print one JSON object')
    .option('--timeout <ms>', 'give up on etcd after this long', '5000')
    .action(async (opts: ClusterStatusOptions & { timeout: string }) => {
      const timeoutMs = Number(opts.timeout);
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
        process.stderr.write(`dms cluster balance: --timeout must be a positive integer (ms), got '${opts.timeout}'\n`);
        process.exitCode = 1;
        return;
      }
      process.exitCode = await clusterBalance({ ...opts, timeoutMs });
    });
}
