import type { Etcd3 } from 'etcd3';
import {
  balanceStatusKey,
  balanceStatusRecord,
  brokerDecommissionRecord,
  brokerDecommissionsPrefix,
  brokerLoadRecord,
  brokerLoadsPrefix,
  type BalanceStatusRecord,
  type ClusterView,
} from '@dms/cluster';
import { readCordoned } from '../cordon';
import type { PlannerBroker, PlannerPartition } from './planner';

/** What one balancing round reads from etcd besides the cluster view. */
export interface BalanceReadings {
  cordoned: Set<number>;
  decommissioning: Set<number>;
  /** topic -> partition -> largest reported replica size. */
  sizes: Map<string, Map<number, number>>;
  /** topic -> partition -> bytes-in per second, the largest any broker reports (its leader's). */
  bytesIn: Map<string, Map<number, number>>;
  previous: BalanceStatusRecord | undefined;
}

export async function readDecommissioning(client: Etcd3, clusterName: string): Promise<Set<number>> {
  const kvs = await client.getAll().prefix(brokerDecommissionsPrefix(clusterName)).strings();
  const out = new Set<number>();
  for (const raw of Object.values(kvs)) {
    const rec = brokerDecommissionRecord.decode(raw);
    if (rec) out.add(rec.brokerId);
  }
  return out;
}

export async function readBalanceInputs(client: Etcd3, clusterName: string): Promise<BalanceReadings> {
  const [cordoned, decommissioning, loads, status] = await Promise.all([
    readCordoned(client, clusterName),
    readDecommissioning(client, clusterName),
    client.getAll().prefix(brokerLoadsPrefix(clusterName)).strings(),
    client.get(balanceStatusKey(clusterName)).string(),
  ]);
  const sizes = new Map<string, Map<number, number>>();
  const bytesIn = new Map<string, Map<number, number>>();
  const merge = (into: Map<string, Map<number, number>>, from: Record<string, Record<string, number>>) => {
    for (const [topic, ps] of Object.entries(from)) {
      let m = into.get(topic);
      if (!m) into.set(topic, (m = new Map()));
      for (const [p, n] of Object.entries(ps)) m.set(Number(p), Math.max(m.get(Number(p)) ?? 0, n));
    }
  };
  for (const raw of Object.values(loads)) {
    const rec = brokerLoadRecord.decode(raw);
    if (!rec) continue;
    merge(sizes, rec.sizes);
    // A partition whose leadership moved lately is reported by both leaders: the larger wins.
    if (rec.bytesIn) merge(bytesIn, rec.bytesIn);
  }
  return { cordoned, decommissioning, sizes, bytesIn, previous: balanceStatusRecord.decode(status) };
}

/**
 * The planner's brokers: every registered one, every one a partition names, and every cordoned or
 * decommissioned one; `absentSince` (first time seen absent, kept in the status record so a new
 * controller leader keeps counting) gives how long an unregistered one has been gone.
 */
export function plannerBrokers(view: ClusterView, r: BalanceReadings, absentSince: ReadonlyMap<number, number>, nowMs: number): PlannerBroker[] {
  const ids = new Set<number>([...view.brokers().map((b) => b.id), ...r.cordoned, ...r.decommissioning]);
  for (const { state } of view.allPartitions()) for (const id of state.replicas) ids.add(id);
  return [...ids].sort((a, b) => a - b).map((id) => {
    const reg = view.broker(id);
    return {
      id,
      rack: reg?.rack ?? null,
      registered: reg !== undefined,
      cordoned: r.cordoned.has(id),
      decommissioning: r.decommissioning.has(id),
      absentForMs: reg ? 0 : Math.max(0, nowMs - (absentSince.get(id) ?? nowMs)),
    };
  });
}

/** The planner's partitions; `ownMoves` holds `topic\0partition` of the moves the self-balancer has in flight. */
export function plannerPartitions(view: ClusterView, r: BalanceReadings, ownMoves: ReadonlySet<string> = new Set()): PlannerPartition[] {
  return view.allPartitions().map(({ topic, partition, state }) => ({
    topic,
    partition,
    state,
    bytes: r.sizes.get(topic)?.get(partition) ?? 0,
    bytesIn: r.bytesIn.get(topic)?.get(partition) ?? 0,
    balancerMove: ownMoves.has(`${topic}\0${partition}`),
  }));
}

/** Unregistered brokers named by some partition, each with the time first seen absent. */
export function trackAbsent(view: ClusterView, previous: Readonly<Record<string, number>> | undefined, nowMs: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const { state } of view.allPartitions()) {
    for (const id of state.replicas) {
      if (view.broker(id) !== undefined || out.has(id)) continue;
      out.set(id, previous?.[String(id)] ?? nowMs);
    }
  }
  return out;
}
