// AddOffsetsToTxn (25)
// Behavior: the group's partition of __consumer_offsets joins the producer's transaction on
//   its transaction coordinator, so EndTxn writes the COMMIT/ABORT marker there too and the
//   offsets TxnOffsetCommit stages become visible (or are dropped) with the transaction.
//   Errors as AddPartitionsToTxn (INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED,
//   CONCURRENT_TRANSACTIONS, NOT_COORDINATOR...); COORDINATOR_NOT_AVAILABLE while
//   __consumer_offsets does not exist yet.
//   Needs WRITE on the TRANSACTIONAL_ID (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED) and READ on
//   the GROUP (else GROUP_AUTHORIZATION_FAILED), as Kafka.
//   An empty transactional id is INVALID_REQUEST.
// Version notes: v0-v4; v0-v1 get INVALID_PRODUCER_EPOCH instead of PRODUCER_FENCED; v3+ flexible.
// Not implemented: nothing known.
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';
import { fencedForVersion } from './txn-errors';

export const addOffsetsToTxnHandler: KafkaHandler = {
  apiKey: 25,
  name: 'AddOffsetsToTxn',
  minVersion: 0,
  maxVersion: 4,
  acl: ['TRANSACTIONAL_ID:WRITE', 'GROUP:READ'],
  async handle(ctx, req: any, version) {
    const answer = (errorCode: number) => ({ throttleTimeMs: 0, errorCode });
    if (!authorized(ctx, Operation.WRITE, Resource.TRANSACTIONAL_ID, req.transactionalId)) return answer(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    if (!authorized(ctx, Operation.READ, Resource.GROUP, req.groupId)) return answer(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    if (!req.transactionalId) return answer(ErrorCode.INVALID_REQUEST);
    if (!ctx.transactions) return answer(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const code = await ctx.transactions.addOffsetsToTxn({
      transactionalId: req.transactionalId, producerId: BigInt(req.producerId), producerEpoch: req.producerEpoch, groupId: req.groupId,
    });
    return answer(fencedForVersion(code, version, 2));
  },
};
