import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { freePort } from './free-port';
import { waitFor } from './wait-for';

export interface EtcdProcess {
  /** host:port for clients. */
  endpoint: string;
  /** The loopback address it listens on. */
  host: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
  pid: number;
  child: ChildProcess;
  /** Set before a deliberate kill so watchers do not report the exit as a crash. */
  intendedExit?: boolean;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** PEM files for etcd's client port: served over TLS, optionally requiring client certificates. */
export interface EtcdTls {
  caFile: string;
  certFile: string;
  keyFile: string;
  /** Require a client certificate signed by `caFile` (etcd --client-cert-auth). */
  clientCertAuth?: boolean;
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
  /** Serve clients over https (peers stay on plain http: one member on 127.0.0.1). */
  tls?: EtcdTls;
  /** Loopback address to listen on; default 127.0.0.1. */
  host?: string;
}

function healthy(host: string, port: number, tls?: EtcdTls): Promise<boolean> {
  return new Promise((resolve) => {
    const opts = { host, port, path: '/health', timeout: 1000 };
    const onResponse = (res: IncomingMessage) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('true')));
    };
    const req = tls
      ? httpsRequest({ ...opts, ca: readFileSync(tls.caFile), cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }, onResponse)
      : request(opts, onResponse);
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Starts a real single-member etcd on 127.0.0.1 (or opts.host) and resolves once it reports healthy. */
export async function startEtcd(opts: EtcdOptions): Promise<EtcdProcess> {
  const host = opts.host ?? '127.0.0.1';
  const clientPort = opts.clientPort ?? (await freePort(host));
  const peerPort = opts.peerPort ?? (await freePort(host));
  const name = opts.name ?? 'dms-etcd';
  mkdirSync(opts.dataDir, { recursive: true });
  const scheme = opts.tls ? 'https' : 'http';
  const args = [
    '--name', name,
    '--data-dir', join(opts.dataDir, 'etcd'),
    '--listen-client-urls', `${scheme}://${host}:${clientPort}`,
    '--advertise-client-urls', `${scheme}://${host}:${clientPort}`,
    '--listen-peer-urls', `http://${host}:${peerPort}`,
    '--initial-advertise-peer-urls', `http://${host}:${peerPort}`,
    '--initial-cluster', `${name}=http://${host}:${peerPort}`,
    // A topic is created in one transaction with one operation per partition.
    '--max-txn-ops', '10000',
    '--log-level', 'warn',
    '--logger', 'zap',
    ...(opts.tls ? ['--cert-file', opts.tls.certFile, '--key-file', opts.tls.keyFile, '--trusted-ca-file', opts.tls.caFile] : []),
    ...(opts.tls?.clientCertAuth ? ['--client-cert-auth'] : []),
  ];
  const out = opts.logFile ? openSync(opts.logFile, 'a') : 'ignore';
  const child = spawn(opts.bin ?? 'etcd', args, {
    stdio: ['ignore', out, out],
    env: { ...process.env, ETCD_UNSUPPORTED_ARCH: process.env.ETCD_UNSUPPORTED_ARCH ?? '' },
  });
  let exited: string | undefined;
  child.on('exit', (code, sig) => (exited = `etcd exited (code ${code}, signal ${sig})`));
  child.on('error', (e) => (exited = `etcd failed to start: ${e.message} (is etcd installed? apt-get install etcd-server)`));
  await waitFor(`etcd healthy on ${host}:${clientPort}`, async () => {
    if (exited) throw new Error(exited);
    return healthy(host, clientPort, opts.tls);
  }, opts.startTimeoutMs ?? 20_000);
  return {
    endpoint: `${host}:${clientPort}`,
    host,
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
