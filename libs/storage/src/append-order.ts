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

export class AppendOrder {
  private readonly tails = new Map<string, Promise<void>>();

  turn(key: string): AppendTurn {
    const ahead = this.tails.get(key);
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = ahead ? ahead.then(() => mine) : mine;
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    let released = false;
    return {
      ready: ahead,
      done: () => {
        if (released) return;
        released = true;
        release();
      },
    };
  }

  /** Keys with a turn not yet done (for tests and leaks). */
  get pending(): number {
    return this.tails.size;
  }
}
