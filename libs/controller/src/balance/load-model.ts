/**
 * The planner's working copy of the cluster's load: per broker its replica count, preferred-leader
 * count, bytes and inbound bytes per second (every replica of a partition receives the leader's
 * bytes-in: from producers on the leader, by replication on the followers, as Cruise Control's
 * NetworkInbound goal counts it), and the replica and leader counts per topic, over the brokers that take part in balancing
 * (live, uncordoned, not being decommissioned). The goals measure it as "excess": how far each
 * broker lies outside the allowed band around the mean; a move is judged by how it changes the
 * excess of each goal, in priority order.
 */

/** Goals in priority order; a move must lower the first goal it changes. */
export const GOALS = ['topicReplicas', 'replicas', 'disk', 'networkIn', 'topicLeaders', 'leaders'] as const;
export type Goal = (typeof GOALS)[number];

/** Disk deviations below this many bytes are never worth a move (a fresh cluster's logs are tiny). */
export const DISK_BALANCE_MIN_BYTES = 64 * 1024 * 1024;

/** Inbound rate deviations below this many bytes per second are never worth a move (idle clusters would churn on noise). */
export const NETWORK_IN_BALANCE_MIN_BYTES_PER_S = 1024 * 1024;

export interface Thresholds {
  /** Allowed deviation of a broker's replica count from the mean, percent (at least ±rounding). */
  replicaPercent: number;
  leaderPercent: number;
  diskPercent: number;
  /** Allowed deviation of a broker's inbound bytes per second from the mean, percent (at least 1 MiB/s). */
  networkInPercent: number;
}

/** The band [lower, upper] a count may lie in: the mean ± percent, never tighter than floor/ceil of the mean. */
export function countBand(total: number, brokers: number, percent: number): { lower: number; upper: number } {
  if (brokers <= 0) return { lower: 0, upper: Infinity };
  const avg = total / brokers;
  return {
    lower: Math.min(Math.floor(avg), Math.ceil(avg * (1 - percent / 100))),
    upper: Math.max(Math.ceil(avg), Math.floor(avg * (1 + percent / 100))),
  };
}

export function bandExcess(value: number, band: { lower: number; upper: number }): number {
  return Math.max(0, value - band.upper) + Math.max(0, band.lower - value);
}

/** The band of a measured quantity: the mean ± percent, never tighter than ± `minSlack`. */
export function measuredBand(total: number, brokers: number, percent: number, minSlack: number): { lower: number; upper: number } {
  if (brokers <= 0) return { lower: 0, upper: Infinity };
  const avg = total / brokers;
  const slack = Math.max((avg * percent) / 100, minSlack);
  return { lower: avg - slack, upper: avg + slack };
}

export const diskBand = (total: number, brokers: number, percent: number) => measuredBand(total, brokers, percent, DISK_BALANCE_MIN_BYTES);
export const networkInBand = (total: number, brokers: number, percent: number) => measuredBand(total, brokers, percent, NETWORK_IN_BALANCE_MIN_BYTES_PER_S);

interface Counts {
  replicas: number;
  leaders: number;
  bytes: number;
  /** Inbound bytes per second (the bytes-in of every partition with a replica here). */
  bytesIn: number;
}

const zero = (): Counts => ({ replicas: 0, leaders: 0, bytes: 0, bytesIn: 0 });
type Bands = Record<Goal, { lower: number; upper: number }>;

/** Load per balanced broker, overall and per topic, with the bands the goals hold them to. */
export class LoadModel {
  private readonly total = new Map<number, Counts>();
  private readonly perTopic = new Map<string, Map<number, Counts>>();
  private readonly topicTotals = new Map<string, { replicas: number; leaders: number }>();
  private sumReplicas = 0;
  private sumLeaders = 0;
  private sumBytes = 0;
  private sumBytesIn = 0;

  constructor(
    readonly brokers: readonly number[],
    private readonly thresholds: Thresholds,
  ) {
    for (const b of brokers) this.total.set(b, zero());
  }

  has(broker: number): boolean {
    return this.total.has(broker);
  }

  /**
   * Adds (sign 1) or removes (sign -1) a replica list's load: the first replica is the preferred
   * leader; every replica holds `bytes` and receives `bytesIn` per second.
   */
  apply(topic: string, replicas: readonly number[], bytes: number, sign: 1 | -1, bytesIn = 0): void {
    let tt = this.topicTotals.get(topic);
    if (!tt) this.topicTotals.set(topic, (tt = { replicas: 0, leaders: 0 }));
    replicas.forEach((b, i) => {
      const c = this.total.get(b);
      if (!c) return;
      const lead = i === 0 ? 1 : 0;
      c.replicas += sign;
      c.leaders += sign * lead;
      c.bytes += sign * bytes;
      c.bytesIn += sign * bytesIn;
      this.sumBytesIn += sign * bytesIn;
      this.sumReplicas += sign;
      this.sumLeaders += sign * lead;
      this.sumBytes += sign * bytes;
      tt.replicas += sign;
      tt.leaders += sign * lead;
      const t = this.topicCounts(topic, b);
      t.replicas += sign;
      t.leaders += sign * lead;
    });
  }

  /** Excess of every goal over the given brokers, for a topic (the per-topic goals). */
  excess(topic: string, brokers: Iterable<number>): Record<Goal, number> {
    const bands = this.bands(topic);
    const out = noDelta();
    for (const b of brokers) {
      const c = this.total.get(b);
      if (!c) continue;
      const t = this.perTopic.get(topic)?.get(b) ?? zero();
      out.topicReplicas += bandExcess(t.replicas, bands.topicReplicas);
      out.replicas += bandExcess(c.replicas, bands.replicas);
      out.disk += Math.round(bandExcess(c.bytes, bands.disk));
      out.networkIn += Math.round(bandExcess(c.bytesIn, bands.networkIn));
      out.topicLeaders += bandExcess(t.leaders, bands.topicLeaders);
      out.leaders += bandExcess(c.leaders, bands.leaders);
    }
    return out;
  }

  /** The bands of every goal for a topic (and overall) as the model stands. */
  bands(topic: string): Bands {
    const n = this.brokers.length;
    const { replicaPercent, leaderPercent, diskPercent, networkInPercent } = this.thresholds;
    const tt = this.topicTotals.get(topic) ?? { replicas: 0, leaders: 0 };
    return {
      topicReplicas: countBand(tt.replicas, n, replicaPercent),
      replicas: countBand(this.sumReplicas, n, replicaPercent),
      disk: diskBand(this.sumBytes, n, diskPercent),
      networkIn: networkInBand(this.sumBytesIn, n, networkInPercent),
      topicLeaders: countBand(tt.leaders, n, leaderPercent),
      leaders: countBand(this.sumLeaders, n, leaderPercent),
    };
  }

  /**
   * The change of every goal's excess when `from` gives `to` some load of `topic` (a replica, a
   * preferred leadership, bytes, inbound bytes per second) — exact for moves among the model's brokers, which leave every
   * total (so every band) as it is. A broker outside the model contributes nothing.
   */
  shiftDelta(topic: string, bands: Bands, from: number, to: number, d: { replicas: number; leaders: number; bytes: number; bytesIn: number }): Record<Goal, number> {
    const out = noDelta();
    const side = (b: number, sign: 1 | -1) => {
      const c = this.total.get(b);
      if (!c) return;
      const t = this.perTopic.get(topic)?.get(b) ?? zero();
      const diff = (v: number, dv: number, band: { lower: number; upper: number }) => bandExcess(v + dv, band) - bandExcess(v, band);
      out.topicReplicas += diff(t.replicas, sign * d.replicas, bands.topicReplicas);
      out.replicas += diff(c.replicas, sign * d.replicas, bands.replicas);
      out.disk += Math.round(bandExcess(c.bytes + sign * d.bytes, bands.disk)) - Math.round(bandExcess(c.bytes, bands.disk));
      out.networkIn += Math.round(bandExcess(c.bytesIn + sign * d.bytesIn, bands.networkIn)) - Math.round(bandExcess(c.bytesIn, bands.networkIn));
      out.topicLeaders += diff(t.leaders, sign * d.leaders, bands.topicLeaders);
      out.leaders += diff(c.leaders, sign * d.leaders, bands.leaders);
    };
    side(from, -1);
    side(to, 1);
    return out;
  }

  /**
   * Brokers above some goal's band (replicas, disk, inbound rate) for this topic or overall, and those below:
   * a copy can lower an excess only from the first or to the second; `leadersOff` says whether
   * a reorder can help at all.
   */
  outliers(topic: string): { over: Set<number>; under: Set<number>; leadersOff: boolean } {
    const { topicReplicas: tr, replicas: gr, disk: dk, networkIn: ni, topicLeaders: tl, leaders: gl } = this.bands(topic);
    const over = new Set<number>();
    const under = new Set<number>();
    let leadersOff = false;
    for (const [b, c] of this.total) {
      const t = this.perTopic.get(topic)?.get(b) ?? zero();
      if (t.replicas > tr.upper || c.replicas > gr.upper || c.bytes > dk.upper || c.bytesIn > ni.upper || t.leaders > tl.upper || c.leaders > gl.upper) over.add(b);
      if (t.replicas < tr.lower || c.replicas < gr.lower || c.bytes < dk.lower || c.bytesIn < ni.lower || t.leaders < tl.lower || c.leaders < gl.lower) under.add(b);
      if (bandExcess(t.leaders, tl) > 0 || bandExcess(c.leaders, gl) > 0) leadersOff = true;
    }
    return { over, under, leadersOff };
  }

  /** Total excess of every goal over all brokers and topics (zero when balanced). */
  totalExcess(): Record<Goal, number> {
    const out = noDelta();
    const whole = this.excess('', this.brokers);
    out.replicas = whole.replicas;
    out.disk = whole.disk;
    out.networkIn = whole.networkIn;
    out.leaders = whole.leaders;
    for (const topic of this.topicTotals.keys()) {
      const e = this.excess(topic, this.brokers);
      out.topicReplicas += e.topicReplicas;
      out.topicLeaders += e.topicLeaders;
    }
    return out;
  }

  counts(broker: number): Counts {
    return { ...(this.total.get(broker) ?? zero()) };
  }

  /** Largest deviation from the mean, percent, of replicas, leaders, bytes and inbound rate (0 with fewer than two brokers). */
  imbalance(): { replicas: number; leaders: number; disk: number; networkIn: number } {
    const n = this.brokers.length;
    const dev = (sum: number, pick: (c: Counts) => number): number => {
      if (n < 2 || sum <= 0) return 0;
      const avg = sum / n;
      let worst = 0;
      for (const c of this.total.values()) worst = Math.max(worst, Math.abs(pick(c) - avg) / avg);
      return Math.round(worst * 1000) / 10;
    };
    return {
      replicas: dev(this.sumReplicas, (c) => c.replicas),
      leaders: dev(this.sumLeaders, (c) => c.leaders),
      disk: dev(this.sumBytes, (c) => c.bytes),
      networkIn: dev(this.sumBytesIn, (c) => c.bytesIn),
    };
  }

  private topicCounts(topic: string, broker: number): Counts {
    let m = this.perTopic.get(topic);
    if (!m) this.perTopic.set(topic, (m = new Map()));
    let c = m.get(broker);
    if (!c) m.set(broker, (c = zero()));
    return c;
  }
}

export function noDelta(): Record<Goal, number> {
  return { topicReplicas: 0, replicas: 0, disk: 0, networkIn: 0, topicLeaders: 0, leaders: 0 };
}

/** Compares two goal-delta vectors in priority order: negative when `a` is better. */
export function compareDelta(a: Record<Goal, number>, b: Record<Goal, number>): number {
  for (const g of GOALS) {
    if (a[g] !== b[g]) return a[g] - b[g];
  }
  return 0;
}

/** Whether a delta lowers the first goal it changes (a move worth making). */
export function improves(delta: Record<Goal, number>): boolean {
  for (const g of GOALS) {
    if (delta[g] < 0) return true;
    if (delta[g] > 0) return false;
  }
  return false;
}
