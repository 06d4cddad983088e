// Headers of a segment's latest assigned batches, in file order, so a read near the end finds its
// batch without reading headers from disk.
import type { BatchInfo } from './batch-scan';

/** Headers kept: followers and tailing consumers read there. */
const TAIL_BATCHES = 256;

export class BatchTail {
  private tail: BatchInfo[] = [];
  /** Every offset above it is covered by `tail`; undefined when the tail is unknown. */
  private floor: bigint | undefined;

  constructor(baseOffset: bigint) {
    this.floor = baseOffset - 1n;
  }

  /** Starts over empty at a segment's base (a rescan follows). */
  reset(baseOffset: bigint): void {
    this.tail = [];
    this.floor = baseOffset - 1n;
  }

  /** Forgets the headers and stops keeping them (a sealed or trusted-loaded segment). */
  drop(): void {
    this.tail = [];
    this.floor = undefined;
  }

  remember(info: BatchInfo): void {
    if (this.floor === undefined) return;
    this.tail.push(info);
    if (this.tail.length >= 2 * TAIL_BATCHES) {
      const dropped = this.tail.splice(0, this.tail.length - TAIL_BATCHES);
      this.floor = dropped[dropped.length - 1]!.lastOffset;
    }
  }

  /**
   * The first batch with lastOffset >= offset that ends within writtenSize, or null for none;
   * undefined when the tail does not cover offset.
   */
  find(offset: bigint, writtenSize: number): BatchInfo | null | undefined {
    if (this.floor === undefined || offset <= this.floor) return undefined;
    const tail = this.tail;
    let lo = 0;
    let hi = tail.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (tail[mid]!.lastOffset < offset) lo = mid + 1;
      else hi = mid;
    }
    const found = tail[lo];
    return found && found.position + found.size <= writtenSize ? found : null;
  }
}
