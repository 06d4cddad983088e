import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import {
  AcknowledgeType,
  RecordState,
  ShareAcquireMode,
  toStateBatches,
  type AcknowledgementBatch,
  type AcquiredRange,
  type SharePartitionConfig,
  type SharePartitionSnapshot,
  type StateBatch,
} from './share-state';

interface InFlight {
  state: RecordState;
  deliveryCount: number;
  /** Member holding the acquisition lock (ACQUIRED only). */
  memberId?: string;
  /** When the acquisition lock expires (ACQUIRED only), on the partition's clock. */
  lockDeadline?: number;
}

export interface AcquireOptions {
  memberId: string;
  /** Offsets below this are readable (the high watermark, or the last stable offset). */
  fetchableEnd: bigint;
  maxRecords: number;
  mode?: ShareAcquireMode;
  /**
   * The last offset of each record batch the log holds from the window's end on, when known: in
   * batch-optimized mode the acquisition extends to the end of the batch it stops in.
   */
  batchLastOffsets?: readonly bigint[];
}

/** What an operation changed: the runs to persist (ShareUpdate) and the new start offset. */
export interface StateChange {
  startOffset: bigint;
  stateBatches: StateBatch[];
}

/**
 * The in-flight window of one share partition (group, topic, partition), as KIP-932 defines it:
 * records from the share-partition start offset (SPSO) to its end offset (SPEO) are AVAILABLE,
 * ACQUIRED by one member under a lock, ACKNOWLEDGED or ARCHIVED; a record's delivery count grows
 * with each acquisition, and a record released or whose lock expires at the delivery count limit
 * is archived instead of made available again. The start offset moves past every leading record
 * that is acknowledged or archived. Time is the injected clock; locks expire when `expireLocks`
 * runs (every operation runs it first, the owner schedules it at `nextLockDeadline`).
 *
 * Every change is reported as state batches so the owner can persist it before it answers.
 */
export class SharePartition {
  private start: bigint;
  /** One past the highest offset ever acquired: records from here on were never delivered. */
  private end: bigint;
  private readonly inFlight = new Map<bigint, InFlight>();

  constructor(
    initial: SharePartitionSnapshot,
    private readonly config: SharePartitionConfig,
    private readonly now: () => number,
  ) {
    this.start = initial.startOffset;
    this.end = initial.startOffset;
    // A loaded ACQUIRED record's lock died with its holder: it is available again (as Kafka loads it).
    for (const b of initial.stateBatches) {
      for (let o = b.firstOffset; o <= b.lastOffset; o++) {
        if (o < this.start) continue;
        const archived = b.deliveryState === RecordState.ARCHIVED
          || (b.deliveryState === RecordState.ACQUIRED && b.deliveryCount >= config.deliveryCountLimit);
        const state = b.deliveryState === RecordState.ACQUIRED ? (archived ? RecordState.ARCHIVED : RecordState.AVAILABLE) : b.deliveryState;
        this.inFlight.set(o, { state, deliveryCount: b.deliveryCount });
        if (o + 1n > this.end) this.end = o + 1n;
      }
    }
    // Offsets between the start and the last persisted one with no entry were never delivered.
    for (let o = this.start; o < this.end; o++) if (!this.inFlight.has(o)) this.inFlight.set(o, { state: RecordState.AVAILABLE, deliveryCount: 0 });
    this.advance();
  }

  get startOffset(): bigint {
    return this.start;
  }

  /** The share-partition end offset (SPEO): the last offset in flight, start - 1 when none. */
  get endOffset(): bigint {
    return this.end - 1n;
  }

  get lockDurationMs(): number {
    return this.config.recordLockDurationMs;
  }

  /** Records between the start offset and the end offset. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  stateOf(offset: bigint): { state: RecordState; deliveryCount: number; memberId?: string } | undefined {
    if (offset < this.start) return { state: RecordState.ARCHIVED, deliveryCount: 0 };
    const e = this.inFlight.get(offset);
    return e && { state: e.state, deliveryCount: e.deliveryCount, ...(e.memberId !== undefined ? { memberId: e.memberId } : {}) };
  }

  /** Every in-flight record as state batches (the value of a ShareSnapshot). */
  snapshot(): SharePartitionSnapshot {
    return { startOffset: this.start, stateBatches: toStateBatches(this.entries(this.start, this.end - 1n)) };
  }

  /** When the earliest acquisition lock expires, or undefined when nothing is acquired. */
  nextLockDeadline(): number | undefined {
    let min: number | undefined;
    for (const e of this.inFlight.values()) {
      if (e.state === RecordState.ACQUIRED && e.lockDeadline !== undefined && (min === undefined || e.lockDeadline < min)) min = e.lockDeadline;
    }
    return min;
  }

  /**
   * Acquires for `memberId` the earliest AVAILABLE records of the window, then records never
   * delivered, up to `maxRecords` (batch-optimized mode finishes the batch it stops in) and never
   * past `group.share.partition.max.record.locks` records in flight.
   */
  acquire(opts: AcquireOptions): { acquired: AcquiredRange[]; change: StateChange } {
    const expired = this.expireLocks();
    const deadline = this.now() + this.config.recordLockDurationMs;
    const touched: bigint[] = [];
    const take = (o: bigint, e: InFlight) => {
      e.state = RecordState.ACQUIRED;
      e.deliveryCount += 1;
      e.memberId = opts.memberId;
      e.lockDeadline = deadline;
      touched.push(o);
    };
    const max = Math.max(0, opts.maxRecords);
    for (let o = this.start; o < this.end && touched.length < max; o++) {
      const e = this.inFlight.get(o);
      if (e && e.state === RecordState.AVAILABLE && o < opts.fetchableEnd) take(o, e);
    }
    const limit = this.start + BigInt(this.config.maxRecordLocks);
    let stopAt = opts.fetchableEnd < limit ? opts.fetchableEnd : limit;
    if (touched.length < max && this.end < stopAt) {
      const wanted = this.end + BigInt(max - touched.length);
      let until = wanted < stopAt ? wanted : stopAt;
      if ((opts.mode ?? ShareAcquireMode.BATCH_OPTIMIZED) === ShareAcquireMode.BATCH_OPTIMIZED && opts.batchLastOffsets) {
        // Finish the batch the last wanted record sits in (the lock limit still bounds it).
        const lastWanted = until - 1n;
        const batchEnd = opts.batchLastOffsets.find((l) => l >= lastWanted);
        if (batchEnd !== undefined && batchEnd + 1n > until) until = batchEnd + 1n <= stopAt ? batchEnd + 1n : stopAt;
      }
      stopAt = until;
      for (let o = this.end; o < stopAt; o++) {
        const e: InFlight = { state: RecordState.AVAILABLE, deliveryCount: 0 };
        this.inFlight.set(o, e);
        take(o, e);
      }
      if (stopAt > this.end) this.end = stopAt;
    }
    const acquired: AcquiredRange[] = [];
    for (const o of touched) {
      const e = this.inFlight.get(o)!;
      const last = acquired[acquired.length - 1];
      if (last && last.lastOffset + 1n === o && last.deliveryCount === e.deliveryCount) last.lastOffset = o;
      else acquired.push({ firstOffset: o, lastOffset: o, deliveryCount: e.deliveryCount });
    }
    return { acquired, change: this.change([...expired, ...touched]) };
  }

  /**
   * Applies a member's acknowledgements: accept → ACKNOWLEDGED, reject and gap → ARCHIVED,
   * release → AVAILABLE (ARCHIVED at the delivery count limit), renew → a fresh lock (KIP-1222).
   * Every named offset must be ACQUIRED by this member, else nothing changes and the answer is
   * INVALID_RECORD_STATE (INVALID_REQUEST for a malformed batch).
   */
  acknowledge(memberId: string, batches: readonly AcknowledgementBatch[]): StateChange {
    const expired = this.expireLocks();
    const plan: [bigint, number][] = [];
    for (const b of batches) {
      if (b.lastOffset < b.firstOffset) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Acknowledgement batch ${b.firstOffset}-${b.lastOffset} ends before it starts.`);
      // Only offsets in flight can be held by anyone: checked before walking the range, which a
      // client chooses (a range of 2^62 offsets must not keep the broker busy).
      if (b.firstOffset < this.start || b.lastOffset >= this.end) {
        throw new KafkaError(ErrorCode.INVALID_RECORD_STATE, `Offsets ${b.firstOffset}-${b.lastOffset} are not all in flight (${this.start}-${this.end - 1n}).`);
      }
      const n = b.lastOffset - b.firstOffset + 1n;
      if (b.acknowledgeTypes.length !== 1 && BigInt(b.acknowledgeTypes.length) !== n) {
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `Acknowledgement batch ${b.firstOffset}-${b.lastOffset} has ${b.acknowledgeTypes.length} types for ${n} offsets.`);
      }
      for (let o = b.firstOffset; o <= b.lastOffset; o++) {
        const type = b.acknowledgeTypes.length === 1 ? b.acknowledgeTypes[0]! : b.acknowledgeTypes[Number(o - b.firstOffset)]!;
        if (!(type >= 0 && type <= 4)) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown acknowledge type ${type}.`);
        const e = this.inFlight.get(o);
        if (!e || e.state !== RecordState.ACQUIRED || e.memberId !== memberId) {
          throw new KafkaError(ErrorCode.INVALID_RECORD_STATE, `Offset ${o} is not acquired by member ${memberId}.`);
        }
        plan.push([o, type]);
      }
    }
    const deadline = this.now() + this.config.recordLockDurationMs;
    const touched: bigint[] = [];
    for (const [o, type] of plan) {
      const e = this.inFlight.get(o)!;
      touched.push(o);
      switch (type) {
        case AcknowledgeType.ACCEPT:
          this.settle(e, RecordState.ACKNOWLEDGED);
          break;
        case AcknowledgeType.REJECT:
        case AcknowledgeType.GAP:
          this.settle(e, RecordState.ARCHIVED);
          break;
        case AcknowledgeType.RELEASE:
          this.settle(e, e.deliveryCount >= this.config.deliveryCountLimit ? RecordState.ARCHIVED : RecordState.AVAILABLE);
          break;
        case AcknowledgeType.RENEW:
          e.lockDeadline = deadline;
          break;
      }
    }
    return this.change([...expired, ...touched]);
  }

  /** Releases every record `memberId` holds (the member left or its share session closed). */
  releaseMember(memberId: string): StateChange {
    const expired = this.expireLocks();
    const touched: bigint[] = [];
    for (const [o, e] of this.inFlight) {
      if (e.state === RecordState.ACQUIRED && e.memberId === memberId) {
        this.settle(e, e.deliveryCount >= this.config.deliveryCountLimit ? RecordState.ARCHIVED : RecordState.AVAILABLE);
        touched.push(o);
      }
    }
    return this.change([...expired, ...touched]);
  }

  /**
   * Ends the locks that are due: each record goes back to AVAILABLE, or to ARCHIVED once it has
   * been delivered `group.share.delivery.count.limit` times. Returns the offsets it changed.
   */
  expireLocks(): bigint[] {
    const now = this.now();
    const touched: bigint[] = [];
    for (const [o, e] of this.inFlight) {
      if (e.state === RecordState.ACQUIRED && e.lockDeadline !== undefined && e.lockDeadline <= now) {
        this.settle(e, e.deliveryCount >= this.config.deliveryCountLimit ? RecordState.ARCHIVED : RecordState.AVAILABLE);
        touched.push(o);
      }
    }
    return touched;
  }

  /** The lock expiry as a state change (for the owner's timer). */
  expire(): StateChange {
    return this.change(this.expireLocks());
  }

  /**
   * Moves the start offset (AlterShareGroupOffsets, or the log start moving past the window):
   * records below it are gone; records from it on keep their state if they were in flight.
   */
  resetTo(startOffset: bigint): StateChange {
    for (const o of [...this.inFlight.keys()]) if (o < startOffset) this.inFlight.delete(o);
    if (startOffset > this.end) {
      this.inFlight.clear();
      this.end = startOffset;
    }
    this.start = startOffset;
    this.advance();
    return { startOffset: this.start, stateBatches: toStateBatches(this.entries(this.start, this.end - 1n)) };
  }

  private settle(e: InFlight, state: RecordState): void {
    e.state = state;
    delete e.memberId;
    delete e.lockDeadline;
  }

  /** Moves the start offset past leading ACKNOWLEDGED and ARCHIVED records. */
  private advance(): void {
    while (this.start < this.end) {
      const e = this.inFlight.get(this.start);
      if (!e || (e.state !== RecordState.ACKNOWLEDGED && e.state !== RecordState.ARCHIVED)) break;
      this.inFlight.delete(this.start);
      this.start += 1n;
    }
  }

  private change(touched: bigint[]): StateChange {
    // Persist the touched records' states as they are after the change, including those the start
    // offset has moved past (a reader applies the new start offset after the batches).
    const states = new Map<bigint, { state: RecordState; deliveryCount: number }>();
    for (const o of touched) {
      const e = this.inFlight.get(o);
      if (e) states.set(o, { state: e.state, deliveryCount: e.deliveryCount });
    }
    this.advance();
    const sorted = [...states.entries()].filter(([o]) => o >= this.start).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return { startOffset: this.start, stateBatches: toStateBatches(sorted.map(([offset, s]) => ({ offset, ...s }))) };
  }

  private *entries(from: bigint, to: bigint): Generator<{ offset: bigint; state: RecordState; deliveryCount: number }> {
    for (let o = from; o <= to; o++) {
      const e = this.inFlight.get(o);
      if (e) yield { offset: o, state: e.state, deliveryCount: e.deliveryCount };
    }
  }
}

/** Applies a persisted change to a snapshot (replay of ShareUpdate records over a ShareSnapshot). */
export function applyStateChange(snapshot: SharePartitionSnapshot, change: StateChange): SharePartitionSnapshot {
  const byOffset = new Map<bigint, { state: RecordState; deliveryCount: number }>();
  for (const b of snapshot.stateBatches) for (let o = b.firstOffset; o <= b.lastOffset; o++) byOffset.set(o, { state: b.deliveryState, deliveryCount: b.deliveryCount });
  for (const b of change.stateBatches) for (let o = b.firstOffset; o <= b.lastOffset; o++) byOffset.set(o, { state: b.deliveryState, deliveryCount: b.deliveryCount });
  const start = change.startOffset >= 0n && change.startOffset > snapshot.startOffset ? change.startOffset : snapshot.startOffset;
  const entries = [...byOffset.entries()].filter(([o]) => o >= start).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { startOffset: start, stateBatches: toStateBatches(entries.map(([offset, s]) => ({ offset, ...s }))) };
}
