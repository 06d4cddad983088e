import { controlRecordType, type DecodedRecordBatch } from '@dms/kafka-codec';

/**
 * The consumer side of read_committed (as Kafka's Fetcher): a read_committed fetch returns the
 * batches below the last stable offset with the transactions aborted among them (producer id,
 * first offset). A transactional batch of such a producer, from that offset up to the producer's
 * ABORT marker, is dropped; everything else is delivered. Batches must come in offset order.
 */
export class AbortedTransactionFilter {
  private readonly pending: { producerId: bigint; firstOffset: bigint }[];
  private readonly aborting = new Set<bigint>();

  constructor(aborted: readonly { producerId: bigint; firstOffset: bigint }[]) {
    this.pending = [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  }

  /** True when the batch's records are to be delivered (control batches never are). */
  keep(batch: DecodedRecordBatch): boolean {
    const h = batch.header;
    const last = h.baseOffset + BigInt(h.lastOffsetDelta);
    while (this.pending.length > 0 && this.pending[0].firstOffset <= last) this.aborting.add(this.pending.shift()!.producerId);
    if (h.isControl) {
      if (this.aborting.has(h.producerId) && batch.records.some((r) => controlRecordType(r.key) === 'abort')) this.aborting.delete(h.producerId);
      return false;
    }
    return !(h.isTransactional && this.aborting.has(h.producerId));
  }
}
