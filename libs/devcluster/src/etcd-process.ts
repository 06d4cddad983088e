import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { freePort } from './free-port';
import { waitFor } from './wait-for';

export interface EtcdProcess {
  /** host:port for clients. */
  endpoint: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
  pid: number;
  child: ChildProcess;
  /** Set before a deliberate kill so watchers do not report the exit as a crash. */
  intendedExit?: boolean;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface EtcdOptions {
  dataDir: string;
  clientPort?: number;
  peerPort?: number;
  name?: string;
  /** etcd binary; default `etcd` from PATH. */
  bin?: string;
  /** Where etcd's own output goes; default discarded. */
  logFile?: string;
  startTimeoutMs?: number;
}

function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/health', timeout: 1000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('true')));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Starts a real single-member etcd on 127.0.0.1 and resolves once it reports healthy. */
export async function startEtcd(opts: EtcdOptions): Promise<EtcdProcess> {
  const clientPort = opts.clientPort ?? (await freePort());
  const peerPort = opts.peerPort ?? (await freePort());
  const name = opts.name ?? 'dms-etcd';
  mkdirSync(opts.dataDir, { recursive: true });
  const args = [
    '--name', name,
    '--data-dir', join(opts.dataDir, 'etcd'),
    '--listen-client-urls', `http://127.0.0.1:${clientPort}`,
    '--advertise-client-urls', `http://127.0.0.1:${clientPort}`,
    '--listen-peer-urls', `http://127.0.0.1:${peerPort}`,
    '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
    '--initial-cluster', `${name}=http://127.0.0.1:${peerPort}`,
    // A topic is created in one transaction with one operation per partition.
    '--max-txn-ops', '10000',
    '--log-level', 'warn',
    '--logger', 'zap',
  ];
  const out = opts.logFile ? openSync(opts.logFile, 'a') : 'ignore';
  const child = spawn(opts.bin ?? 'etcd', args, {
    stdio: ['ignore', out, out],
    env: { ...process.env, ETCD_UNSUPPORTED_ARCH: process.env.ETCD_UNSUPPORTED_ARCH ?? '' },
  });
  let exited: string | undefined;
  child.on('exit', (code, sig) => (exited = `etcd exited (code ${code}, signal ${sig})`));
  child.on('error', (e) => (exited = `etcd failed to start: ${e.message} (is etcd installed? apt-get install etcd-server)`));
  await waitFor(`etcd healthy on 127.0.0.1:${clientPort}`, async () => {
    if (exited) throw new Error(exited);
    return healthy(clientPort);
  }, opts.startTimeoutMs ?? 20_000);
  return {
    endpoint: `127.0.0.1:${clientPort}`,
    clientPort,
    peerPort,
    dataDir: opts.dataDir,
    pid: child.pid!,
    child,
    stop: (signal: NodeJS.Signals = 'SIGTERM') =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => { clearTimeout(t); resolve(); });
        child.kill(signal);
      }),
  };
}
