import { ErrorCode } from '@dms/kafka-errors';
import type { Logger } from '@dms/platform';
import type { TxnMarker, TxnMarkerPartition, TxnMarkerPartitionResult, WriteTxnMarkersRequest, WriteTxnMarkersResponse } from '@dms/rpc';
import { kafkaCodeOf } from './log-error-codes';
import type { ReplicaManager } from './replica-manager';

/** A marker this broker appended and the ISR has (contract of StorageServiceOptions.onTxnMarker). */
export interface TxnMarkerWritten {
  topic: string;
  partition: number;
  producerId: bigint;
  producerEpoch: number;
  committed: boolean;
  offset: bigint;
}

export interface TxnMarkerWriterOptions {
  replicas: Pick<ReplicaManager, 'get' | 'hasTopic' | 'leaderNow'>;
  logger: Logger;
  now: () => bigint;
  onTxnMarker?: (m: TxnMarkerWritten) => void;
}

/**
 * Kafka's WriteTxnMarkers on the partition leaders: each partition of each marker gets one
 * COMMIT/ABORT control batch, appended like an acks=all produce (min.insync.replicas checked
 * before, the in-sync replicas awaited after) and answered NONE once replicated; then
 * `onTxnMarker` learns of it (the group coordinator materialises or drops pending transactional
 * offsets). Partitions are written concurrently; a marker with an old producer epoch is
 * INVALID_PRODUCER_EPOCH, one from a fenced coordinator TRANSACTION_COORDINATOR_FENCED.
 */
export async function writeTxnMarkers(opts: TxnMarkerWriterOptions, req: WriteTxnMarkersRequest): Promise<WriteTxnMarkersResponse> {
  const markers = await Promise.all(
    req.markers.map(async (m) => ({
      producerId: m.producerId,
      partitions: await Promise.all(m.partitions.map((p) => writeOne(opts, m, p, req.timeoutMs))),
    })),
  );
  return { markers };
}

async function writeOne(opts: TxnMarkerWriterOptions, m: TxnMarker, p: TxnMarkerPartition, timeoutMs: number): Promise<TxnMarkerPartitionResult> {
  const answer = (errorCode: number): TxnMarkerPartitionResult => ({ topic: p.topic, partition: p.partition, errorCode });
  await opts.replicas.get(p.topic, p.partition);
  if (!opts.replicas.hasTopic(p.topic)) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const replica = opts.replicas.leaderNow(p.topic, p.partition);
  if (!replica || !replica.leader) return answer(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  if (replica.leader.isr.length < replica.minInsyncReplicas) return answer(ErrorCode.NOT_ENOUGH_REPLICAS);
  const leaderEpoch = replica.leaderEpoch;
  let offset: bigint;
  try {
    const marker = { producerId: m.producerId, producerEpoch: m.producerEpoch, committed: m.committed, coordinatorEpoch: m.coordinatorEpoch };
    offset = (await replica.log.appendControl(marker, { leaderEpoch, timestamp: opts.now() })).baseOffset;
  } catch (err) {
    const { code, expected } = kafkaCodeOf(err);
    if (!expected) opts.logger.error({ err, topic: p.topic, partition: p.partition }, 'marker append failed');
    return answer(code);
  }
  replica.onLocalAppend();
  if (replica.leaderEpoch !== leaderEpoch) return answer(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  const code = await replica.awaitReplication(offset + 1n, Math.max(0, timeoutMs), true);
  if (code !== ErrorCode.NONE) return answer(code);
  try {
    opts.onTxnMarker?.({ topic: p.topic, partition: p.partition, producerId: m.producerId, producerEpoch: m.producerEpoch, committed: m.committed, offset });
  } catch (err) {
    opts.logger.error({ err, topic: p.topic, partition: p.partition }, 'transaction marker hook failed');
  }
  return answer(ErrorCode.NONE);
}
