// AddPartitionsToTxn (24)
// Behavior: the partitions join the producer's transaction on its transaction coordinator (the
//   storage broker leading the transactional id's partition of __transaction_state), which
//   starts the transaction if none runs. Per partition: TOPIC_AUTHORIZATION_FAILED (no WRITE on
//   the topic; internal topics are never allowed here, as Kafka), UNKNOWN_TOPIC_OR_PARTITION;
//   when any partition fails those checks the others answer OPERATION_NOT_ATTEMPTED and nothing
//   is added. The coordinator's answer applies to every partition: INVALID_PRODUCER_ID_MAPPING,
//   PRODUCER_FENCED, CONCURRENT_TRANSACTIONS while the previous transaction completes,
//   NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS while it moves. An empty transactional id is
//   INVALID_REQUEST.
//   Needs WRITE on the TRANSACTIONAL_ID (v0-v3), else TRANSACTIONAL_ID_AUTHORIZATION_FAILED.
// Version notes: v0-v3 one transaction from a client; v4+ the batched form brokers send
//   (KIP-890), several transactions, each optionally verify-only (answers per partition
//   whether it is already in the ongoing transaction, INVALID_TXN_STATE if not); it needs
//   CLUSTER_ACTION on the cluster, else a top-level CLUSTER_AUTHORIZATION_FAILED. v0-v1 get
//   INVALID_PRODUCER_EPOCH instead of PRODUCER_FENCED; v3+ flexible.
// Not implemented: nothing known.
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, clusterAuthorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';
import type { RequestContext } from './ports';
import { isInternalTopic } from './topic-names';
import { fencedForVersion } from './txn-errors';

interface TopicInput {
  name: string;
  partitions: number[];
}

interface TopicResult {
  name: string;
  resultsByPartition: { partitionIndex: number; partitionErrorCode: number }[];
}

interface Transaction {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  verifyOnly: boolean;
  topics: TopicInput[];
}

const results = (topics: TopicInput[], code: (topic: string, partition: number) => number): TopicResult[] =>
  topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: code(t.name, p) })) }));

async function addToTransaction(ctx: RequestContext, txn: Transaction, fromClient: boolean, version: number): Promise<TopicResult[]> {
  const topics = txn.topics ?? [];
  if (fromClient && !authorized(ctx, Operation.WRITE, Resource.TRANSACTIONAL_ID, txn.transactionalId)) {
    return results(topics, () => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  }
  if (!txn.transactionalId) return results(topics, () => ErrorCode.INVALID_REQUEST);
  const failed = new Map<string, number>();
  const partitions: { topic: string; partition: number }[] = [];
  for (const t of topics) {
    const view = ctx.cluster.topic(t.name);
    const allowed = !fromClient || (!isInternalTopic(t.name) && authorized(ctx, Operation.WRITE, Resource.TOPIC, t.name));
    for (const p of t.partitions) {
      if (!allowed) failed.set(`${t.name}\0${p}`, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      else if (!view || !view.partitions[p]) failed.set(`${t.name}\0${p}`, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      else partitions.push({ topic: t.name, partition: p });
    }
  }
  if (failed.size > 0) return results(topics, (t, p) => failed.get(`${t}\0${p}`) ?? ErrorCode.OPERATION_NOT_ATTEMPTED);
  if (!ctx.transactions) return results(topics, () => ErrorCode.COORDINATOR_NOT_AVAILABLE);
  const codes = await ctx.transactions.addPartitionsToTxn({
    transactionalId: txn.transactionalId, producerId: BigInt(txn.producerId), producerEpoch: txn.producerEpoch, verifyOnly: txn.verifyOnly, partitions,
  });
  const byKey = new Map(partitions.map((tp, i) => [`${tp.topic}\0${tp.partition}`, codes[i]]));
  return results(topics, (t, p) => fencedForVersion(byKey.get(`${t}\0${p}`) ?? ErrorCode.UNKNOWN_SERVER_ERROR, version, 2));
}

export const addPartitionsToTxnHandler: KafkaHandler = {
  apiKey: 24,
  name: 'AddPartitionsToTxn',
  minVersion: 0,
  maxVersion: 5,
  acl: ['TRANSACTIONAL_ID:WRITE', 'TOPIC:WRITE', 'CLUSTER:CLUSTER_ACTION'],
  async handle(ctx, req: any, version) {
    if (version < 4) {
      const resultsByTopicV3AndBelow = await addToTransaction(ctx, {
        transactionalId: req.v3AndBelowTransactionalId,
        producerId: req.v3AndBelowProducerId,
        producerEpoch: req.v3AndBelowProducerEpoch,
        verifyOnly: false,
        topics: req.v3AndBelowTopics ?? [],
      }, true, version);
      return { throttleTimeMs: 0, resultsByTopicV3AndBelow };
    }
    const transactions = (req.transactions ?? []) as Transaction[];
    if (!clusterAuthorized(ctx, Operation.CLUSTER_ACTION)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, resultsByTransaction: [] };
    }
    const resultsByTransaction = await Promise.all(transactions.map(async (t) => ({
      transactionalId: t.transactionalId,
      topicResults: await addToTransaction(ctx, t, false, version),
    })));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction };
  },
};
