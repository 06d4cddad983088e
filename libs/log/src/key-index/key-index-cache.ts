import type { Segment } from '../segment';
import type { SegmentKeyIndex } from './segment-key-index';

/**
 * The persisted key indexes held in memory, shared by every log of the process, least recently
 * used first out once their bytes pass the budget (an evicted index is read again from its file).
 * Indexes of active segments are not here: their logs hold them until the segment is sealed.
 */
export class KeyIndexCache {
  private readonly held = new Map<Segment, SegmentKeyIndex>();
  private bytes = 0;

  constructor(public budgetBytes: number) {}

  get(segment: Segment): SegmentKeyIndex | undefined {
    const idx = this.held.get(segment);
    if (idx) {
      this.held.delete(segment);
      this.held.set(segment, idx);
    }
    return idx;
  }

  put(segment: Segment, idx: SegmentKeyIndex): void {
    this.drop(segment);
    this.held.set(segment, idx);
    this.bytes += idx.bytes;
    for (const [s, i] of this.held) {
      if (this.bytes <= this.budgetBytes || s === segment) break;
      this.held.delete(s);
      this.bytes -= i.bytes;
    }
  }

  drop(segment: Segment): void {
    const idx = this.held.get(segment);
    if (!idx) return;
    this.held.delete(segment);
    this.bytes -= idx.bytes;
  }

  get heldBytes(): number {
    return this.bytes;
  }
}

/** One cache per process (256 MiB of indexes by default). */
export const sharedKeyIndexCache = new KeyIndexCache(256 << 20);
