/** What a chaos run wrote and what it read back, judged: pure, so it is unit-tested. */

export interface Acked {
  partition: number;
  seq: number;
}

/**
 * at-least-once: a plain producer resends a write whose answer it lost, so duplicates are expected
 * and tolerated. idempotent: the idempotent producer's retries must never duplicate, so any
 * duplicate fails the run.
 */
export type DeliveryMode = 'at-least-once' | 'idempotent';

export interface Verdict {
  mode: DeliveryMode;
  /** Nothing lost, nothing out of order, and in idempotent mode no duplicate. */
  passed: boolean;
  acknowledged: number;
  read: number;
  /** Acknowledged records missing from the log. Must be 0. */
  lost: number;
  lostSamples: string[];
  /** Records whose sequence number is lower than one before it in the same partition. Must be 0. */
  outOfOrder: number;
  /**
   * Records present more than once: client retries of writes whose answer was lost, tolerated
   * at-least-once, a failure in idempotent mode.
   */
  duplicates: number;
}

/**
 * `readBack` maps partition to the record values in offset order; values are `<partition>:<seq>`
 * and each partition's producer wrote increasing sequence numbers one at a time.
 */
export function verify(acked: Acked[], readBack: Map<number, string[]>, mode: DeliveryMode = 'at-least-once'): Verdict {
  let read = 0;
  let outOfOrder = 0;
  let duplicates = 0;
  const present = new Set<string>();
  for (const [, values] of readBack) {
    read += values.length;
    let highest = -1;
    for (const v of values) {
      if (present.has(v)) {
        duplicates++;
        continue;
      }
      present.add(v);
      const seq = Number(v.slice(v.indexOf(':') + 1));
      if (seq < highest) outOfOrder++;
      highest = Math.max(highest, seq);
    }
  }
  const missing = acked.filter((a) => !present.has(`${a.partition}:${a.seq}`));
  return {
    mode,
    passed: missing.length === 0 && outOfOrder === 0 && (mode === 'at-least-once' || duplicates === 0),
    acknowledged: acked.length,
    read,
    lost: missing.length,
    lostSamples: missing.slice(0, 10).map((a) => `${a.partition}:${a.seq}`),
    outOfOrder,
    duplicates,
  };
}

/** Longest time without an acknowledgement, over all partitions, inside [from, to]. */
export function longestGapMs(ackTimes: number[][], from: number, to: number): number {
  let worst = 0;
  for (const times of ackTimes) {
    let last = from;
    for (const t of times) {
      if (t < from) continue;
      if (t > to) break;
      worst = Math.max(worst, t - last);
      last = t;
    }
    worst = Math.max(worst, Math.max(0, to - last));
  }
  return worst;
}
