/** A fixed-size ring of timestamped samples: the newest `capacity` points of one chart series. */
export interface Point {
  t: number;
  v: number;
}

export class Ring {
  private readonly buf: Point[] = [];
  private start = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
  }

  push(p: Point): void {
    if (this.buf.length < this.capacity) this.buf.push(p);
    else {
      this.buf[this.start] = p;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  get size(): number {
    return this.buf.length;
  }

  /** Oldest first; only points at or after `since` when given. */
  points(since = -Infinity): Point[] {
    const out: Point[] = [];
    for (let i = 0; i < this.buf.length; i++) {
      const p = this.buf[(this.start + i) % this.buf.length];
      if (p.t >= since) out.push(p);
    }
    return out;
  }

  last(): Point | undefined {
    return this.buf.length === 0 ? undefined : this.buf[(this.start + this.buf.length - 1) % this.buf.length];
  }
}

/** Named rings created on first use, e.g. `topic.messagesIn:orders`. */
export class SeriesStore {
  private readonly series = new Map<string, Ring>();

  constructor(readonly capacity: number) {}

  push(name: string, p: Point): void {
    let r = this.series.get(name);
    if (!r) this.series.set(name, (r = new Ring(this.capacity)));
    r.push(p);
  }

  get(name: string): Point[] {
    return this.series.get(name)?.points() ?? [];
  }

  names(prefix = ''): string[] {
    return [...this.series.keys()].filter((n) => n.startsWith(prefix)).sort();
  }
}
