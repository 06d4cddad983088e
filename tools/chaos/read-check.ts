/**
 * What a consumer saw while the faults ran, judged: pure, so it is unit-tested.
 *
 * Stale read: the consumer is shown a partition behind what it already read, without having
 * sought back: a record below the highest offset already returned to it, or a high watermark
 * below the end of what it already read (a deposed leader, or a replica that lost data, serving).
 * Vanished read: a record the consumer was given that the final log does not hold at that offset
 * (it was served before it was safe, then truncated away).
 */
export interface SeenRecord {
  offset: bigint;
  value: string;
}

export interface ReadVerdict {
  /** Fetch answers that showed a partition behind what the consumer already read. Must be 0. */
  staleReads: number;
  staleSamples: string[];
  /** Records the consumer read that the final log does not hold at the same offset. Must be 0. */
  vanishedReads: number;
  vanishedSamples: string[];
  /** Records the live consumer read in all. */
  consumed: number;
}

const SAMPLES = 10;

export class ReadCheck {
  private readonly highest = new Map<number, bigint>();
  private readonly seen = new Map<number, Map<bigint, string>>();
  private stale = 0;
  private readonly staleSamples: string[] = [];
  private consumed = 0;

  /**
   * One fetch answer for `partition` asked at `position`: the records of every returned batch,
   * unfiltered, and the high watermark. Returns the next position (after the last record taken).
   */
  observe(partition: number, position: bigint, highWatermark: bigint, records: readonly SeenRecord[]): bigint {
    const highest = this.highest.get(partition) ?? -1n;
    const seen = this.seen.get(partition) ?? new Map<bigint, string>();
    this.seen.set(partition, seen);
    let staleHere = highWatermark >= 0n && highWatermark <= highest ? `high watermark ${highWatermark} after offset ${highest} was read` : '';
    let next = position;
    let top = highest;
    for (const r of records) {
      if (r.offset < highest && !staleHere) staleHere = `offset ${r.offset} served after offset ${highest} was read`;
      if (r.offset < position) continue;
      seen.set(r.offset, r.value);
      this.consumed++;
      if (r.offset > top) top = r.offset;
      if (r.offset + 1n > next) next = r.offset + 1n;
    }
    this.highest.set(partition, top);
    if (staleHere) {
      this.stale++;
      if (this.staleSamples.length < SAMPLES) this.staleSamples.push(`partition ${partition}: ${staleHere}`);
    }
    return next;
  }

  /** A fetch at `position` answered OFFSET_OUT_OF_RANGE: the log ends below what was already read. */
  outOfRange(partition: number, position: bigint): void {
    const highest = this.highest.get(partition) ?? -1n;
    if (position > highest + 1n || highest < 0n) return;
    this.stale++;
    if (this.staleSamples.length < SAMPLES) this.staleSamples.push(`partition ${partition}: offset ${position} out of range after offset ${highest} was read`);
  }

  /** Compares what was read with the final log of each partition (offset order). */
  verdict(finalLog: Map<number, readonly SeenRecord[]>): ReadVerdict {
    let vanished = 0;
    const vanishedSamples: string[] = [];
    for (const [partition, seen] of this.seen) {
      const final = new Map((finalLog.get(partition) ?? []).map((r) => [r.offset, r.value]));
      for (const [offset, value] of seen) {
        const now = final.get(offset);
        if (now === value) continue;
        vanished++;
        if (vanishedSamples.length < SAMPLES) vanishedSamples.push(`partition ${partition} offset ${offset}: read '${value}', log now holds ${now === undefined ? 'nothing' : `'${now}'`}`);
      }
    }
    return { staleReads: this.stale, staleSamples: [...this.staleSamples], vanishedReads: vanished, vanishedSamples, consumed: this.consumed };
  }
}
