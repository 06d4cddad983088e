import type { Etcd3 } from 'etcd3';
import { brokerCordonKey, brokerCordonRecord, brokerCordonsPrefix, controllerLeaderKey, errMessage, fencedTxn, NotLeaderError, silentLog, type Log } from '@dms/cluster';
import { ErrorCode, KafkaError } from '@dms/kafka-errors';

export interface CordonOptions {
  client: Etcd3;
  clusterName: string;
  fence: () => string | undefined;
  log?: Log;
}

/** Structurally the gRPC SetBrokerCordonResponse. */
export interface SetCordonResult {
  errorCode: number;
  errorMessage: string;
  wasCordoned: boolean;
}

/** The ids of every cordoned broker, read from etcd. */
export async function readCordoned(client: Etcd3, clusterName: string): Promise<Set<number>> {
  const kvs = await client.getAll().prefix(brokerCordonsPrefix(clusterName)).strings();
  const out = new Set<number>();
  for (const raw of Object.values(kvs)) {
    const rec = brokerCordonRecord.decode(raw);
    if (rec) out.add(rec.brokerId);
  }
  return out;
}

/**
 * Cordons or uncordons a broker as one fenced etcd write of broker-cordons/<id> (the controller
 * owns the key). Idempotent: cordoning a cordoned broker keeps its first time. A broker need not be
 * running to be cordoned (an operator may cordon one that is down for maintenance).
 */
export async function setBrokerCordon(opts: CordonOptions, brokerId: number, cordoned: boolean): Promise<SetCordonResult> {
  const out = (errorCode: number, errorMessage: string, wasCordoned = false): SetCordonResult => ({ errorCode, errorMessage, wasCordoned });
  if (!Number.isInteger(brokerId) || brokerId < 0) return out(ErrorCode.INVALID_REQUEST, `Invalid broker id ${brokerId}.`);
  const fence = opts.fence();
  if (fence === undefined) return out(ErrorCode.NOT_CONTROLLER, 'This controller is not the leader.');
  const { client, clusterName } = opts;
  const key = brokerCordonKey(clusterName, brokerId);
  try {
    const was = (await client.get(key).exec()).kvs.length > 0;
    if (was === cordoned) return out(ErrorCode.NONE, '', was);
    const txn = fencedTxn(client, controllerLeaderKey(clusterName), fence);
    const res = cordoned
      ? await txn.and(key, 'Create', '==', 0).then(client.put(key).value(brokerCordonRecord.encode({ brokerId, cordonedAtMs: Date.now() }))).commit()
      : await txn.and(key, 'Create', '>', 0).then(client.delete().key(key)).commit();
    // Lost a race with the same change: the state asked for holds either way.
    (opts.log ?? silentLog).info({ brokerId, cordoned, applied: res.succeeded }, cordoned ? 'broker cordoned' : 'broker uncordoned');
    return out(ErrorCode.NONE, '', was);
  } catch (e) {
    if (e instanceof NotLeaderError) return out(ErrorCode.NOT_CONTROLLER, 'This controller is no longer the leader.');
    return out(ErrorCode.REQUEST_TIMED_OUT, `metadata store error: ${errMessage(e)}`);
  }
}

/**
 * The brokers automatic placement may use: the live ones that are not cordoned. When fewer than
 * the replication factor are left, a clear INVALID_REPLICATION_FACTOR naming the cordoned brokers.
 */
export function placeableBrokers<B extends { id: number; cordoned?: boolean }>(brokers: readonly B[], replicationFactor: number): B[] {
  const usable = brokers.filter((b) => !b.cordoned);
  const cordoned = brokers.filter((b) => b.cordoned).map((b) => b.id);
  if (cordoned.length > 0 && replicationFactor > usable.length) {
    throw new KafkaError(
      ErrorCode.INVALID_REPLICATION_FACTOR,
      `Replication factor: ${replicationFactor} larger than available brokers: ${usable.length} (cordoned brokers take no new replicas: ${cordoned.sort((a, b) => a - b).join(', ')}; \`dms brokers uncordon\` one).`,
    );
  }
  return usable;
}
