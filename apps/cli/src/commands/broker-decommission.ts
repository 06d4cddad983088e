// `dms brokers decommission ID [--wait | --status | --cancel]`: empty a storage broker through the
// leading controller (DecommissionBroker; its self-balancer moves the replicas) and follow the
// progress, read from etcd.
import type { Etcd3 } from 'etcd3';
import {
  balanceStatusKey,
  balanceStatusRecord,
  brokerDecommissionKey,
  brokerRegistration,
  brokersPrefix,
  controllerLeader,
  controllerLeaderKey,
  partitionState,
  partitionsPrefix,
} from '@dms/cluster';
import { ErrorCode } from '@dms/kafka-errors';
import { clusterV1, createClient, unary } from '@dms/rpc';
import { etcdOf, operatorTls, timeoutOf, type CordonOptions } from './broker-cordon';

export interface DecommissionOptions extends CordonOptions {
  wait?: boolean;
  status?: boolean;
  cancel?: boolean;
  /** How long --wait waits, ms. */
  waitTimeout: string;
}

export interface DecommissionProgress {
  broker: number;
  decommissioning: boolean;
  registered: boolean;
  /** Partitions with a replica on the broker (current replica sets, moves included). */
  replicas: number;
  leaders: number;
  /** Moves running that take a replica off (or onto) the broker. */
  movesInFlight: number;
  /** Bytes the self-balancer's moves off the broker still have to copy (from its last round). */
  bytesLeft: number;
  balancer: { state: string; reason: string } | null;
  done: boolean;
}

export async function readDecommissionProgress(client: Etcd3, clusterName: string, brokerId: number): Promise<DecommissionProgress> {
  const [parts, record, status, regs] = await Promise.all([
    client.getAll().prefix(partitionsPrefix(clusterName)).strings(),
    client.get(brokerDecommissionKey(clusterName, brokerId)).string(),
    client.get(balanceStatusKey(clusterName)).string(),
    client.getAll().prefix(brokersPrefix(clusterName)).strings(),
  ]);
  let replicas = 0;
  let leaders = 0;
  let movesInFlight = 0;
  for (const raw of Object.values(parts)) {
    const s = partitionState.decode(raw);
    if (!s) continue;
    if (s.replicas.includes(brokerId)) replicas++;
    if (s.leader === brokerId) leaders++;
    if ((s.addingReplicas ?? []).includes(brokerId) || (s.removingReplicas ?? []).includes(brokerId)) movesInFlight++;
  }
  const bal = balanceStatusRecord.decode(status);
  const bytesLeft = (bal?.inFlight ?? []).filter((m) => !m.target.includes(brokerId)).reduce((n, m) => n + m.bytes, 0);
  return {
    broker: brokerId,
    decommissioning: record !== null,
    registered: Object.values(regs).some((v) => brokerRegistration.decode(v)?.id === brokerId),
    replicas,
    leaders,
    movesInFlight,
    bytesLeft,
    balancer: bal ? { state: bal.state, reason: bal.reason } : null,
    done: replicas === 0,
  };
}

function formatProgress(p: DecommissionProgress): string {
  const head = p.done
    ? `broker ${p.broker}: empty (no replica, no leadership); it can be stopped`
    : `broker ${p.broker}: ${p.replicas} replicas left (${p.leaders} leaderships), ${p.movesInFlight} moves in flight, ${(p.bytesLeft / 1e6).toFixed(1)} MB left to copy`;
  const mark = p.decommissioning ? '' : ' (not being decommissioned)';
  const bal = p.balancer ? `\n  balancer: ${p.balancer.state}: ${p.balancer.reason}` : '';
  return `${head}${mark}${bal}`;
}

export async function decommission(o: DecommissionOptions, idArg: string): Promise<number> {
  const fail = (msg: string) => {
    process.stderr.write(`dms brokers decommission: ${msg}\n`);
    return 1;
  };
  const brokerId = Number(idArg);
  if (!/^\d+$/.test(idArg) || !Number.isSafeInteger(brokerId) || brokerId > 0x7fffffff) return fail(`a broker id is a non-negative integer, got '${idArg}'`);
  if ([o.status, o.cancel, o.wait && o.cancel].filter(Boolean).length > 1) return fail('--status and --cancel go alone');
  let timeoutMs: number;
  const waitMs = Number(o.waitTimeout);
  try {
    timeoutMs = timeoutOf(o);
    if (!Number.isInteger(waitMs) || waitMs <= 0) throw new Error(`--wait-timeout must be a positive integer (ms), got '${o.waitTimeout}'`);
  } catch (e) {
    return fail((e as Error).message);
  }
  const { client: etcd, clusterName } = etcdOf(o, timeoutMs);
  const print = (p: DecommissionProgress) => process.stdout.write((o.json ? JSON.stringify(p) : formatProgress(p)) + '\n');
  try {
    if (o.status) {
      print(await readDecommissionProgress(etcd, clusterName, brokerId));
      return 0;
    }
    let tls;
    try {
      tls = operatorTls(o);
    } catch (e) {
      return fail((e as Error).message);
    }
    const leader = controllerLeader.decode(await etcd.get(controllerLeaderKey(clusterName)).string());
    if (!leader || leader.port === 0) return fail('no controller leads the cluster now; try again');
    const address = `${leader.host}:${leader.port}`;
    const client = createClient(clusterV1.ControllerServiceClient, address, { tls, tracing: false });
    try {
      const res = await unary(client.decommissionBroker.bind(client), { brokerId, cancel: o.cancel === true }, { timeoutMs });
      if (res.errorCode !== ErrorCode.NONE) return fail(res.errorMessage || `error ${res.errorCode}`);
    } catch (e) {
      return fail(`controller at ${address}: ${(e as Error).message}`);
    } finally {
      client.close();
    }
    if (o.cancel) {
      if (!o.json) process.stdout.write(`broker ${brokerId}: decommission cancelled; it stays cordoned (\`dms brokers uncordon ${brokerId}\` lets it take new replicas)\n`);
      else print(await readDecommissionProgress(etcd, clusterName, brokerId));
      return 0;
    }
    if (!o.json && !o.wait) process.stdout.write(`broker ${brokerId}: decommissioning (cordoned; the controller moves its replicas off; \`--status\` shows progress)\n`);
    if (!o.wait) {
      if (o.json) print(await readDecommissionProgress(etcd, clusterName, brokerId));
      return 0;
    }
    const deadline = Date.now() + waitMs;
    let last = '';
    for (;;) {
      const p = await readDecommissionProgress(etcd, clusterName, brokerId);
      const line = formatProgress(p);
      if (p.done) {
        print(p);
        return 0;
      }
      if (!o.json && line !== last) process.stderr.write(line + '\n');
      last = line;
      if (Date.now() >= deadline) return fail(`gave up waiting after ${waitMs} ms: ${p.replicas} replicas still on broker ${brokerId}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  } catch (e) {
    return fail(`cannot read etcd: ${(e as Error).message}`);
  } finally {
    etcd.close();
  }
}
