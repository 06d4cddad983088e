/** The transaction coordinator's settings, under Kafka's broker config names. */
export interface TransactionCoordinatorConfig {
  /** transaction.max.timeout.ms: a longer transaction.timeout.ms is INVALID_TRANSACTION_TIMEOUT. */
  transactionMaxTimeoutMs: number;
  /** transactional.id.expiration.ms: an idle transactional id is forgotten after this. */
  transactionalIdExpirationMs: number;
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms */
  abortTimedOutTransactionCleanupIntervalMs: number;
  /** transaction.remove.expired.transaction.cleanup.interval.ms */
  removeExpiredTransactionalIdCleanupIntervalMs: number;
}

export const DEFAULT_TRANSACTION_CONFIG: TransactionCoordinatorConfig = {
  transactionMaxTimeoutMs: 900_000,
  transactionalIdExpirationMs: 604_800_000,
  abortTimedOutTransactionCleanupIntervalMs: 10_000,
  removeExpiredTransactionalIdCleanupIntervalMs: 3_600_000,
};

/** The internal topic holding transaction state, as Kafka names it. */
export const TRANSACTION_STATE_TOPIC = '__transaction_state';
