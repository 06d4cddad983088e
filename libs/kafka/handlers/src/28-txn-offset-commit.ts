// TxnOffsetCommit (28)
// Behavior: the offsets of a consume-transform-produce transaction (KIP-98). The group's
//   coordinator appends them to its partition of __consumer_offsets as a transactional batch of
//   the request's producer id and epoch; they stay pending (OffsetFetch does not show them, and
//   with require_stable answers UNSTABLE_OFFSET_COMMIT for them) until the transaction's COMMIT
//   marker reaches that partition (added to the transaction by AddOffsetsToTxn), which makes them
//   the group's committed offsets, or its ABORT marker, which drops them. A stale producer epoch
//   answers the partition's producer error (INVALID_PRODUCER_EPOCH / PRODUCER_FENCED).
//   Partitions of unknown topics get UNKNOWN_TOPIC_OR_PARTITION.
// Version notes: v0-v2 carry no group generation: the commit is accepted in any group state, as
//   Kafka does for pre-KIP-447 clients; v2+ committed leader epoch; v3+ (KIP-447) generation,
//   member id and group.instance.id, checked against the group like OffsetCommit's (an unknown
//   member UNKNOWN_MEMBER_ID, a replaced static member FENCED_INSTANCE_ID, another generation
//   ILLEGAL_GENERATION; no rebalance check); v4 (KIP-890) adds TRANSACTION_ABORTABLE to the
//   possible answers and nothing to the request; v5 (KIP-890 part 2) is v4 on the wire: clients
//   send it only with transaction.version 2, whose implicit AddOffsetsToTxn DMS does not do.
//   Needs WRITE on the TRANSACTIONAL_ID (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED for every
//   partition), READ on the GROUP (else GROUP_AUTHORIZATION_FAILED for every partition) and READ
//   on each TOPIC (else TOPIC_AUTHORIZATION_FAILED for its partitions), checked before existence.
// Not implemented: transaction version 2's implicit AddOffsetsToTxn; KIP-890 server-side verification that the offsets partition was added to the
//   transaction (the coordinator trusts the client's AddOffsetsToTxn, as Kafka before 3.6 did).
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';

export const txnOffsetCommitHandler: KafkaHandler = {
  apiKey: 28,
  name: 'TxnOffsetCommit',
  minVersion: 0,
  maxVersion: 5,
  acl: ['TRANSACTIONAL_ID:WRITE', 'GROUP:READ', 'TOPIC:READ'],
  async handle(ctx, req: any) {
    const everyPartition = (errorCode: number) => ({
      throttleTimeMs: 0,
      topics: (req.topics as any[]).map((t) => ({
        name: t.name,
        partitions: (t.partitions as any[]).map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
      })),
    });
    if (!authorized(ctx, Operation.WRITE, Resource.TRANSACTIONAL_ID, req.transactionalId)) {
      return everyPartition(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    }
    if (!authorized(ctx, Operation.READ, Resource.GROUP, req.groupId)) return everyPartition(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const refused = new Map<string, number>();
    const topics = [];
    for (const t of req.topics as any[]) {
      const view = ctx.cluster.topic(t.name);
      const allowed = authorized(ctx, Operation.READ, Resource.TOPIC, t.name);
      const partitions = [];
      for (const p of t.partitions as any[]) {
        const k = `${t.name}\0${p.partitionIndex}`;
        if (!allowed) refused.set(k, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
        else if (!view || !view.partitions[p.partitionIndex]) refused.set(k, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        else partitions.push({ partitionIndex: p.partitionIndex, committedOffset: p.committedOffset, committedLeaderEpoch: p.committedLeaderEpoch ?? -1, committedMetadata: p.committedMetadata ?? undefined });
      }
      if (partitions.length > 0) topics.push({ name: t.name as string, partitions });
    }
    const codes = new Map<string, number>();
    if (topics.length > 0) {
      const res = await ctx.groups.txnOffsetCommit({
        transactionalId: req.transactionalId,
        groupId: req.groupId,
        producerId: req.producerId,
        producerEpoch: req.producerEpoch,
        generationId: req.generationId ?? -1,
        memberId: req.memberId ?? '',
        groupInstanceId: req.groupInstanceId ?? undefined,
        topics,
      });
      for (const t of res.topics) for (const p of t.partitions) codes.set(`${t.name}\0${p.partitionIndex}`, p.errorCode);
    }
    return {
      throttleTimeMs: 0,
      topics: (req.topics as any[]).map((t) => ({
        name: t.name,
        partitions: (t.partitions as any[]).map((p) => {
          const k = `${t.name}\0${p.partitionIndex}`;
          return { partitionIndex: p.partitionIndex, errorCode: refused.get(k) ?? codes.get(k) ?? ErrorCode.UNKNOWN_SERVER_ERROR };
        }),
      })),
    };
  },
};
