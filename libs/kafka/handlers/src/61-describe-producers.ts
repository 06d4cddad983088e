// DescribeProducers (61)
// Behavior: for each partition, its leader's producer state: every producer id it holds, with
//   the producer's epoch, last sequence, last timestamp, the coordinator epoch of its last
//   transaction marker and the first offset of its open transaction (-1 when none), as
//   `kafka-transactions.sh describe-producers` shows them. The gateway asks each partition's
//   storage leader (retrying while leadership moves); an unknown topic or partition is
//   UNKNOWN_TOPIC_OR_PARTITION.
//   Needs READ on each topic (as Kafka's KafkaApis, KIP-664), else TOPIC_AUTHORIZATION_FAILED
//   for its partitions.
// Version notes: v0 only (flexible).
// Not implemented: nothing known.
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';
import type { DescribeProducersInput } from './ports';

interface PartitionAnswer {
  partitionIndex: number;
  errorCode: number;
  errorMessage: string | null;
  activeProducers: object[];
}

export const describeProducersHandler: KafkaHandler = {
  apiKey: 61,
  name: 'DescribeProducers',
  minVersion: 0,
  maxVersion: 0,
  acl: ['TOPIC:READ'],
  async handle(ctx, req: any) {
    const inputs: DescribeProducersInput[] = [];
    const topics = ((req.topics ?? []) as any[]).map((t) => {
      const view = ctx.cluster.topic(t.name);
      const allowed = authorized(ctx, Operation.READ, Resource.TOPIC, t.name);
      const partitions: PartitionAnswer[] = ((t.partitionIndexes ?? []) as number[]).map((partitionIndex) => {
        const entry: PartitionAnswer = { partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers: [] };
        if (!allowed) entry.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        else if (!view || !view.partitions[partitionIndex]) entry.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        else inputs.push({ topic: t.name, partition: partitionIndex });
        return entry;
      });
      return { name: t.name, partitions };
    });
    if (inputs.length > 0) {
      const outcomes = await ctx.storage.describeProducers(inputs);
      const byKey = new Map(outcomes.map((o) => [`${o.topic}\0${o.partition}`, o]));
      for (const t of topics) {
        for (const p of t.partitions) {
          const o = byKey.get(`${t.name}\0${p.partitionIndex}`);
          if (!o || p.errorCode !== ErrorCode.NONE) continue;
          p.errorCode = o.errorCode;
          p.errorMessage = o.errorMessage || null;
          p.activeProducers = o.activeProducers.map((a) => ({
            producerId: a.producerId,
            producerEpoch: a.producerEpoch,
            lastSequence: a.lastSequence,
            lastTimestamp: a.lastTimestamp,
            coordinatorEpoch: a.coordinatorEpoch,
            currentTxnStartOffset: a.currentTxnStartOffset,
          }));
        }
      }
    }
    return { throttleTimeMs: 0, topics };
  },
};
