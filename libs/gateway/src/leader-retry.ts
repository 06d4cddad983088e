import { ErrorCode } from '@dms/kafka-errors';

/**
 * Errors after which the gateway may resend a partition's batch to the new leader itself, unless
 * the broker says it had already appended it (`appended`) and the batch is not idempotent: then
 * the client decides, as with Kafka. KAFKA_STORAGE_ERROR is one of them: the leader's log dir
 * failed and the controller is moving leadership away; a failed append was never made readable.
 */
export const RETRY_SAFE = new Set<number>([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.KAFKA_STORAGE_ERROR,
]);
/** The pause before a partition's request is sent again to its leader, which may have moved. */
export const RETRY_PAUSE_MS = 100;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
