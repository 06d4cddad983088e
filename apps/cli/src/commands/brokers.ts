// `dms brokers log-dirs`: each storage broker's log dirs that went offline after an I/O error (as
// its etcd registration says), and `--online <dir>` to bring one back once space is freed.
import { resolve } from 'node:path';
import { Etcd3 } from 'etcd3';
import type { Command } from 'commander';
import { brokerRegistration, brokersPrefix, etcdClientOptions, type BrokerRegistration } from '@dms/cluster';
import { devAdminCertificate } from '@dms/devcluster';
import { ErrorCode } from '@dms/kafka-errors';
import { StorageServiceClient, createClient, loadInternalTls, unary } from '@dms/rpc';
import { resolveTarget } from './cluster';
import { listBrokers, setCordon, type CordonOptions } from './broker-cordon';
import { decommission, type DecommissionOptions } from './broker-decommission';

interface LogDirsOptions {
  dataDir: string;
  etcd?: string;
  clusterName?: string;
  broker?: string;
  online?: string;
  json?: boolean;
  timeout: string;
  internalSslCaLocation?: string;
  internalSslCertificateLocation?: string;
  internalSslKeyLocation?: string;
}

async function readBrokers(o: LogDirsOptions, timeoutMs: number): Promise<BrokerRegistration[]> {
  const { endpoint, clusterName, tls } = resolveTarget(o);
  const client = new Etcd3({
    ...etcdClientOptions({
      'etcd.endpoints': endpoint.split(','),
      'etcd.tls.ca.location': tls?.caFile,
      'etcd.tls.certificate.location': tls?.certFile,
      'etcd.tls.key.location': tls?.keyFile,
    }),
    dialTimeout: Math.min(timeoutMs, 2000),
  });
  try {
    const kvs = await client.getAll().prefix(brokersPrefix(clusterName)).strings();
    return Object.values(kvs).map((v) => brokerRegistration.decode(v)).filter((b): b is BrokerRegistration => !!b).sort((a, b) => a.id - b.id);
  } finally {
    client.close();
  }
}

export async function logDirs(o: LogDirsOptions): Promise<number> {
  const fail = (msg: string) => {
    process.stderr.write(`dms brokers log-dirs: ${msg}\n`);
    return 1;
  };
  const timeoutMs = Number(o.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) return fail(`--timeout must be a positive integer (ms), got '${o.timeout}'`);
  const brokerId = o.broker === undefined ? undefined : Number(o.broker);
  if (brokerId !== undefined && (!Number.isInteger(brokerId) || brokerId < 0)) return fail(`--broker must be a broker id, got '${o.broker}'`);
  if (o.online !== undefined && brokerId === undefined) return fail('--online needs --broker');
  let brokers: BrokerRegistration[];
  try {
    brokers = (await readBrokers(o, timeoutMs)).filter((b) => brokerId === undefined || b.id === brokerId);
  } catch (e) {
    return fail(`cannot read etcd: ${(e as Error).message}`);
  }
  if (brokerId !== undefined && brokers.length === 0) return fail(`broker ${brokerId} is not registered (not running?)`);

  if (o.online === undefined) {
    const rows = brokers.map((b) => ({ broker: b.id, offlineLogDirs: b.offlineLogDirs ?? [], offlineReplicas: b.offlineReplicas ?? {} }));
    if (o.json) process.stdout.write(JSON.stringify(rows) + '\n');
    else {
      for (const r of rows) {
        const count = Object.values(r.offlineReplicas).reduce((n, ps) => n + ps.length, 0);
        process.stdout.write(r.offlineLogDirs.length === 0
          ? `broker ${r.broker}: every log dir online\n`
          : `broker ${r.broker}: offline ${r.offlineLogDirs.join(', ')} (${count} replicas)\n`);
      }
    }
    return 0;
  }

  const b = brokers[0]!;
  let tls;
  try {
    // Without --internal-ssl-* a dev cluster's own operator certificate (dms://admin/0) is used.
    const given = o.internalSslCaLocation || o.internalSslCertificateLocation || o.internalSslKeyLocation;
    const dev = given ? undefined : devAdminCertificate(resolve(o.dataDir));
    tls = loadInternalTls(dev
      ? { ca: dev.ca, cert: dev.cert, key: dev.key }
      : { ca: o.internalSslCaLocation ?? '', cert: o.internalSslCertificateLocation ?? '', key: o.internalSslKeyLocation ?? '' });
  } catch (e) {
    return fail((e as Error).message);
  }
  const client = createClient(StorageServiceClient, `${b.host}:${b.port}`, { tls, tracing: false });
  try {
    const res = await unary(client.recoverLogDir.bind(client), { logDir: o.online }, { timeoutMs });
    if (o.json) process.stdout.write(JSON.stringify({ broker: b.id, ...res }) + '\n');
    else if (res.errorCode === ErrorCode.NONE) process.stdout.write(`broker ${b.id}: ${o.online} is online; its replicas reopen and catch up\n`);
    if (res.errorCode !== ErrorCode.NONE) return fail(`broker ${b.id}: ${res.errorMessage || `error ${res.errorCode}`}`);
    return 0;
  } catch (e) {
    return fail(`broker ${b.id} at ${b.host}:${b.port}: ${(e as Error).message}`);
  } finally {
    client.close();
  }
}

function targetOptions(cmd: Command, withTls: boolean): Command {
  cmd
    .option('--data-dir <dir>', 'dev cluster directory whose cluster.json names the etcd endpoint', './.dms')
    .option('--etcd <host:port>', 'etcd endpoint(s), comma-separated (default: from cluster.json, else 127.0.0.1:2379)')
    .option('--cluster-name <name>', 'cluster name (default: from cluster.json, else dms)');
  if (withTls) {
    cmd
      .option('--internal-ssl-ca-location <file>', 'CA of the internal mutual TLS (default: the dev cluster\'s under --data-dir)')
      .option('--internal-ssl-certificate-location <file>', 'operator certificate (dms://admin/<id>, from `dms certs create --admins`) for the internal mutual TLS')
      .option('--internal-ssl-key-location <file>', 'client key for the internal mutual TLS');
  }
  return cmd.option('--json', 'print JSON').option('--timeout <ms>', 'give up after this long', '10000');
}

export function register(program: Command): void {
  const brokers = program.command('brokers').description('storage brokers');
  targetOptions(brokers.command('list').description('registered storage brokers (and cordoned ones not running), with their cordon marks'), false)
    .action(async (opts: CordonOptions) => {
      process.exitCode = await listBrokers(opts);
    });
  targetOptions(
    brokers
      .command('cordon <id>')
      .description('keep new replicas off a broker: topic creation and new partitions place none on it (its replicas stay); through the controller'),
    true,
  ).action(async (id: string, opts: CordonOptions) => {
    process.exitCode = await setCordon(opts, id, true);
  });
  targetOptions(
    brokers
      .command('decommission <id>')
      .description('empty a broker: cordon it and let the controller move every replica and leadership off it (refused when the rest cannot hold them); then it can be stopped')
      .option('--wait', 'wait until no replica is left on it, printing progress')
      .option('--wait-timeout <ms>', 'give up --wait after this long', '86400000')
      .option('--status', 'only show the progress (replicas and leaderships left, moves in flight)')
      .option('--cancel', 'stop moving replicas off it (it stays cordoned)'),
    true,
  ).action(async (id: string, opts: DecommissionOptions) => {
    process.exitCode = await decommission(opts, id);
  });
  targetOptions(brokers.command('uncordon <id>').description('allow new replicas on a cordoned broker again'), true).action(async (id: string, opts: CordonOptions) => {
    process.exitCode = await setCordon(opts, id, false);
  });
  brokers
    .command('log-dirs')
    .description('log dirs taken offline after an I/O error; --online brings one back once space is freed')
    .option('--data-dir <dir>', 'dev cluster directory whose cluster.json names the etcd endpoint', './.dms')
    .option('--etcd <host:port>', 'etcd endpoint(s), comma-separated (default: from cluster.json, else 127.0.0.1:2379)')
    .option('--cluster-name <name>', 'cluster name (default: from cluster.json, else dms)')
    .option('--broker <id>', 'only this broker')
    .option('--online <dir>', 'bring this offline log dir of --broker back online (the broker checks it takes writes)')
    .option('--internal-ssl-ca-location <file>', 'CA of the internal mutual TLS (default: the dev cluster\'s under --data-dir)')
    .option('--internal-ssl-certificate-location <file>', 'operator certificate (dms://admin/<id>, from `dms certs create --admins`) for the internal mutual TLS')
    .option('--internal-ssl-key-location <file>', 'client key for the internal mutual TLS')
    .option('--json', 'print JSON')
    .option('--timeout <ms>', 'give up after this long', '10000')
    .action(async (opts: LogDirsOptions) => {
      process.exitCode = await logDirs(opts);
    });
}
