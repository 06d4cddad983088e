// EndTxn (26)
// Behavior: commits or aborts the producer's ongoing transaction on its transaction
//   coordinator. The answer comes once PrepareCommit/PrepareAbort is durable in
//   __transaction_state (as Kafka); the coordinator then writes a COMMIT/ABORT marker to every
//   partition of the transaction through the partition leaders, retrying until each has it,
//   and records CompleteCommit/CompleteAbort. A retry of a finished end answers NONE; the other
//   outcome after it INVALID_TXN_STATE; while it completes CONCURRENT_TRANSACTIONS; an old epoch
//   PRODUCER_FENCED; an unknown producer INVALID_PRODUCER_ID_MAPPING; no transaction running
//   INVALID_TXN_STATE.
//   Needs WRITE on the TRANSACTIONAL_ID, else TRANSACTIONAL_ID_AUTHORIZATION_FAILED.
//   An empty transactional id is INVALID_REQUEST.
// Version notes: v0-v5; v0-v1 get INVALID_PRODUCER_EPOCH instead of PRODUCER_FENCED; v3+ flexible.
//   v5 answers the producer id and epoch (KIP-890): with transaction version 1, the only one DMS
//   finalizes, they are the request's on success and -1 on an error, as Kafka's coordinator
//   answers a version-1 transaction. Clients send v5 only once transaction.version 2 is finalized.
// Not implemented: transaction version 2 (an epoch bump on every end).
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';
import { fencedForVersion } from './txn-errors';

export const endTxnHandler: KafkaHandler = {
  apiKey: 26,
  name: 'EndTxn',
  minVersion: 0,
  maxVersion: 5,
  acl: ['TRANSACTIONAL_ID:WRITE'],
  async handle(ctx, req: any, version) {
    const answer = (errorCode: number) => ({
      throttleTimeMs: 0,
      errorCode,
      producerId: errorCode === ErrorCode.NONE ? BigInt(req.producerId) : -1n,
      producerEpoch: errorCode === ErrorCode.NONE ? req.producerEpoch : -1,
    });
    if (!authorized(ctx, Operation.WRITE, Resource.TRANSACTIONAL_ID, req.transactionalId)) return answer(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    if (!req.transactionalId) return answer(ErrorCode.INVALID_REQUEST);
    if (!ctx.transactions) return answer(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const code = await ctx.transactions.endTxn({
      transactionalId: req.transactionalId, producerId: BigInt(req.producerId), producerEpoch: req.producerEpoch, committed: !!req.committed,
    });
    return answer(fencedForVersion(code, version, 2));
  },
};
