import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { ApiKey } from '@dms/kafka-schema';
import type { KafkaClient } from './client';

/** DescribeProducers through the Kafka admin API (what `dms producers describe` calls). */

export interface ProducerState {
  producerId: bigint;
  producerEpoch: number;
  lastSequence: number;
  lastTimestamp: bigint;
  coordinatorEpoch: number;
  /** First offset of the producer's open transaction, -1 when none. */
  currentTxnStartOffset: bigint;
}

/** The producers of one partition, as its leader knows them; a partition error throws a KafkaError. */
export async function describeProducers(client: KafkaClient, topic: string, partition: number, timeoutMs = 30_000): Promise<ProducerState[]> {
  const res = await client.adminRequest<any>(ApiKey.DescribeProducers, { topics: [{ name: topic, partitionIndexes: [partition] }] }, timeoutMs);
  const p = (res.topics as any[]).find((t) => t.name === topic)?.partitions.find((x: any) => x.partitionIndex === partition);
  if (!p) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `DescribeProducers answer lacks ${topic}-${partition}`);
  if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode, p.errorMessage ?? undefined);
  return (p.activeProducers as any[]).map((a) => ({
    producerId: a.producerId,
    producerEpoch: a.producerEpoch,
    lastSequence: a.lastSequence,
    lastTimestamp: a.lastTimestamp,
    coordinatorEpoch: a.coordinatorEpoch,
    currentTxnStartOffset: a.currentTxnStartOffset,
  }));
}
