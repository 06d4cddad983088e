import { ErrorCode } from '@dms/kafka-errors';
import type { DescribeProducersPartition, DescribeProducersPartitionResult } from '@dms/rpc';
import type { ReplicaManager } from './replica-manager';

/**
 * Kafka's DescribeProducers on a partition leader: the producers in its producer state, with
 * their epoch, last sequence and timestamp, coordinator epoch and open transaction.
 */
export async function describeProducers(replicas: ReplicaManager, p: DescribeProducersPartition): Promise<DescribeProducersPartitionResult> {
  const base = { topic: p.topic, partition: p.partition, errorMessage: '', activeProducers: [] };
  await replicas.get(p.topic, p.partition);
  if (!replicas.hasTopic(p.topic)) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  const replica = replicas.leaderNow(p.topic, p.partition);
  if (!replica) return { ...base, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
  const activeProducers = [...replica.log.producers.entries()].map((e) => ({
    producerId: e.producerId,
    producerEpoch: e.epoch,
    lastSequence: e.batches.length > 0 ? e.batches[e.batches.length - 1]!.lastSeq : -1,
    lastTimestamp: e.lastTimestamp,
    coordinatorEpoch: e.coordinatorEpoch,
    currentTxnStartOffset: e.currentTxnFirstOffset,
  }));
  return { ...base, errorCode: ErrorCode.NONE, activeProducers };
}
