import type { PartitionState } from '@dms/cluster';
import { assignReplicas } from '../assignment';
import { countBand } from './load-model';
import { planBalance, type PlannerBroker, type PlannerPartition, type PlannerSettings } from './planner';

const GB = 1024 ** 3;
const MB = 1024 ** 2;

const settings = (o: Partial<PlannerSettings> = {}): PlannerSettings => ({
  enable: true,
  thresholds: { replicaPercent: 10, leaderPercent: 10, diskPercent: 10, networkInPercent: 10 },
  maxConcurrentMoves: 10,
  availabilityTimeoutMs: 60_000,
  ...o,
});

const broker = (id: number, o: Partial<PlannerBroker> = {}): PlannerBroker => ({
  id, rack: null, registered: true, cordoned: false, decommissioning: false, absentForMs: 0, ...o,
});

const healthy = (replicas: number[]): PartitionState => ({ replicas, leader: replicas[0]!, leaderEpoch: 1, isr: [...replicas], partitionEpoch: 1 });

/** A topic placed as topic creation places it (deterministic start). */
function topic(name: string, count: number, rf: number, brokers: number[], bytes = 0, racks: Record<number, string> = {}): PlannerPartition[] {
  let seed = 0.37;
  const random = () => (seed = (seed * 9301 + 49297) % 233280 / 233280);
  const assignment = assignReplicas({ brokers: brokers.map((id) => ({ id, rack: racks[id] ?? null })), numPartitions: count, replicationFactor: rf, random });
  return assignment.map((replicas, partition) => ({ topic: name, partition, state: healthy(replicas), bytes }));
}

/** Completes every planned move at once (as the reconciler would once the new replicas are in sync). */
function complete(parts: PlannerPartition[], moves: { topic: string; partition: number; to: number[] }[]): PlannerPartition[] {
  return parts.map((p) => {
    const m = moves.find((x) => x.topic === p.topic && x.partition === p.partition);
    return m ? { ...p, state: healthy(m.to) } : p;
  });
}

/** Plans and completes rounds until the plan is empty; returns the final partitions and rounds used. */
function converge(brokers: PlannerBroker[], parts: PlannerPartition[], s = settings(), maxRounds = 50) {
  for (let round = 1; round <= maxRounds; round++) {
    const plan = planBalance(brokers, parts, s);
    expect(plan.moves.filter((m) => m.copy).length).toBeLessThanOrEqual(s.maxConcurrentMoves);
    if (plan.moves.length === 0) return { parts, rounds: round, plan };
    parts = complete(parts, plan.moves);
  }
  throw new Error('did not converge');
}

const count = (parts: PlannerPartition[], id: number, t?: string) => parts.filter((p) => (!t || p.topic === t) && p.state.replicas.includes(id)).length;
const leaders = (parts: PlannerPartition[], id: number, t?: string) => parts.filter((p) => (!t || p.topic === t) && p.state.replicas[0] === id).length;

describe('countBand', () => {
  it('is the mean ± percent, never tighter than floor/ceil of the mean', () => {
    expect(countBand(36, 4, 10)).toEqual({ lower: 9, upper: 9 });
    expect(countBand(30, 4, 10)).toEqual({ lower: 7, upper: 8 });
    expect(countBand(400, 4, 10)).toEqual({ lower: 90, upper: 110 });
    expect(countBand(0, 3, 10)).toEqual({ lower: 0, upper: 0 });
  });
});

describe('planBalance', () => {
  it('leaves a balanced cluster alone', () => {
    const parts = topic('t', 12, 3, [1, 2, 3]);
    const plan = planBalance([broker(1), broker(2), broker(3)], parts, settings());
    expect(plan.moves).toEqual([]);
    expect(plan.state).toBe('ready');
    expect(plan.imbalance.replicas).toBe(0);
  });

  it('gives a new broker its share: 9 of 36 replicas and 3 of 12 leaders of a 12-partition RF3 topic', () => {
    const brokers = [broker(1), broker(2), broker(3), broker(4)];
    const start = [...topic('t', 12, 3, [1, 2, 3]), ...topic('__consumer_offsets', 50, 3, [1, 2, 3])];
    const first = planBalance(brokers, start, settings());
    expect(first.state).toBe('in_progress');
    expect(first.moves.filter((m) => m.copy)).toHaveLength(10);
    expect(first.pending.length).toBeGreaterThan(0);
    const { parts } = converge(brokers, start);
    for (const id of [1, 2, 3, 4]) {
      expect(count(parts, id, 't')).toBe(9);
      expect(Math.abs(leaders(parts, id, 't') - 3)).toBeLessThanOrEqual(1);
      // Over both topics: within the 10 % threshold of the mean (46.5).
      const band = countBand(36 + 150, 4, 10);
      expect(count(parts, id)).toBeGreaterThanOrEqual(band.lower);
      expect(count(parts, id)).toBeLessThanOrEqual(band.upper);
    }
    // Every partition keeps three distinct replicas.
    for (const p of parts) expect(new Set(p.state.replicas).size).toBe(3);
  });

  it('bounds copies by max concurrent moves minus the moves already running', () => {
    const brokers = [broker(1), broker(2), broker(3), broker(4)];
    const parts = topic('t', 12, 3, [1, 2, 3]);
    parts[0] = { ...parts[0]!, state: { ...parts[0]!.state, replicas: [4, ...parts[0]!.state.replicas], addingReplicas: [4] } };
    parts[0]!.state.removingReplicas = [parts[0]!.state.replicas[3]!];
    const plan = planBalance(brokers, parts, settings({ maxConcurrentMoves: 3 }));
    expect(plan.inFlight).toBe(1);
    expect(plan.moves.filter((m) => m.copy)).toHaveLength(2);
    expect(plan.moves.some((m) => m.topic === 't' && m.partition === 0)).toBe(false);
    expect(planBalance(brokers, parts, settings({ maxConcurrentMoves: 1 })).moves.filter((m) => m.copy)).toEqual([]);
  });

  it('empties a decommissioned broker, in place, and stays rack-aware', () => {
    const racks = { 1: 'a', 2: 'a', 3: 'b', 4: 'b', 5: 'c', 6: 'c' };
    const brokers = [1, 2, 3, 4, 5, 6].map((id) => broker(id, { rack: racks[id as 1], decommissioning: id === 3 }));
    const start = topic('t', 12, 3, [1, 2, 3, 4, 5, 6], 10 * MB, racks);
    const plan = planBalance(brokers, start, settings({ maxConcurrentMoves: 100 }));
    const on3 = start.filter((p) => p.state.replicas.includes(3));
    expect(plan.moves).toHaveLength(on3.length);
    for (const m of plan.moves) {
      expect(m.reason).toBe('decommission');
      const i = m.from.indexOf(3);
      expect(m.to.filter((id, j) => j !== i)).toEqual(m.from.filter((id, j) => j !== i));
      // The replacement is on rack b (the only other broker there), keeping three racks.
      expect(m.to[i]).toBe(4);
      expect(m.bytes).toBe(10 * MB);
    }
    const { parts } = converge(brokers, start);
    expect(count(parts, 3)).toBe(0);
  });

  it('stalls a decommission the remaining brokers cannot hold', () => {
    const brokers = [broker(1), broker(2), broker(3, { decommissioning: true })];
    const plan = planBalance(brokers, topic('t', 3, 3, [1, 2, 3]), settings());
    expect(plan.moves).toEqual([]);
    expect(plan.state).toBe('stalled');
    expect(plan.stalled[0]).toContain('no live uncordoned broker');
  });

  it('decommissions even with auto.balance.enable false, and balances nothing else', () => {
    const brokers = [broker(1), broker(2), broker(3), broker(4, { decommissioning: true }), broker(5)];
    const parts = topic('t', 8, 2, [1, 2, 3, 4]);
    const plan = planBalance(brokers, parts, settings({ enable: false }));
    expect(plan.moves.length).toBe(count(parts, 4));
    expect(plan.moves.every((m) => m.reason === 'decommission')).toBe(true);
    const done = converge(brokers, parts, settings({ enable: false }));
    expect(done.plan.state).toBe('off');
  });

  it('waits out the availability timeout, then recreates an absent broker\'s replicas on the others', () => {
    const parts = topic('t', 12, 3, [1, 2, 3, 4]).map((p) => ({ ...p, state: { ...p.state, isr: p.state.replicas.filter((id) => id !== 4), leader: p.state.replicas.find((id) => id !== 4)! } }));
    const early = planBalance([broker(1), broker(2), broker(3), broker(4, { registered: false, absentForMs: 10_000 })], parts, settings());
    expect(early.moves).toEqual([]);
    expect(early.state).toBe('paused');
    expect(early.reason).toContain('broker 4 is unavailable');
    const brokers = [broker(1), broker(2), broker(3), broker(4, { registered: false, absentForMs: 60_000 })];
    const late = planBalance(brokers, parts, settings());
    expect(late.moves.length).toBe(9);
    expect(late.moves.every((m) => m.reason === 'unavailable' && !m.to.includes(4) && new Set(m.to).size === 3)).toBe(true);
    expect(late.brokers.find((b) => b.id === 4)?.state).toBe('removed');
    // auto.balance.enable false: no repair.
    expect(planBalance(brokers, parts, settings({ enable: false })).moves).toEqual([]);
  });

  it('does not repair an offline partition (nothing to copy from) and says so', () => {
    const parts = [{ topic: 't', partition: 0, state: { replicas: [4, 1], leader: -1, leaderEpoch: 3, isr: [4], partitionEpoch: 3 }, bytes: 0 }];
    const plan = planBalance([broker(1), broker(2), broker(4, { registered: false, absentForMs: 1e9 })], parts, settings());
    expect(plan.moves).toEqual([]);
    expect(plan.stalled[0]).toContain('offline');
  });

  it('pauses balancing while a partition is under-replicated for another reason', () => {
    const parts = topic('t', 12, 3, [1, 2, 3]);
    parts[5] = { ...parts[5]!, state: { ...parts[5]!.state, isr: parts[5]!.state.replicas.slice(0, 2) } };
    const plan = planBalance([broker(1), broker(2), broker(3), broker(4)], parts, settings());
    expect(plan.moves).toEqual([]);
    expect(plan.state).toBe('paused');
    expect(plan.reason).toBe('t-5 is under-replicated');
  });

  it('keeps cordoned brokers out: no replica goes to them and theirs stay', () => {
    const brokers = [broker(1), broker(2), broker(3, { cordoned: true }), broker(4)];
    const parts = topic('t', 12, 2, [1, 2, 3]);
    const { parts: after } = converge(brokers, parts);
    expect(count(after, 3)).toBe(count(parts, 3));
    expect(count(after, 4)).toBeGreaterThan(0);
  });

  it('balances leaders by reordering replicas (nothing copied)', () => {
    const parts = Array.from({ length: 6 }, (_, partition) => ({ topic: 't', partition, state: healthy([1, 2, 3]), bytes: 5 * GB }));
    const plan = planBalance([broker(1), broker(2), broker(3)], parts, settings());
    expect(plan.moves.length).toBe(4);
    expect(plan.moves.every((m) => !m.copy && m.bytes === 0 && [...m.to].sort().join() === '1,2,3')).toBe(true);
    const { parts: after } = converge([broker(1), broker(2), broker(3)], parts);
    expect([1, 2, 3].map((id) => leaders(after, id))).toEqual([2, 2, 2]);
  });

  it('never reduces the racks a partition spans', () => {
    const racks = { 1: 'a', 2: 'b', 3: 'a', 4: 'b', 5: 'b' };
    const brokers = [1, 2, 3, 4, 5].map((id) => broker(id, { rack: racks[id as 1] }));
    const start = topic('t', 10, 2, [1, 2, 3, 4], 0, racks);
    const { parts } = converge(brokers, start);
    for (const p of parts) expect(new Set(p.state.replicas.map((id) => racks[id as 1])).size).toBe(2);
    expect(count(parts, 5)).toBeGreaterThan(0);
  });

  it('moves bytes where counts leave room, and not below the minimum worth moving', () => {
    const big = Array.from({ length: 10 }, (_, partition) => ({ topic: 'big', partition, state: healthy([1]), bytes: GB }));
    const small = Array.from({ length: 10 }, (_, partition) => ({ topic: 'small', partition, state: healthy([2]), bytes: MB }));
    // Per-topic counts are off too; take the disk goal alone with one topic mixing sizes.
    const mixed = [...big, ...small].map((p, i) => ({ ...p, topic: 'm', partition: i }));
    const plan = planBalance([broker(1), broker(2)], mixed, settings());
    expect(plan.moves.some((m) => m.reason === 'disk' && m.from[0] === 1 && m.to[0] === 2)).toBe(true);
    const tiny = mixed.map((p) => ({ ...p, bytes: p.bytes / 1024 }));
    expect(planBalance([broker(1), broker(2)], tiny, settings()).moves.filter((m) => m.reason === 'disk')).toEqual([]);
  });

  it('reports per-broker rows and an imbalance figure', () => {
    const parts = topic('t', 12, 3, [1, 2, 3], MB);
    const plan = planBalance([broker(1), broker(2), broker(3), broker(4)], parts, settings({ maxConcurrentMoves: 0 }));
    expect(plan.moves.filter((m) => m.copy)).toEqual([]);
    expect(plan.brokers.find((b) => b.id === 4)).toMatchObject({ state: 'live', replicas: 0, bytes: 0 });
    expect(plan.imbalance.replicas).toBe(100);
    expect(plan.state).toBe('in_progress');
  });
});

describe('planBalance: inbound bytes per second (NetworkInbound)', () => {
  const MiBs = 1024 * 1024;
  /** Topic t, 6 partitions RF1: brokers 1 and 2 hold two each (all four hot), 3 and 4 one cold each. */
  const skewed = (rate: number): PlannerPartition[] => [[1], [1], [2], [2], [3], [4]].map((replicas, partition) => ({
    topic: 't', partition, state: healthy(replicas), bytes: 0, bytesIn: partition < 4 ? rate : 0,
  }));
  const inbound = (parts: PlannerPartition[], id: number) => parts.filter((p) => p.state.replicas.includes(id)).reduce((n, p) => n + (p.bytesIn ?? 0), 0);
  const four = [broker(1), broker(2), broker(3), broker(4)];

  it('spreads measured bytes-in where the count bands leave room, and counts are balanced without it', () => {
    const start = skewed(4 * MiBs);
    // Replica and leader counts are within their bands: without rates nothing would move.
    expect(planBalance(four, start.map((p) => ({ ...p, bytesIn: 0 })), settings()).moves).toEqual([]);
    const first = planBalance(four, start, settings());
    expect(first.imbalance.networkIn).toBe(100);
    expect(first.moves.length).toBeGreaterThan(0);
    expect(first.moves.every((m) => m.reason === 'networkIn' && m.copy)).toBe(true);
    const { parts, plan } = converge(four, start);
    for (const id of [1, 2, 3, 4]) {
      expect(inbound(parts, id)).toBe(4 * MiBs);
      expect(count(parts, id)).toBeGreaterThanOrEqual(1);
      expect(count(parts, id)).toBeLessThanOrEqual(2);
    }
    expect(plan.imbalance.networkIn).toBe(0);
    expect(plan.brokers.map((b) => b.bytesIn)).toEqual([4, 4, 4, 4].map((n) => n * MiBs));
  });

  it('counts a partition\'s bytes-in on every replica (followers receive it by replication)', () => {
    const parts = [
      { topic: 'a', partition: 0, state: healthy([1, 2]), bytes: 0, bytesIn: 6 * MiBs },
      { topic: 'b', partition: 0, state: healthy([3, 4]), bytes: 0, bytesIn: 0 },
      { topic: 'c', partition: 0, state: healthy([1, 2]), bytes: 0, bytesIn: 0 },
      { topic: 'c', partition: 1, state: healthy([3, 4]), bytes: 0, bytesIn: 0 },
    ];
    const plan = planBalance(four, parts, settings());
    expect(plan.brokers.map((b) => b.bytesIn)).toEqual([6, 6, 0, 0].map((n) => n * MiBs));
  });

  it('never leaves a count band for bytes-in, and ignores deviations within the threshold or under 1 MiB/s', () => {
    // Three hot partitions on broker 1 with exact count bands (8 partitions on 4 brokers: 2 each): no move may help.
    const exact = [[1], [1], [2], [2], [3], [3], [4], [4]].map((replicas, partition) => ({ topic: 't', partition, state: healthy(replicas), bytes: 0, bytesIn: partition < 2 ? 8 * MiBs : 0 }));
    expect(planBalance(four, exact, settings()).moves).toEqual([]);
    // A wide threshold accepts the skew.
    expect(planBalance(four, skewed(4 * MiBs), settings({ thresholds: { replicaPercent: 10, leaderPercent: 10, diskPercent: 10, networkInPercent: 200 } })).moves).toEqual([]);
    // Idle traffic (deviation under 1 MiB/s) is noise.
    expect(planBalance(four, skewed(200 * 1024), settings()).moves).toEqual([]);
  });

  it('ranks after disk and before leaders, and never trades disk balance for it', () => {
    const big = 10 * GB;
    const hot = (bytes: number): PlannerPartition[] => [
      { topic: 'x', partition: 0, state: healthy([1]), bytes: big, bytesIn: 0 },
      { topic: 'x', partition: 1, state: healthy([1]), bytes: big, bytesIn: 0 },
      { topic: 'x', partition: 2, state: healthy([1]), bytes: 0, bytesIn: 0 },
      { topic: 'x', partition: 3, state: healthy([2]), bytes, bytesIn: 8 * MiBs },
      { topic: 'x', partition: 4, state: healthy([2]), bytes, bytesIn: 8 * MiBs },
    ];
    const two = [broker(1), broker(2)];
    // Disk first (a big partition to broker 2), then a hot one to broker 1: both balanced.
    expect(planBalance(two, hot(0), settings()).moves[0]).toMatchObject({ reason: 'disk', from: [1], to: [2] });
    const { parts: after } = converge(two, hot(0));
    const bytesOn = (ps: PlannerPartition[], id: number) => ps.filter((p) => p.state.replicas.includes(id)).reduce((n, p) => n + p.bytes, 0);
    expect([bytesOn(after, 1), bytesOn(after, 2)]).toEqual([big, big]);
    expect([inbound(after, 1), inbound(after, 2)]).toEqual([8 * MiBs, 8 * MiBs]);
    // Hot partitions as big as the rest: moving one to broker 1 would unbalance disk, so the rates stay skewed.
    const start = hot(big);
    start[2] = { ...start[2]!, bytes: big };
    const { parts: kept, plan } = converge(two, start);
    expect([bytesOn(kept, 1), bytesOn(kept, 2)]).toEqual([3 * big, 2 * big]);
    expect(inbound(kept, 2)).toBe(16 * MiBs);
    expect(plan.imbalance.networkIn).toBe(100);
  });
});

describe('planBalance: no double moves around a drain', () => {
  /** t-0 moving 1,2,3 -> 1,2,4 (4 adding, 3 removing). */
  const moving = (balancerMove: boolean): PlannerPartition => ({
    topic: 't', partition: 0, bytes: MB, balancerMove,
    state: { replicas: [1, 2, 3, 4], addingReplicas: [4], removingReplicas: [3], leader: 1, leaderEpoch: 1, isr: [1, 2, 3], partitionEpoch: 2 },
  });
  const rest = topic('t', 8, 3, [1, 2, 3, 4, 5]).filter((p) => p.partition > 0);

  it('cancels a balancer move onto a broker being decommissioned and plans no drain of it this round', () => {
    const brokers = [broker(1), broker(2), broker(3), broker(4, { decommissioning: true, cordoned: true }), broker(5)];
    const plan = planBalance(brokers, [moving(true), ...rest], settings({ maxConcurrentMoves: 100 }));
    expect(plan.cancels).toEqual([{ topic: 't', partition: 0, from: [1, 2, 3, 4], to: [1, 2, 3], reason: 'broker 4 is decommissioning' }]);
    expect(plan.moves.some((m) => m.partition === 0)).toBe(false);
    // The drain of the rest runs, onto live brokers only.
    expect(plan.moves.length).toBe(rest.filter((p) => p.state.replicas.includes(4)).length);
    for (const m of plan.moves) expect(m.to.includes(4)).toBe(false);
    expect(plan.state).toBe('in_progress');
    expect(plan.reason).toContain('cancelling 1');
  });

  it('cancels one onto a cordoned or removed broker too, but never an operator\'s reassignment', () => {
    const cordoned = planBalance([broker(1), broker(2), broker(3), broker(4, { cordoned: true }), broker(5)], [moving(true), ...rest], settings());
    expect(cordoned.cancels.map((c) => c.reason)).toEqual(['broker 4 is cordoned']);
    const removed = planBalance([broker(1), broker(2), broker(3), broker(4, { registered: false, absentForMs: 120_000 }), broker(5)], [moving(true), ...rest], settings());
    expect(removed.cancels.map((c) => c.reason)).toEqual(['broker 4 is removed']);
    const operator = planBalance([broker(1), broker(2), broker(3), broker(4, { decommissioning: true }), broker(5)], [moving(false), ...rest], settings());
    expect(operator.cancels).toEqual([]);
    // Onto a live broker: nothing to cancel.
    expect(planBalance([1, 2, 3, 4, 5].map((id) => broker(id)), [moving(true), ...rest], settings()).cancels).toEqual([]);
  });

  it('never plans a new replica on a broker that is not live (random clusters)', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let round = 0; round < 60; round++) {
      const ids = [1, 2, 3, 4, 5, 6];
      const brokers = ids.map((id) => broker(id, {
        cordoned: rnd() < 0.2, decommissioning: rnd() < 0.15, registered: rnd() > 0.1, absentForMs: rnd() < 0.5 ? 0 : 120_000, rack: rnd() < 0.5 ? null : `r${id % 3}`,
      }));
      const parts = topic('t', 10, 3, ids, Math.floor(rnd() * 3) * GB).map((p) => ({ ...p, bytesIn: Math.floor(rnd() * 4) * 1024 * 1024 }));
      const plan = planBalance(brokers, parts, settings());
      const live = new Set(brokers.filter((b) => b.registered && !b.cordoned && !b.decommissioning).map((b) => b.id));
      for (const m of [...plan.moves, ...plan.pending]) {
        for (const id of m.to) if (!m.from.includes(id)) expect(live.has(id)).toBe(true);
        expect(new Set(m.to).size).toBe(m.to.length);
      }
    }
  });
});
