import type { Etcd3 } from 'etcd3';
import {
  brokerCordonKey,
  brokerCordonRecord,
  brokerDecommissionKey,
  brokerDecommissionRecord,
  controllerLeaderKey,
  errMessage,
  fencedTxn,
  NotLeaderError,
  silentLog,
  type ClusterView,
  type Log,
  type PartitionState,
} from '@dms/cluster';
import { ErrorCode } from '@dms/kafka-errors';
import { readCordoned } from '../cordon';
import { targetReplicas } from '../reassignment';
import { readDecommissioning } from './balance-inputs';

export interface DecommissionCandidate {
  id: number;
  rack: string | null;
  /** Registered, not cordoned, not being decommissioned: may take replicas. */
  placeable: boolean;
}

/**
 * Why the brokers left could not hold the partitions of broker `brokerId` (undefined when they
 * can): for each partition with a replica on it, the placeable brokers other than its remaining
 * replicas must offer a broker, and where racks are set, the partition must keep as many racks as
 * it spans now (capped by the racks the placeable brokers offer together with its other replicas).
 */
export function decommissionRefusal(
  brokerId: number,
  brokers: readonly DecommissionCandidate[],
  partitions: ReadonlyArray<{ topic: string; partition: number; state: PartitionState }>,
): string | undefined {
  const byId = new Map(brokers.map((b) => [b.id, b]));
  const rackOf = (id: number) => byId.get(id)?.rack ?? null;
  const racksSet = brokers.some((b) => b.rack !== null);
  const placeable = brokers.filter((b) => b.placeable && b.id !== brokerId);
  for (const { topic, partition, state } of partitions) {
    const replicas = targetReplicas(state);
    if (!replicas.includes(brokerId)) continue;
    const others = replicas.filter((id) => id !== brokerId);
    const free = placeable.filter((b) => !others.includes(b.id));
    if (free.length === 0) {
      return `Cannot decommission broker ${brokerId}: ${topic}-${partition} has replication factor ${replicas.length} and only ${placeable.length} other brokers take replicas (cordoned and decommissioning brokers take none).`;
    }
    if (!racksSet) continue;
    const racksNow = new Set(replicas.map(rackOf)).size;
    const otherRacks = new Set(others.map(rackOf));
    const newRack = free.some((b) => !otherRacks.has(b.rack));
    if (!newRack && otherRacks.size < racksNow) {
      return `Cannot decommission broker ${brokerId}: ${topic}-${partition} spans ${racksNow} racks and no broker left that takes replicas is in a rack it would lack (rack ${rackOf(brokerId) ?? '-'}).`;
    }
  }
  return undefined;
}

export interface DecommissionOptions {
  client: Etcd3;
  view: ClusterView;
  clusterName: string;
  fence: () => string | undefined;
  log?: Log;
}

/** Structurally the gRPC DecommissionBrokerResponse. */
export interface DecommissionResult {
  errorCode: number;
  errorMessage: string;
  /** Replicas still on the broker (target replica sets), leaderships among them. */
  replicas: number;
  leaders: number;
}

/**
 * Starts (or, with `cancel`, stops) emptying a broker: checks that the rest can hold its replicas,
 * then writes broker-decommissions/<id> and broker-cordons/<id> in one fenced transaction (a
 * decommission implies a cordon; cancelling leaves the cordon for the operator to lift). The
 * self-balancer does the moving. Idempotent.
 */
export async function decommissionBroker(opts: DecommissionOptions, brokerId: number, cancel: boolean): Promise<DecommissionResult> {
  const { client, clusterName, view } = opts;
  const log = opts.log ?? silentLog;
  const load = () => {
    let replicas = 0;
    let leaders = 0;
    for (const { state } of view.allPartitions()) {
      if (state.replicas.includes(brokerId)) replicas++;
      if (state.leader === brokerId) leaders++;
    }
    return { replicas, leaders };
  };
  const out = (errorCode: number, errorMessage = ''): DecommissionResult => ({ errorCode, errorMessage, ...load() });
  if (!Number.isInteger(brokerId) || brokerId < 0) return out(ErrorCode.INVALID_REQUEST, `Invalid broker id ${brokerId}.`);
  const fence = opts.fence();
  if (fence === undefined) return out(ErrorCode.NOT_CONTROLLER, 'This controller is not the leader.');
  const key = brokerDecommissionKey(clusterName, brokerId);
  try {
    if (cancel) {
      await fencedTxn(client, controllerLeaderKey(clusterName), fence).then(client.delete().key(key)).commit();
      log.info({ brokerId }, 'broker decommission cancelled');
      return out(ErrorCode.NONE);
    }
    const known = view.broker(brokerId) !== undefined || view.allPartitions().some(({ state }) => state.replicas.includes(brokerId));
    if (!known) return out(ErrorCode.BROKER_NOT_AVAILABLE, `Broker ${brokerId} is not registered and holds no replica.`);
    const [cordoned, decommissioning] = await Promise.all([readCordoned(client, clusterName), readDecommissioning(client, clusterName)]);
    const candidates: DecommissionCandidate[] = view.brokers().map((b) => ({
      id: b.id, rack: b.rack, placeable: !cordoned.has(b.id) && !decommissioning.has(b.id),
    }));
    const refusal = decommissionRefusal(brokerId, candidates, view.allPartitions());
    if (refusal) return out(ErrorCode.INVALID_REPLICATION_FACTOR, refusal);
    const now = Date.now();
    const cordonKey = brokerCordonKey(clusterName, brokerId);
    const ops = [client.put(key).value(brokerDecommissionRecord.encode({ brokerId, requestedAtMs: now }))];
    if (!cordoned.has(brokerId)) ops.push(client.put(cordonKey).value(brokerCordonRecord.encode({ brokerId, cordonedAtMs: now })));
    await fencedTxn(client, controllerLeaderKey(clusterName), fence).then(...ops).commit();
    log.info({ brokerId }, 'broker decommission started');
    return out(ErrorCode.NONE);
  } catch (e) {
    if (e instanceof NotLeaderError) return out(ErrorCode.NOT_CONTROLLER, 'This controller is no longer the leader.');
    return out(ErrorCode.REQUEST_TIMED_OUT, `metadata store error: ${errMessage(e)}`);
  }
}
