/**
 * The open-loop schedule, as pure functions of time: item i (a record with --rate, a request
 * with --request-rate) is due at i / rate seconds after the start, whatever happened to the
 * items before it. Latency is measured from that due time, so a stall of the cluster (or of this
 * process) shows as latency of everything scheduled during it: no coordinated omission.
 */

/** Milliseconds after the start at which item `i` is due. */
export function dueAtMs(i: number, perSecond: number): number {
  return (i * 1000) / perSecond;
}

/** How many items are due by `elapsedMs` (those with dueAtMs <= elapsedMs), capped at `limit`. */
export function dueBy(elapsedMs: number, perSecond: number, limit = Number.POSITIVE_INFINITY): number {
  if (elapsedMs < 0) return 0;
  return Math.min(limit, Math.floor((elapsedMs * perSecond) / 1000 + 1e-9) + 1);
}

/** Items scheduled in a run of `durationMs`: those due strictly before its end. */
export function itemsInRun(durationMs: number, perSecond: number): number {
  return Math.ceil((durationMs * perSecond) / 1000 - 1e-9);
}

/** Items go round-robin over the partitions, and over the producers sharing the rate. */
export function roundRobin(i: number, n: number): number {
  return i % n;
}

/** Records of one partition that leave as one batch, each with the time it was due. */
export interface PendingBatch {
  partition: number;
  /** Due time (ms after the start) of each record in the batch, in order. */
  dueMs: number[];
  /** When the batch is to be sent: its first record's due time plus the linger, or when it filled. */
  sendAtMs: number;
}

/**
 * A client's linger (Kafka's linger.ms with batch.size counted in records): a partition's batch
 * opens with its first record and leaves `lingerMs` later, or as soon as it holds `maxRecords`.
 * With a linger of 0 every record leaves alone at its due time.
 */
export class LingerGrouper {
  private readonly open = new Map<number, PendingBatch>();

  constructor(private readonly lingerMs: number, private readonly maxRecords: number) {
    if (lingerMs < 0 || maxRecords < 1) throw new Error('linger must be >= 0 and batches hold at least one record');
  }

  /**
   * Adds a record due at `dueMs` (records come in due order); returns the batches this closed: the
   * partition's open batch when its linger ran out before this record was due (however late this
   * process gets round to it), and the new batch when this record filled it.
   */
  add(partition: number, dueMs: number): PendingBatch[] {
    const closed: PendingBatch[] = [];
    let batch = this.open.get(partition);
    if (batch && dueMs >= batch.sendAtMs) {
      closed.push(batch);
      batch = undefined;
    }
    if (!batch) {
      batch = { partition, dueMs: [], sendAtMs: dueMs + this.lingerMs };
      this.open.set(partition, batch);
    }
    batch.dueMs.push(dueMs);
    if (batch.dueMs.length >= this.maxRecords || this.lingerMs === 0) {
      this.open.delete(partition);
      batch.sendAtMs = dueMs;
      closed.push(batch);
    }
    return closed;
  }

  /** Removes and returns the batches whose linger has run out by `nowMs`. */
  due(nowMs: number): PendingBatch[] {
    const out: PendingBatch[] = [];
    for (const [p, b] of this.open) {
      if (b.sendAtMs <= nowMs) {
        out.push(b);
        this.open.delete(p);
      }
    }
    return out;
  }

  /** The earliest time an open batch is due to leave, or Infinity. */
  nextSendAtMs(): number {
    let t = Number.POSITIVE_INFINITY;
    for (const b of this.open.values()) t = Math.min(t, b.sendAtMs);
    return t;
  }

  /** Every open batch, as the run ends. */
  drain(): PendingBatch[] {
    const out = [...this.open.values()];
    this.open.clear();
    return out;
  }
}
