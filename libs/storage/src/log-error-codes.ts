import { ErrorCode } from '@dms/kafka-errors';
import { LogError, type LogErrorKind } from '@dms/log';

/** The Kafka error code of each refusal of the log: the one place where log errors meet the protocol. */
const CODES: Partial<Record<LogErrorKind, number>> = {
  'fenced-leader-epoch': ErrorCode.NOT_LEADER_OR_FOLLOWER,
  busy: ErrorCode.NOT_LEADER_OR_FOLLOWER,
  'offset-out-of-range': ErrorCode.OFFSET_OUT_OF_RANGE,
  'invalid-batch': ErrorCode.CORRUPT_MESSAGE,
  'out-of-order-sequence': ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  'invalid-producer-epoch': ErrorCode.INVALID_PRODUCER_EPOCH,
  'unknown-producer-id': ErrorCode.UNKNOWN_PRODUCER_ID,
  'invalid-txn-state': ErrorCode.INVALID_TXN_STATE,
  'coordinator-fenced': ErrorCode.TRANSACTION_COORDINATOR_FENCED,
  'invalid-record': ErrorCode.INVALID_RECORD,
};

/**
 * The Kafka error code for an error from the log; anything else (I/O, a closed or failed log)
 * is KAFKA_STORAGE_ERROR. `expected` says whether it is a normal refusal (not worth an error log).
 */
export function kafkaCodeOf(err: unknown): { code: number; expected: boolean } {
  const code = err instanceof LogError ? CODES[err.kind] : undefined;
  return code === undefined ? { code: ErrorCode.KAFKA_STORAGE_ERROR, expected: false } : { code, expected: true };
}
