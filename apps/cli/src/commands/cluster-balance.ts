// `dms cluster balance`: the self-balancer's state as the leading controller last wrote it
// (balance/status in etcd) with the moves running now, read from the partitions.
import { Etcd3 } from 'etcd3';
import { balanceStatusKey, balanceStatusRecord, etcdClientOptions, partitionState, partitionsPrefix, parsePartitionKey, type BalanceStatusRecord } from '@dms/cluster';
import { resolveTarget, type ClusterStatusOptions } from './cluster';

export interface BalanceView {
  status: BalanceStatusRecord | null;
  /** Every reassignment running (the balancer's and the operator's). */
  reassignments: { topic: string; partition: number; replicas: number[]; adding: number[]; removing: number[] }[];
  bytesLeft: number;
}

export async function readBalance(client: Etcd3, clusterName: string): Promise<BalanceView> {
  const [raw, parts] = await Promise.all([client.get(balanceStatusKey(clusterName)).string(), client.getAll().prefix(partitionsPrefix(clusterName)).strings()]);
  const status = balanceStatusRecord.decode(raw) ?? null;
  const reassignments: BalanceView['reassignments'] = [];
  for (const [key, v] of Object.entries(parts)) {
    const s = partitionState.decode(v);
    const tp = parsePartitionKey(clusterName, key);
    if (!s || !tp || (!(s.addingReplicas?.length) && !(s.removingReplicas?.length))) continue;
    reassignments.push({ ...tp, replicas: s.replicas, adding: s.addingReplicas ?? [], removing: s.removingReplicas ?? [] });
  }
  reassignments.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  const bytesLeft = status ? status.inFlight.reduce((n, m) => n + m.bytes, 0) + status.pendingBytes : 0;
  return { status, reassignments, bytesLeft };
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

export function formatBalance(v: BalanceView, nowMs = Date.now()): string {
  const s = v.status;
  if (!s) return 'self-balancer: no round yet (no controller leader, or it has not run a round)';
  const lines = [
    `self-balancer: ${s.state}: ${s.reason}`,
    `  last round ${Math.max(0, Math.round((nowMs - s.updatedAtMs) / 1000))} s ago on controller ${s.controllerId}`,
    `  imbalance: replicas ${s.imbalance.replicas}%, leaders ${s.imbalance.leaders}%, disk ${s.imbalance.disk}%, inbound ${s.imbalance.networkIn ?? 0}%`,
    `  moves: ${v.reassignments.length} running, ${s.pendingMoves} planned next, ${s.movesCompleted} completed (${mb(s.bytesMoved)} moved), ${mb(v.bytesLeft)} left`,
    '  broker  rack      state            replicas  leaders  bytes       bytes in',
    ...s.brokers.map((b) => `  ${String(b.id).padEnd(6)}  ${(b.rack ?? '-').padEnd(8)}  ${b.state.padEnd(15)}  ${String(b.replicas).padStart(8)}  ${String(b.leaders).padStart(7)}  ${mb(b.bytes).padEnd(10)}  ${mb(b.bytesIn ?? 0)}/s`),
  ];
  for (const r of v.reassignments) lines.push(`  moving ${r.topic}-${r.partition}: replicas ${r.replicas.join(',')} adding ${r.adding.join(',') || '-'} removing ${r.removing.join(',') || '-'}`);
  return lines.join('\n');
}

export async function clusterBalance(o: ClusterStatusOptions): Promise<number> {
  const { endpoint, clusterName, tls } = resolveTarget(o);
  const timeoutMs = o.timeoutMs ?? 5000;
  const client = new Etcd3({
    ...etcdClientOptions({ 'etcd.endpoints': endpoint.split(','), 'etcd.tls.ca.location': tls?.caFile, 'etcd.tls.certificate.location': tls?.certFile, 'etcd.tls.key.location': tls?.keyFile }),
    dialTimeout: Math.min(timeoutMs, 2000),
  });
  try {
    const v = await readBalance(client, clusterName);
    process.stdout.write((o.json ? JSON.stringify(v) : formatBalance(v)) + '\n');
    return 0;
  } catch (e) {
    process.stderr.write(`dms cluster balance: cannot read etcd: ${(e as Error).message}\n`);
    return 1;
  } finally {
    client.close();
  }
}
