// DescribeTransactions (65)
// Behavior: the state of each transactional id as its transaction coordinator holds it: state
//   name (Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort,
//   PrepareEpochFence), timeout, start time (-1 when none runs), producer id and epoch, and
//   the partitions of the running transaction. TRANSACTIONAL_ID_NOT_FOUND for an unknown id;
//   NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS while its coordinator moves.
//   Needs DESCRIBE on each TRANSACTIONAL_ID (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED for it);
//   topics the principal may not DESCRIBE are left out of the partitions, as Kafka.
// Version notes: v0 only (flexible).
// Not implemented: nothing known.
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';

export const describeTransactionsHandler: KafkaHandler = {
  apiKey: 65,
  name: 'DescribeTransactions',
  minVersion: 0,
  maxVersion: 0,
  acl: ['TRANSACTIONAL_ID:DESCRIBE', 'TOPIC:DESCRIBE'],
  async handle(ctx, req: any) {
    const ids = (req.transactionalIds ?? []) as string[];
    const refused = (transactionalId: string, errorCode: number) => ({
      errorCode, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [],
    });
    const allowed = ids.filter((id) => authorized(ctx, Operation.DESCRIBE, Resource.TRANSACTIONAL_ID, id));
    const described = ctx.transactions ? await ctx.transactions.describeTransactions(allowed) : allowed.map((id) => refused(id, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    const byId = new Map(described.map((d) => [d.transactionalId, d]));
    const transactionStates = ids.map((id) => {
      const d = byId.get(id);
      if (!d) return refused(id, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      return { ...d, topics: d.topics.filter((t) => authorized(ctx, Operation.DESCRIBE, Resource.TOPIC, t.topic)) };
    });
    return { throttleTimeMs: 0, transactionStates };
  },
};
