// JSON values of the self-balancer's etcd keys (broker-decommissions/, broker-loads/,
// balance/status). Decoders validate the shape, as every value of the contract: a malformed value
// decodes to undefined and the reader treats it as absent.

type Obj = Record<string, unknown>;

const isInt = (v: unknown, min = -0x80000000, max = 0x7fffffff): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isId = (v: unknown): v is number => isInt(v, 0);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isIdList = (v: unknown): v is number[] => Array.isArray(v) && v.every(isId);

function parse(raw: string | Buffer | null | undefined): Obj | undefined {
  if (raw === null || raw === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
    return isObj(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** A broker being decommissioned (`dms brokers decommission`): the controller moves every replica off it. */
export interface BrokerDecommissionRecord {
  brokerId: number;
  requestedAtMs: number;
}

export const brokerDecommissionRecord = {
  encode: (v: BrokerDecommissionRecord): string => JSON.stringify(v),
  decode(raw: string | Buffer | null | undefined): BrokerDecommissionRecord | undefined {
    const o = parse(raw);
    return o && isId(o.brokerId) && isCount(o.requestedAtMs) ? { brokerId: o.brokerId, requestedAtMs: o.requestedAtMs } : undefined;
  },
};

/**
 * Bytes of each replica log a broker holds (topic -> partition -> bytes) and the measured bytes-in
 * per second of each partition it leads (same shape; absent in records of older writers),
 * refreshed periodically under its lease.
 */
export interface BrokerLoadRecord {
  brokerId: number;
  updatedAtMs: number;
  sizes: Record<string, Record<string, number>>;
  bytesIn?: Record<string, Record<string, number>>;
}

function partitionMap(v: unknown): Record<string, Record<string, number>> | undefined {
  if (!isObj(v)) return undefined;
  const out: Record<string, Record<string, number>> = {};
  for (const [topic, ps] of Object.entries(v)) {
    if (!isObj(ps)) return undefined;
    const m: Record<string, number> = {};
    for (const [p, n] of Object.entries(ps)) {
      if (!/^\d{1,10}$/.test(p) || !isCount(n)) return undefined;
      m[p] = n;
    }
    out[topic] = m;
  }
  return out;
}

export const brokerLoadRecord = {
  encode: (v: BrokerLoadRecord): string => JSON.stringify(v),
  decode(raw: string | Buffer | null | undefined): BrokerLoadRecord | undefined {
    const o = parse(raw);
    if (!o || !isId(o.brokerId) || !isCount(o.updatedAtMs)) return undefined;
    const sizes = partitionMap(o.sizes);
    if (!sizes) return undefined;
    if (o.bytesIn === undefined) return { brokerId: o.brokerId, updatedAtMs: o.updatedAtMs, sizes };
    const bytesIn = partitionMap(o.bytesIn);
    return bytesIn ? { brokerId: o.brokerId, updatedAtMs: o.updatedAtMs, sizes, bytesIn } : undefined;
  },
};

/** One move the self-balancer started and has not seen complete yet. */
export interface BalanceMoveRecord {
  topic: string;
  partition: number;
  /** The replica list before the move (absent in records of older writers). */
  from?: number[];
  /** The replica list the move goes to. */
  target: number[];
  reason: string;
  /** Bytes to copy (partition size × new replicas). */
  bytes: number;
  startedAtMs: number;
}

/** Per-broker load as the last round saw it. */
export interface BalanceBrokerRecord {
  id: number;
  rack: string | null;
  /** live | cordoned | decommissioning | unavailable | removed (absent past the availability timeout). */
  state: string;
  replicas: number;
  /** Partitions whose preferred (first) replica is this broker. */
  leaders: number;
  bytes: number;
  /** Inbound bytes per second (absent in records of older writers). */
  bytesIn?: number;
}

export interface BalanceStatusRecord {
  updatedAtMs: number;
  controllerId: number;
  /** off | ready | in_progress | paused | stalled (Redpanda's balancer states). */
  state: string;
  reason: string;
  /** Brokers named by some partition but not registered, with the time the controller first saw them absent. */
  absentSince: Record<string, number>;
  inFlight: BalanceMoveRecord[];
  /** Moves the last round wanted but had no room for (max concurrent moves), counted. */
  pendingMoves: number;
  pendingBytes: number;
  movesCompleted: number;
  bytesMoved: number;
  /** Largest deviation from the mean over live uncordoned brokers, percent. */
  imbalance: { replicas: number; leaders: number; disk: number; networkIn?: number };
  brokers: BalanceBrokerRecord[];
}

const isMove = (v: unknown): v is BalanceMoveRecord =>
  isObj(v) && isStr(v.topic) && isId(v.partition) && isIdList(v.target) && (v.from === undefined || isIdList(v.from)) && isStr(v.reason) && isCount(v.bytes) && isCount(v.startedAtMs);
const isBrokerRow = (v: unknown): v is BalanceBrokerRecord =>
  isObj(v) && isId(v.id) && (v.rack === null || isStr(v.rack)) && isStr(v.state) && isCount(v.replicas) && isCount(v.leaders) && isCount(v.bytes) && (v.bytesIn === undefined || isCount(v.bytesIn));

export const balanceStatusRecord = {
  encode: (v: BalanceStatusRecord): string => JSON.stringify(v),
  decode(raw: string | Buffer | null | undefined): BalanceStatusRecord | undefined {
    const o = parse(raw);
    if (!o || !isCount(o.updatedAtMs) || !isInt(o.controllerId, -1) || !isStr(o.state) || !isStr(o.reason)) return undefined;
    if (!isObj(o.absentSince) || !Object.values(o.absentSince).every(isCount)) return undefined;
    if (!Array.isArray(o.inFlight) || !o.inFlight.every(isMove) || !Array.isArray(o.brokers) || !o.brokers.every(isBrokerRow)) return undefined;
    if (!isCount(o.pendingMoves) || !isCount(o.pendingBytes) || !isCount(o.movesCompleted) || !isCount(o.bytesMoved)) return undefined;
    const imb = o.imbalance;
    if (!isObj(imb) || !isNum(imb.replicas) || !isNum(imb.leaders) || !isNum(imb.disk) || (imb.networkIn !== undefined && !isNum(imb.networkIn))) return undefined;
    return {
      updatedAtMs: o.updatedAtMs,
      controllerId: o.controllerId,
      state: o.state,
      reason: o.reason,
      absentSince: { ...(o.absentSince as Record<string, number>) },
      inFlight: (o.inFlight as BalanceMoveRecord[]).map((m) => ({ ...m, target: [...m.target], ...(m.from ? { from: [...m.from] } : {}) })),
      pendingMoves: o.pendingMoves,
      pendingBytes: o.pendingBytes,
      movesCompleted: o.movesCompleted,
      bytesMoved: o.bytesMoved,
      imbalance: { replicas: imb.replicas, leaders: imb.leaders, disk: imb.disk, ...(imb.networkIn !== undefined ? { networkIn: imb.networkIn } : {}) },
      brokers: (o.brokers as BalanceBrokerRecord[]).map((b) => ({ ...b })),
    };
  },
};
