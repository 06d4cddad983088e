/**
 * The vocabulary of share-partition state (KIP-932), by Kafka's wire values: record states as
 * ShareSnapshot/ShareUpdate persist them (`DeliveryState`), acknowledgement types as ShareFetch
 * and ShareAcknowledge carry them (`AcknowledgeTypes`, 4 = renew of KIP-1222).
 */
export const RecordState = {
  AVAILABLE: 0,
  ACQUIRED: 1,
  ACKNOWLEDGED: 2,
  ARCHIVED: 4,
} as const;
export type RecordState = (typeof RecordState)[keyof typeof RecordState];

export const AcknowledgeType = {
  GAP: 0,
  ACCEPT: 1,
  RELEASE: 2,
  REJECT: 3,
  RENEW: 4,
} as const;
export type AcknowledgeType = (typeof AcknowledgeType)[keyof typeof AcknowledgeType];

export function isAcknowledgeType(n: number): n is AcknowledgeType {
  return Number.isInteger(n) && n >= 0 && n <= 4;
}

/** KIP-1206: how ShareFetch v2 counts MaxRecords. */
export const ShareAcquireMode = {
  /** Whole batches; the last may take the count past MaxRecords (v1's behaviour). */
  BATCH_OPTIMIZED: 0,
  /** Never more than MaxRecords records. */
  RECORD_LIMIT: 1,
} as const;
export type ShareAcquireMode = (typeof ShareAcquireMode)[keyof typeof ShareAcquireMode];

/** A run of offsets in one state with one delivery count, as the share-state records persist it. */
export interface StateBatch {
  firstOffset: bigint;
  lastOffset: bigint;
  deliveryState: RecordState;
  deliveryCount: number;
}

/** The durable state of one share partition (a ShareSnapshot's value, less its epochs). */
export interface SharePartitionSnapshot {
  startOffset: bigint;
  stateBatches: StateBatch[];
}

/** One AcquiredRecords entry of a ShareFetch answer. */
export interface AcquiredRange {
  firstOffset: bigint;
  lastOffset: bigint;
  deliveryCount: number;
}

/** One AcknowledgementBatch: one type for the whole range, or one type per offset. */
export interface AcknowledgementBatch {
  firstOffset: bigint;
  lastOffset: bigint;
  acknowledgeTypes: number[];
}

/** The share-partition settings (group.share.*), Kafka's defaults in `defaultShareConfig`. */
export interface SharePartitionConfig {
  /** group.share.record.lock.duration.ms */
  recordLockDurationMs: number;
  /** group.share.delivery.count.limit */
  deliveryCountLimit: number;
  /** group.share.partition.max.record.locks: most records in flight (start to end offset). */
  maxRecordLocks: number;
}

/** Collapses per-offset states into runs, the way the state records carry them. */
export function toStateBatches(entries: Iterable<{ offset: bigint; state: RecordState; deliveryCount: number }>): StateBatch[] {
  const out: StateBatch[] = [];
  for (const e of entries) {
    const last = out[out.length - 1];
    if (last && last.lastOffset + 1n === e.offset && last.deliveryState === e.state && last.deliveryCount === e.deliveryCount) {
      last.lastOffset = e.offset;
    } else {
      out.push({ firstOffset: e.offset, lastOffset: e.offset, deliveryState: e.state, deliveryCount: e.deliveryCount });
    }
  }
  return out;
}
