// The shapes a partition log's callers pass and receive (appends, markers, reads).
import type { AppendOrigin } from './producer-state/producer-state-manager';
import type { ReadBufferPool } from './read-buffer-pool';

export interface AppendOptions {
  leaderEpoch: number;
  /** When set, the batches are stamped with LogAppendTime = this value. */
  logAppendTime?: bigint;
  /**
   * 'coordinator': a coordinator of this cluster writing to an internal topic, whose
   * transactional batches carry no sequence (Kafka's AppendOrigin.COORDINATOR). Default 'client'.
   */
  origin?: Exclude<AppendOrigin, 'replication'>;
}

export interface AppendResult {
  baseOffset: bigint;
  lastOffset: bigint;
  /** -1 unless the batches were stamped with LogAppendTime. */
  logAppendTime: bigint;
  logStartOffset: bigint;
  /** The append repeated one of its producer's last five batches: nothing was written, the offsets are the original's. */
  duplicate?: boolean;
}

/** An end-transaction marker for appendControl (WriteTxnMarkers). */
export interface TxnMarker {
  producerId: bigint;
  producerEpoch: number;
  committed: boolean;
  coordinatorEpoch: number;
}

export interface ReadOptions {
  /** Exclusive: batches reaching this offset are not returned (the high watermark). */
  upperBound: bigint;
  /** Return the first batch even when it alone exceeds maxBytes. */
  minOneBatch: boolean;
  /**
   * Disk reads, and in-memory tail reads that span several tail blocks, go into buffers leased
   * from this pool; the caller releases `records` (any view of it) once its bytes are copied out.
   * A tail read within one block is a view of the block, not leased (releasing it is a no-op).
   */
  pool?: ReadBufferPool;
}

export interface ReadResult {
  /** Whole batches, possibly none; one contiguous slice of one segment. */
  records: Buffer;
  logStartOffset: bigint;
  logEndOffset: bigint;
  highWatermark: bigint;
}
