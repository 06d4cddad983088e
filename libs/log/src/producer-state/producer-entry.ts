import { NO_PRODUCER_EPOCH, NO_SEQUENCE } from './batch-producer-fields';

/** Kafka's ProducerStateEntry.NUM_BATCHES_TO_RETAIN: the batches a retry can duplicate. */
export const BATCHES_TO_RETAIN = 5;

/** One appended batch of a producer, as Kafka's BatchMetadata. */
export interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  firstOffset: bigint;
  lastOffset: bigint;
  timestamp: bigint;
}

/** What a partition knows about one producer id (Kafka's ProducerStateEntry). */
export interface ProducerEntry {
  producerId: bigint;
  epoch: number;
  /** The newest batches, oldest first, at most BATCHES_TO_RETAIN, all of `epoch`. */
  batches: BatchMetadata[];
  lastTimestamp: bigint;
  coordinatorEpoch: number;
  /** First offset of the producer's open transaction; -1 when none is open. */
  currentTxnFirstOffset: bigint;
}

export function newEntry(producerId: bigint): ProducerEntry {
  return { producerId, epoch: NO_PRODUCER_EPOCH, batches: [], lastTimestamp: -1n, coordinatorEpoch: -1, currentTxnFirstOffset: -1n };
}

export function lastSequenceOf(entry: ProducerEntry): number {
  return entry.batches.length > 0 ? entry.batches[entry.batches.length - 1]!.lastSeq : NO_SEQUENCE;
}

/** A new epoch forgets the old epoch's batches (their sequences restart at 0). */
export function updateEpoch(entry: ProducerEntry, epoch: number): void {
  if (entry.epoch === epoch) return;
  entry.epoch = epoch;
  entry.batches = [];
}

export function addBatch(entry: ProducerEntry, batch: BatchMetadata): void {
  entry.batches.push(batch);
  if (entry.batches.length > BATCHES_TO_RETAIN) entry.batches.shift();
  if (batch.timestamp > entry.lastTimestamp) entry.lastTimestamp = batch.timestamp;
}

/** The cached batch a retry repeats (same sequence range), if any. */
export function findDuplicate(entry: ProducerEntry, firstSeq: number, lastSeq: number): BatchMetadata | undefined {
  for (const b of entry.batches) if (b.firstSeq === firstSeq && b.lastSeq === lastSeq) return b;
  return undefined;
}

/** Kafka's inSequence: the next sequence after lastSeq, wrapping at Int32.MAX. */
export function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === 0x7fffffff);
}

export function copyEntry(e: ProducerEntry): ProducerEntry {
  return { ...e, batches: e.batches.map((b) => ({ ...b })) };
}
