/**
 * The log's own small error vocabulary. Mapping to Kafka error codes happens once, at the
 * Kafka edge (OFFSET_OUT_OF_RANGE, CORRUPT_MESSAGE, KAFKA_STORAGE_ERROR, ...), not here.
 */
export type LogErrorKind =
  /** A fetch or delete offset outside [logStartOffset, logEndOffset]. */
  | 'offset-out-of-range'
  /** Appended bytes are not sound magic-2 batches (framing / magic). */
  | 'invalid-batch'
  /** appendWithOffsets got offsets that do not continue the log. */
  | 'unexpected-offset'
  /** On-disk state that cannot be repaired automatically (e.g. a malformed checkpoint). */
  | 'corrupt'
  /** partition.metadata names another topic id than the one the owner expects. */
  | 'inconsistent-topic-id'
  /** A write or read failed; the log refuses further appends until reopened. */
  | 'storage'
  /** An append carries a leader epoch older than one already in the log. */
  | 'fenced-leader-epoch'
  | 'invalid-config'
  /** Idempotence: a batch's sequence does not follow its producer's last one. */
  | 'out-of-order-sequence'
  /** A batch or marker carries a producer epoch older than the producer's current one. */
  | 'invalid-producer-epoch'
  /** A producer this partition has no state for sent a sequence other than 0 (KIP-360). */
  | 'unknown-producer-id'
  /** A non-transactional write from a producer inside its open transaction. */
  | 'invalid-txn-state'
  /** A marker from a transaction coordinator older than one that already wrote for the producer. */
  | 'coordinator-fenced'
  /** A batch clients may not write (a control batch). */
  | 'invalid-record'
  /** An exclusive operation (truncation) is running. */
  | 'busy'
  | 'closed';

export class LogError extends Error {
  override readonly name = 'LogError';
  constructor(
    readonly kind: LogErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isLogError(e: unknown, kind?: LogErrorKind): e is LogError {
  return e instanceof LogError && (kind === undefined || e.kind === kind);
}
