import { LogError } from '../log-error';
import { NO_PRODUCER_EPOCH, type ProducerBatchFields, type TxnMarkerFields } from './batch-producer-fields';
import {
  addBatch,
  type BatchMetadata,
  copyEntry,
  findDuplicate,
  inSequence,
  lastSequenceOf,
  newEntry,
  type ProducerEntry,
  updateEpoch,
} from './producer-entry';

/**
 * Who wrote a batch, as Kafka's AppendOrigin: a client (checked), a coordinator of this cluster
 * writing transactional batches with baseSequence -1 to an internal topic (no sequence check),
 * or replication / recovery (applied as it is).
 */
export type AppendOrigin = 'client' | 'coordinator' | 'replication';

/** A transaction whose marker was appended: its producer and its offset range (data .. marker). */
export interface CompletedTxn {
  producerId: bigint;
  firstOffset: bigint;
  lastOffset: bigint;
  aborted: boolean;
}

/** Kept so the last stable offset stays below a transaction until its marker is replicated. */
interface UnreplicatedTxn {
  firstOffset: bigint;
  lastOffset: bigint;
}

/** Bound on remembered completed transactions whose marker may still be above the high watermark. */
const MAX_UNREPLICATED = 10_000;

/**
 * One partition's producer state (Kafka's ProducerStateManager): per producer id its epoch,
 * the last five batches (sequences and offsets), its last timestamp, coordinator epoch and
 * open transaction; and the partition's open transactions for the last stable offset.
 *
 * Leader appends are checked first (`checkAppend`, which changes nothing), then every append,
 * the leader's, a follower's or a replay of the log, goes through `apply`, which never refuses.
 * Per batch the work is a Map lookup and a few comparisons.
 */
export class ProducerStateManager {
  private readonly producers = new Map<bigint, ProducerEntry>();
  /** Open transactions by first offset; insertion order is offset order (the log only grows). */
  private readonly ongoing = new Map<bigint, bigint>();
  private unreplicated: UnreplicatedTxn[] = [];

  get producerCount(): number {
    return this.producers.size;
  }

  entries(): IterableIterator<ProducerEntry> {
    return this.producers.values();
  }

  entry(producerId: bigint): ProducerEntry | undefined {
    return this.producers.get(producerId);
  }

  clear(): void {
    this.producers.clear();
    this.ongoing.clear();
    this.unreplicated = [];
  }

  /** Replaces the whole state (a snapshot load). */
  load(entries: Iterable<ProducerEntry>): void {
    this.clear();
    const open: ProducerEntry[] = [];
    for (const e of entries) {
      this.producers.set(e.producerId, e);
      if (e.currentTxnFirstOffset >= 0n) open.push(e);
    }
    open.sort((a, b) => (a.currentTxnFirstOffset < b.currentTxnFirstOffset ? -1 : 1));
    for (const e of open) this.ongoing.set(e.currentTxnFirstOffset, e.producerId);
  }

  /**
   * Kafka's ProducerAppendInfo checks for the batches of one leader append, in order, against the
   * state plus the earlier batches of the same append. Returns the cached batch that a single-batch
   * append duplicates (nothing is to be written then); throws a LogError on a refusal; changes nothing.
   */
  checkAppend(batches: readonly ProducerBatchFields[], origin: AppendOrigin): BatchMetadata | undefined {
    if (origin === 'replication') return undefined;
    // Later batches of a multi-batch append are checked against the earlier ones applied to copies.
    const staged = batches.length > 1 ? new Map<bigint, ProducerEntry>() : undefined;
    for (const b of batches) {
      if (b.control) throw new LogError('invalid-record', 'clients cannot write control batches');
      const current = staged?.get(b.producerId) ?? this.producers.get(b.producerId);
      const entry = current ?? newEntry(b.producerId);
      if (entry.epoch !== NO_PRODUCER_EPOCH && b.producerEpoch < entry.epoch) {
        throw new LogError(
          'invalid-producer-epoch',
          `epoch ${b.producerEpoch} of producer ${b.producerId} is older than its current epoch ${entry.epoch}`,
        );
      }
      const unsequenced = origin === 'coordinator' && b.transactional && b.baseSequence < 0;
      if (!unsequenced) {
        if (b.producerEpoch === entry.epoch) {
          const dup = findDuplicate(entry, b.baseSequence, b.lastSequence);
          if (dup) {
            if (batches.length > 1) throw new LogError('out-of-order-sequence', `duplicate of sequence ${b.baseSequence} within a multi-batch append`);
            return dup;
          }
        }
        this.checkSequence(entry, current !== undefined, b);
      }
      if (!b.transactional && entry.currentTxnFirstOffset >= 0n) {
        throw new LogError('invalid-txn-state', `producer ${b.producerId} wrote a non-transactional batch inside its open transaction`);
      }
      if (staged) {
        const next = copyEntry(entry);
        this.applyToEntry(next, b, unsequenced);
        staged.set(b.producerId, next);
      }
    }
    return undefined;
  }

  private checkSequence(entry: ProducerEntry, known: boolean, b: ProducerBatchFields): void {
    if (b.producerEpoch !== entry.epoch) {
      if (b.baseSequence === 0) return;
      // KIP-360: a producer this partition has no state for (never seen, or expired) must
      // learn it, so it can bump its epoch; a known producer starts a new epoch at sequence 0.
      if (!known || entry.epoch === NO_PRODUCER_EPOCH) {
        throw new LogError('unknown-producer-id', `no state for producer ${b.producerId}; its sequence ${b.baseSequence} cannot be checked`);
      }
      throw new LogError('out-of-order-sequence', `invalid sequence ${b.baseSequence} for new epoch ${b.producerEpoch} of producer ${b.producerId} (expected 0)`);
    }
    const last = lastSequenceOf(entry);
    if (!inSequence(last, b.baseSequence)) {
      throw new LogError('out-of-order-sequence', `out of order sequence ${b.baseSequence} of producer ${b.producerId} at epoch ${b.producerEpoch} (last sequence ${last})`);
    }
  }

  /**
   * Records an appended data batch (offsets final). Never refuses: followers and replays keep
   * whatever their leader wrote.
   */
  apply(b: ProducerBatchFields, origin: AppendOrigin): void {
    let entry = this.producers.get(b.producerId);
    if (!entry) this.producers.set(b.producerId, (entry = newEntry(b.producerId)));
    const hadTxn = entry.currentTxnFirstOffset >= 0n;
    this.applyToEntry(entry, b, origin !== 'client' && b.baseSequence < 0);
    if (!hadTxn && entry.currentTxnFirstOffset >= 0n) this.ongoing.set(entry.currentTxnFirstOffset, b.producerId);
  }

  private applyToEntry(entry: ProducerEntry, b: ProducerBatchFields, unsequenced: boolean): void {
    updateEpoch(entry, b.producerEpoch);
    if (unsequenced) {
      if (b.maxTimestamp > entry.lastTimestamp) entry.lastTimestamp = b.maxTimestamp;
    } else {
      addBatch(entry, { firstSeq: b.baseSequence, lastSeq: b.lastSequence, firstOffset: b.baseOffset, lastOffset: b.lastOffset, timestamp: b.maxTimestamp });
    }
    if (b.transactional && entry.currentTxnFirstOffset < 0n) entry.currentTxnFirstOffset = b.baseOffset;
  }

  /**
   * The leader's checks of an end-transaction marker: an epoch older than the producer's is
   * INVALID_PRODUCER_EPOCH, a coordinator epoch older than the last marker's is
   * TRANSACTION_COORDINATOR_FENCED. A producer without an open transaction still gets its marker.
   */
  checkMarker(producerId: bigint, producerEpoch: number, marker: TxnMarkerFields): void {
    const entry = this.producers.get(producerId);
    if (!entry) return;
    if (entry.epoch !== NO_PRODUCER_EPOCH && producerEpoch < entry.epoch) {
      throw new LogError('invalid-producer-epoch', `marker epoch ${producerEpoch} of producer ${producerId} is older than its current epoch ${entry.epoch}`);
    }
    if (marker.coordinatorEpoch < entry.coordinatorEpoch) {
      throw new LogError('coordinator-fenced', `coordinator epoch ${marker.coordinatorEpoch} is older than ${entry.coordinatorEpoch} for producer ${producerId}`);
    }
  }

  /** Records an appended marker; returns the transaction it completed, if one was open. */
  applyMarker(producerId: bigint, producerEpoch: number, marker: TxnMarkerFields, offset: bigint, timestamp: bigint): CompletedTxn | undefined {
    let entry = this.producers.get(producerId);
    if (!entry) this.producers.set(producerId, (entry = newEntry(producerId)));
    updateEpoch(entry, producerEpoch);
    entry.coordinatorEpoch = marker.coordinatorEpoch;
    if (timestamp > entry.lastTimestamp) entry.lastTimestamp = timestamp;
    const first = entry.currentTxnFirstOffset;
    if (first < 0n) return undefined;
    entry.currentTxnFirstOffset = -1n;
    this.ongoing.delete(first);
    this.unreplicated.push({ firstOffset: first, lastOffset: offset });
    // A follower never asks for its LSO: trim now and then (the oldest are far below any high watermark).
    if (this.unreplicated.length > 2 * MAX_UNREPLICATED) this.unreplicated.splice(0, this.unreplicated.length - MAX_UNREPLICATED);
    return { producerId, firstOffset: first, lastOffset: offset, aborted: !marker.committed };
  }

  /** First offset of the oldest open transaction, undefined when none is open. */
  firstOngoingOffset(): bigint | undefined {
    for (const first of this.ongoing.keys()) return first;
    return undefined;
  }

  /**
   * Kafka's first unstable offset against a high watermark: the oldest open transaction, or a
   * completed one whose marker the ISR does not have yet. The last stable offset is the min of
   * it and the high watermark.
   */
  lastStableOffset(highWatermark: bigint): bigint {
    let lso = highWatermark;
    const first = this.firstOngoingOffset();
    if (first !== undefined && first < lso) lso = first;
    if (this.unreplicated.length > 0) {
      let drop = 0;
      while (drop < this.unreplicated.length && this.unreplicated[drop]!.lastOffset < highWatermark) drop++;
      if (drop > 0) this.unreplicated.splice(0, drop);
      for (const t of this.unreplicated) if (t.firstOffset < lso) lso = t.firstOffset;
    }
    return lso;
  }

  /** Removes producers with no open transaction whose last write is older than `olderThanMs`. */
  removeExpired(nowMs: bigint, expirationMs: number): number {
    let n = 0;
    for (const [id, e] of this.producers) {
      if (e.currentTxnFirstOffset < 0n && nowMs - e.lastTimestamp >= BigInt(expirationMs)) {
        this.producers.delete(id);
        n++;
      }
    }
    return n;
  }
}
