import { CoordinatorWriteError } from '@dms/coordinator';
import { ErrorCode, KafkaError } from '@dms/kafka-errors';

/** Append failures as Kafka's group coordinator reports them to clients. */
export function coordinatorErrorFor(appendError: number): number {
  switch (appendError) {
    case ErrorCode.NONE:
      return ErrorCode.NONE;
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
    case ErrorCode.COORDINATOR_NOT_AVAILABLE:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
    case ErrorCode.FENCED_LEADER_EPOCH:
    case ErrorCode.NOT_COORDINATOR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    default:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
  }
}

/** Append failures of a transactional commit: the producer's own errors reach the client as such. */
export function txnCoordinatorErrorFor(appendError: number): number {
  switch (appendError) {
    case ErrorCode.INVALID_PRODUCER_EPOCH:
    case ErrorCode.PRODUCER_FENCED:
    case ErrorCode.INVALID_PRODUCER_ID_MAPPING:
    case ErrorCode.INVALID_TXN_STATE:
    case ErrorCode.TRANSACTION_ABORTABLE:
    case ErrorCode.UNKNOWN_PRODUCER_ID:
      return appendError;
    default:
      return coordinatorErrorFor(appendError);
  }
}

/**
 * The client's error code for a failed coordinator write: a failed append mapped by `map` (the
 * log's own code), a KafkaError (the partition moved, or is loading) as it is; anything else is
 * reported and answered UNKNOWN_SERVER_ERROR.
 */
export function writeErrorCode(err: unknown, report?: (err: unknown) => void, map: (appendError: number) => number = coordinatorErrorFor): number {
  if (err instanceof CoordinatorWriteError) return map(err.appendCode);
  if (err instanceof KafkaError) return err.code;
  report?.(err);
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}
