import type { Etcd3 } from 'etcd3';
import {
  controllerLeaderKey,
  errMessage,
  fencedTxn,
  NotLeaderError,
  partitionKey,
  partitionState,
  silentLog,
  type ClusterView,
  type Log,
  type PartitionState,
  replicaOnline,
} from '@dms/cluster';
import { ErrorCode } from '@dms/kafka-errors';

/** Structurally the gRPC AlterPartitionItem / AlterPartitionResult. */
export interface AlterPartitionItem {
  topic: string;
  partition: number;
  leaderEpoch: number;
  newIsr: number[];
  partitionEpoch: number;
}

export interface AlterPartitionResult {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string;
  leader: number;
  leaderEpoch: number;
  isr: number[];
  partitionEpoch: number;
}

export interface AlterPartitionOptions {
  client: Etcd3;
  view: ClusterView;
  clusterName: string;
  fence: () => string | undefined;
  /** Brokers that may not join an ISR now (in controlled shutdown). */
  excluded?: (brokerId: number) => boolean;
  log?: Log;
}

/**
 * Applies a leader's ISR change as Kafka's controller does: only the current leader at its
 * current leader epoch may ask, only from the partition epoch it knows (a compare-and-set, also
 * on the key's modRevision in the fenced transaction), the leader stays in the ISR, and only
 * live replicas may join. Answers the state as committed, or why not.
 */
export async function alterPartition(opts: AlterPartitionOptions, brokerId: number, item: AlterPartitionItem): Promise<AlterPartitionResult> {
  const log = opts.log ?? silentLog;
  const out = (errorCode: number, errorMessage: string, s?: PartitionState): AlterPartitionResult => ({
    topic: item.topic,
    partition: item.partition,
    errorCode,
    errorMessage,
    leader: s?.leader ?? -1,
    leaderEpoch: s?.leaderEpoch ?? -1,
    isr: s ? [...s.isr] : [],
    partitionEpoch: s?.partitionEpoch ?? -1,
  });
  const fence = opts.fence();
  if (fence === undefined) return out(ErrorCode.NOT_CONTROLLER, 'This controller is not the leader.');
  const { client, clusterName } = opts;
  let key: string;
  try {
    key = partitionKey(clusterName, item.topic, item.partition);
  } catch {
    return out(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'Invalid topic or partition.');
  }
  try {
    const got = await client.get(key).exec();
    const kv = got.kvs[0];
    const state = kv && partitionState.decode(kv.value);
    if (!kv || !state) return out(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This partition does not exist.');
    if (state.leader !== brokerId) return out(ErrorCode.NOT_LEADER_OR_FOLLOWER, `Broker ${brokerId} does not lead this partition.`, state);
    if (item.leaderEpoch !== state.leaderEpoch) return out(ErrorCode.FENCED_LEADER_EPOCH, `Leader epoch ${item.leaderEpoch} is not the current ${state.leaderEpoch}.`, state);
    if (item.partitionEpoch !== state.partitionEpoch) {
      return out(ErrorCode.INVALID_UPDATE_VERSION, `Partition epoch ${item.partitionEpoch} is not the current ${state.partitionEpoch}.`, state);
    }
    const isr = [...new Set(item.newIsr)];
    if (!isr.includes(brokerId) || isr.some((id) => !state.replicas.includes(id))) {
      return out(ErrorCode.INVALID_REQUEST, 'The ISR must hold the leader and only replicas.', state);
    }
    const joining = isr.filter((id) => !state.isr.includes(id));
    // Kafka's rule: a replica joins only from a live broker, and not from a log dir that is offline.
    const ineligible = joining.filter((id) => !replicaOnline(opts.view.broker(id), item.topic, item.partition) || opts.excluded?.(id) === true);
    if (ineligible.length > 0) return out(ErrorCode.INELIGIBLE_REPLICA, `Replicas ${ineligible.join(',')} are not alive, in controlled shutdown, or their log dir is offline.`, state);
    const next: PartitionState = { ...state, isr, partitionEpoch: state.partitionEpoch + 1 };
    const res = await fencedTxn(client, controllerLeaderKey(clusterName), fence)
      .and(key, 'Mod', '==', kv.mod_revision)
      .then(client.put(key).value(partitionState.encode(next)))
      .commit();
    if (!res.succeeded) return out(ErrorCode.INVALID_UPDATE_VERSION, 'The partition changed meanwhile.', state);
    log.info({ topic: item.topic, partition: item.partition, from: state.isr, to: isr, partitionEpoch: next.partitionEpoch }, 'ISR changed');
    return out(ErrorCode.NONE, '', next);
  } catch (e) {
    if (e instanceof NotLeaderError) return out(ErrorCode.NOT_CONTROLLER, 'This controller is no longer the leader.');
    return out(ErrorCode.REQUEST_TIMED_OUT, `metadata store error: ${errMessage(e)}`);
  }
}
