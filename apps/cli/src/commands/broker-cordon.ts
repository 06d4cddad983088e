// `dms brokers cordon ID` / `uncordon ID`: keep new replicas off a storage broker (or allow them
// again), through the leading controller's SetBrokerCordon (admin certificate); and
// `dms brokers list`: the registered brokers with their cordon and decommission marks.
import { resolve } from 'node:path';
import { Etcd3 } from 'etcd3';
import { brokerCordonRecord, brokerCordonsPrefix, brokerDecommissionRecord, brokerDecommissionsPrefix, brokerRegistration, brokersPrefix, controllerLeader, controllerLeaderKey, etcdClientOptions } from '@dms/cluster';
import { devAdminCertificate } from '@dms/devcluster';
import { ErrorCode } from '@dms/kafka-errors';
import { clusterV1, createClient, loadInternalTls, unary } from '@dms/rpc';
import { resolveTarget } from './cluster';

export interface CordonOptions {
  dataDir: string;
  etcd?: string;
  clusterName?: string;
  json?: boolean;
  timeout: string;
  internalSslCaLocation?: string;
  internalSslCertificateLocation?: string;
  internalSslKeyLocation?: string;
}

export function etcdOf(o: CordonOptions, timeoutMs: number): { client: Etcd3; clusterName: string } {
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
  return { client, clusterName };
}

export function timeoutOf(o: CordonOptions): number {
  const ms = Number(o.timeout);
  if (!Number.isInteger(ms) || ms <= 0) throw new Error(`--timeout must be a positive integer (ms), got '${o.timeout}'`);
  return ms;
}

/** The internal mutual TLS of an operator: --internal-ssl-* files, else the dev cluster's admin certificate (dms://admin/0). */
export function operatorTls(o: CordonOptions): ReturnType<typeof loadInternalTls> {
  const given = o.internalSslCaLocation || o.internalSslCertificateLocation || o.internalSslKeyLocation;
  const dev = given ? undefined : devAdminCertificate(resolve(o.dataDir));
  return loadInternalTls(dev
    ? { ca: dev.ca, cert: dev.cert, key: dev.key }
    : { ca: o.internalSslCaLocation ?? '', cert: o.internalSslCertificateLocation ?? '', key: o.internalSslKeyLocation ?? '' });
}

/** Cordons (`cordoned` true) or uncordons one broker; exit code. */
export async function setCordon(o: CordonOptions, idArg: string, cordoned: boolean): Promise<number> {
  const verb = cordoned ? 'cordon' : 'uncordon';
  const fail = (msg: string) => {
    process.stderr.write(`dms brokers ${verb}: ${msg}\n`);
    return 1;
  };
  const brokerId = Number(idArg);
  if (!/^\d+$/.test(idArg) || !Number.isSafeInteger(brokerId) || brokerId > 0x7fffffff) return fail(`a broker id is a non-negative integer, got '${idArg}'`);
  let timeoutMs: number;
  let tls;
  try {
    timeoutMs = timeoutOf(o);
    tls = operatorTls(o);
  } catch (e) {
    return fail((e as Error).message);
  }
  const { client: etcd, clusterName } = etcdOf(o, timeoutMs);
  let address: string;
  let registered: boolean;
  try {
    const leader = controllerLeader.decode(await etcd.get(controllerLeaderKey(clusterName)).string());
    if (!leader || leader.port === 0) return fail('no controller leads the cluster now; try again');
    address = `${leader.host}:${leader.port}`;
    registered = Object.values(await etcd.getAll().prefix(brokersPrefix(clusterName)).strings()).some((v) => brokerRegistration.decode(v)?.id === brokerId);
  } catch (e) {
    return fail(`cannot read etcd: ${(e as Error).message}`);
  } finally {
    etcd.close();
  }
  const client = createClient(clusterV1.ControllerServiceClient, address, { tls, tracing: false });
  try {
    const res = await unary(client.setBrokerCordon.bind(client), { brokerId, cordoned }, { timeoutMs });
    if (res.errorCode !== ErrorCode.NONE) return fail(res.errorMessage || `error ${res.errorCode}`);
    if (o.json) process.stdout.write(JSON.stringify({ broker: brokerId, cordoned, wasCordoned: res.wasCordoned, registered }) + '\n');
    else {
      const already = res.wasCordoned === cordoned ? ' (it already was)' : '';
      process.stdout.write(cordoned
        ? `broker ${brokerId} cordoned${already}: no new replica is placed on it; the replicas it holds stay\n`
        : `broker ${brokerId} uncordoned${already}: new replicas may be placed on it again\n`);
      if (!registered) process.stdout.write(`note: broker ${brokerId} is not registered (not running?)\n`);
    }
    return 0;
  } catch (e) {
    return fail(`controller at ${address}: ${(e as Error).message}`);
  } finally {
    client.close();
  }
}

/** `dms brokers list`: every registered broker, and cordoned ones that are not running. */
export async function listBrokers(o: CordonOptions): Promise<number> {
  let timeoutMs: number;
  try {
    timeoutMs = timeoutOf(o);
  } catch (e) {
    process.stderr.write(`dms brokers list: ${(e as Error).message}\n`);
    return 1;
  }
  const { client, clusterName } = etcdOf(o, timeoutMs);
  try {
    const regs = Object.values(await client.getAll().prefix(brokersPrefix(clusterName)).strings()).map((v) => brokerRegistration.decode(v)).filter((b) => b !== undefined);
    const cordoned = new Set(Object.values(await client.getAll().prefix(brokerCordonsPrefix(clusterName)).strings()).map((v) => brokerCordonRecord.decode(v)?.brokerId).filter((id) => id !== undefined));
    const decommissioning = new Set(Object.values(await client.getAll().prefix(brokerDecommissionsPrefix(clusterName)).strings()).map((v) => brokerDecommissionRecord.decode(v)?.brokerId).filter((id) => id !== undefined));
    const rows = regs.map((b) => ({ id: b.id, address: `${b.host}:${b.port}`, rack: b.rack, running: true, cordoned: cordoned.has(b.id), decommissioning: decommissioning.has(b.id) }));
    for (const id of cordoned) if (!rows.some((r) => r.id === id)) rows.push({ id, address: '', rack: null, running: false, cordoned: true, decommissioning: decommissioning.has(id) });
    rows.sort((a, b) => a.id - b.id);
    if (o.json) process.stdout.write(JSON.stringify(rows) + '\n');
    else for (const r of rows) process.stdout.write(`${r.id}  ${r.running ? r.address : '(not running)'}  rack=${r.rack ?? '-'}${r.cordoned ? '  cordoned' : ''}${r.decommissioning ? '  decommissioning' : ''}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`dms brokers list: cannot read etcd: ${(e as Error).message}\n`);
    return 1;
  } finally {
    client.close();
  }
}
