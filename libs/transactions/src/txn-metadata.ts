import { TxnState, type TransactionLogValue, type TxnTopicPartitions } from './records';

export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
/** Kafka bumps to a new producer id once the epoch reaches Short.MAX_VALUE - 1. */
const MAX_EPOCH = 32767;

/** One transactional id's state, as the coordinator holds it in memory. */
export interface TxnMetadata {
  transactionalId: string;
  producerId: bigint;
  /** The producer id before the last rotation (epoch exhaustion), -1 when none. */
  previousProducerId: bigint;
  producerEpoch: number;
  /** In memory only (as in Kafka): the epoch before the last bump of a recovering producer. */
  lastProducerEpoch: number;
  timeoutMs: number;
  state: TxnState;
  /** topic -> partition ids in the transaction. */
  partitions: Map<string, Set<number>>;
  /** -1 when no transaction runs. */
  startTimestampMs: number;
  lastUpdateTimestampMs: number;
}

export const isEpochExhausted = (epoch: number): boolean => epoch >= MAX_EPOCH - 1;

export function partitionList(partitions: ReadonlyMap<string, ReadonlySet<number>>): TxnTopicPartitions[] {
  return [...partitions]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([topic, ids]) => ({ topic, partitionIds: [...ids].sort((a, b) => a - b) }));
}

export function partitionCount(partitions: ReadonlyMap<string, ReadonlySet<number>>): number {
  let n = 0;
  for (const ids of partitions.values()) n += ids.size;
  return n;
}

export function toLogValue(m: TxnMetadata): TransactionLogValue {
  return {
    producerId: m.producerId,
    previousProducerId: m.previousProducerId,
    nextProducerId: NO_PRODUCER_ID,
    producerEpoch: m.producerEpoch,
    transactionTimeoutMs: m.timeoutMs,
    state: m.state,
    partitions: partitionList(m.partitions),
    lastUpdateTimestampMs: m.lastUpdateTimestampMs,
    startTimestampMs: m.startTimestampMs,
    clientTransactionVersion: 0,
  };
}

export function fromLogValue(transactionalId: string, v: TransactionLogValue, lastProducerEpoch = NO_PRODUCER_EPOCH): TxnMetadata {
  const partitions = new Map<string, Set<number>>();
  for (const tp of v.partitions) {
    const set = partitions.get(tp.topic) ?? new Set<number>();
    for (const p of tp.partitionIds) set.add(p);
    partitions.set(tp.topic, set);
  }
  return {
    transactionalId,
    producerId: v.producerId,
    previousProducerId: v.previousProducerId,
    producerEpoch: v.producerEpoch,
    lastProducerEpoch,
    timeoutMs: v.transactionTimeoutMs,
    state: v.state,
    partitions,
    startTimestampMs: v.startTimestampMs,
    lastUpdateTimestampMs: v.lastUpdateTimestampMs,
  };
}

export function copyMetadata(m: TxnMetadata, change: Partial<TxnMetadata>): TxnMetadata {
  const partitions = new Map<string, Set<number>>();
  for (const [t, ids] of change.partitions ?? m.partitions) partitions.set(t, new Set(ids));
  return { ...m, ...change, partitions };
}
