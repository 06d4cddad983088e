// ListTransactions (66)
// Behavior: the transactions every transaction coordinator holds (the gateway asks all
//   storage brokers), filtered by state names, producer ids and (v1) duration: only
//   transactions started longer ago than DurationFilter ms. State filters Kafka does not know
//   are echoed in UnknownStateFilters. A coordinator that did not answer makes the top-level
//   error COORDINATOR_NOT_AVAILABLE with what the others answered.
//   Lists only the transactional ids the principal may DESCRIBE, as Kafka.
// Version notes: v0-v2 (flexible); v1 adds DurationFilter (KIP-994); v2 TransactionalIdPattern
//   (KIP-1152): when non-empty, only ids the regular expression matches whole are listed; a
//   pattern that does not compile (or that RE2 would not run in linear time, see id-pattern.ts)
//   answers INVALID_REGULAR_EXPRESSION.
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';
import { compileIdPattern } from './id-pattern';

const STATES = new Set(['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence']);

export const listTransactionsHandler: KafkaHandler = {
  apiKey: 66,
  name: 'ListTransactions',
  minVersion: 0,
  maxVersion: 2,
  acl: ['TRANSACTIONAL_ID:DESCRIBE'],
  async handle(ctx, req: any, version) {
    const stateFilters = (req.stateFilters ?? []) as string[];
    const unknownStateFilters = stateFilters.filter((s) => !STATES.has(s));
    const known = stateFilters.filter((s) => STATES.has(s));
    // Only unknown states asked for: nothing can match.
    if (stateFilters.length > 0 && known.length === 0) return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, unknownStateFilters, transactionStates: [] };
    const pattern: string | null = version >= 2 ? req.transactionalIdPattern ?? null : null;
    const matcher = pattern ? compileIdPattern(pattern) : null;
    if (matcher && 'error' in matcher) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REGULAR_EXPRESSION, unknownStateFilters, transactionStates: [] };
    }
    if (!ctx.transactions) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, unknownStateFilters, transactionStates: [] };
    const res = await ctx.transactions.listTransactions({
      stateFilters: known,
      producerIdFilters: ((req.producerIdFilters ?? []) as bigint[]).map((p) => BigInt(p)),
      durationFilterMs: version >= 1 ? BigInt(req.durationFilter ?? -1n) : -1n,
    });
    const transactionStates = res.transactions
      .filter((t) => !matcher || matcher.match(t.transactionalId))
      .filter((t) => authorized(ctx, Operation.DESCRIBE, Resource.TRANSACTIONAL_ID, t.transactionalId))
      .map((t) => ({ transactionalId: t.transactionalId, producerId: t.producerId, transactionState: t.transactionState }));
    return { throttleTimeMs: 0, errorCode: res.errorCode, unknownStateFilters, transactionStates };
  },
};
