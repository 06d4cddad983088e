import type { PartitionReplica } from './partition-replica';

interface Parked {
  readonly leaders: readonly (PartitionReplica | undefined)[];
  readonly deadline: number;
  readonly resolve: () => void;
  woken: boolean;
}

/**
 * The follower fetches parked on a leader's partitions until one of them moves (the replica
 * emits 'append') or their maxWait passes. One 'append' listener per replica and one timer for
 * them all, armed at the earliest deadline (followers ask with the same maxWait, so a new fetch
 * rarely re-arms it): parking and waking a fetch costs two set operations per partition, not a
 * timer and a listener each (replica-path.bench.ts).
 *
 * A move wakes its fetches once the microtasks of the turn it happened in have run
 * (process.nextTick), not at the first append: the log completes every append of a write cycle
 * before their 'append' events (a coalesced produce message appends its partitions together),
 * so they go to the follower in one answer and the follower acknowledges them with one fetch.
 */
export class ParkedFetches {
  private readonly byReplica = new WeakMap<PartitionReplica, Set<Parked>>();
  private readonly all = new Set<Parked>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  /** Resolves when one of `leaders` moves or after `ms`. */
  park(leaders: readonly (PartitionReplica | undefined)[], ms: number): Promise<void> {
    return new Promise((resolve) => {
      const w: Parked = { leaders, deadline: Date.now() + ms, resolve, woken: false };
      for (const r of leaders) if (r) this.parkedOn(r).add(w);
      this.all.add(w);
      if (w.deadline < this.timerAt) this.arm(w.deadline);
    });
  }

  /** Wakes every parked fetch (after this turn's microtasks): a role changed on this broker. */
  wakeAll(): void {
    for (const w of this.all) this.unpark(w, true);
  }

  /** Fetches parked now (for tests and leaks). */
  get size(): number {
    return this.all.size;
  }

  private parkedOn(r: PartitionReplica): Set<Parked> {
    let parked = this.byReplica.get(r);
    if (!parked) {
      const set = new Set<Parked>();
      this.byReplica.set(r, set);
      r.on('append', () => {
        for (const w of set) this.unpark(w, true);
      });
      parked = set;
    }
    return parked;
  }

  private unpark(w: Parked, moved: boolean): void {
    if (w.woken) return;
    w.woken = true;
    for (const r of w.leaders) if (r) this.byReplica.get(r)?.delete(w);
    this.all.delete(w);
    if (moved) process.nextTick(w.resolve);
    else w.resolve();
  }

  private arm(at: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(this.sweep, Math.max(0, at - Date.now()));
    this.timer.unref(); // a parked fetch keeps nothing alive on its own (its stream does)
  }

  /** Answers every fetch whose maxWait has passed; re-arms for the earliest of the others. */
  private readonly sweep = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const w of this.all) {
      if (w.deadline <= now) this.unpark(w, false);
      else if (w.deadline < next) next = w.deadline;
    }
    if (next < Infinity) this.arm(next);
  };
}
