/**
 * Keeps appends to one partition in the order their requests arrived. Kafka appends under the
 * partition's lock in arrival order; here a produce request awaits checks before it appends
 * (a log still opening, decompressing a batch to validate it), and those take longer for larger
 * or compressed batches, so without a turn a later request could overtake an earlier one and
 * reorder a producer's records (an idempotent producer would then see OUT_OF_ORDER_SEQUENCE).
 *
 * `turn(key)` is taken synchronously when the request arrives; `ready` (undefined when nothing
 * is ahead) settles once every earlier turn of the key is `done`; `done` is called as soon as
 * the append has been handed to the log (which assigns offsets synchronously), or when the
 * request gives up before appending.
 */
export interface AppendTurn {
  readonly ready: Promise<void> | undefined;
  done(): void;
}

/**
 * One request's turn. A turn is complete once it is done and every earlier turn of its key is
 * complete; the next turn's `ready` settles then. Nothing but this object is made per turn when
 * nobody waits behind it (the usual case: one request per partition at a time); the promise a
 * later turn waits on is made only when there is one.
 */
class Turn implements AppendTurn {
  ready: Promise<void> | undefined;
  /** The turn after this one (same key), while this one is not complete. */
  next: Turn | undefined;
  private finished = false;
  complete = false;
  /** Settles the next turn's `ready`. */
  private release: (() => void) | undefined;

  constructor(
    private readonly order: AppendOrder,
    readonly key: string,
    /** The turn before this one, until it completes (then nothing holds it from here). */
    private ahead: Turn | undefined,
  ) {
    if (ahead) {
      ahead.next = this;
      this.ready = new Promise<void>((resolve) => (ahead.release = resolve));
    }
  }

  done(): void {
    if (this.finished) return;
    this.finished = true;
    this.settle();
  }

  /** Completes this turn (and the finished ones behind it) if every earlier one is complete. */
  private settle(): void {
    let t: Turn | undefined = this;
    while (t && t.finished && !t.complete && !t.ahead) {
      t.complete = true;
      t.release?.();
      t.release = undefined;
      const next: Turn | undefined = t.next;
      t.next = undefined;
      if (next) next.ahead = undefined;
      else this.order.ended(t);
      t = next;
    }
  }
}

export class AppendOrder {
  /** The last turn taken of each key, until it completes. */
  private readonly tails = new Map<string, Turn>();

  turn(key: string): AppendTurn {
    const ahead = this.tails.get(key);
    const t = new Turn(this, key, ahead);
    this.tails.set(key, t);
    return t;
  }

  /** @internal The last turn of its key completed. */
  ended(t: Turn): void {
    if (this.tails.get(t.key) === t) this.tails.delete(t.key);
  }

  /** Keys with a turn not yet done (for tests and leaks). */
  get pending(): number {
    return this.tails.size;
  }
}
