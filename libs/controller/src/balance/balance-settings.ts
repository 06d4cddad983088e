import { BROKER_CONFIGS } from '@dms/configs';
import type { Thresholds } from './load-model';

export interface AutoBalanceSettings {
  /** auto.balance.enable */
  enable: boolean;
  /** auto.balance.interval.ms */
  intervalMs: number;
  thresholds: Thresholds;
  /** auto.balance.max.concurrent.moves */
  maxConcurrentMoves: number;
  /** auto.balance.broker.availability.timeout.ms */
  availabilityTimeoutMs: number;
  /** auto.balance.throttle.bytes.per.second (0: copies unthrottled). */
  throttleBytesPerSecond: number;
}

type Setter = (s: AutoBalanceSettings, value: string) => void;

const num = (v: string) => Number(v.trim());

/** Each auto.balance.* key and where its value goes. */
const KEYS: ReadonlyArray<[string, Setter]> = [
  ['auto.balance.enable', (s, v) => (s.enable = v.trim().toLowerCase() === 'true')],
  ['auto.balance.interval.ms', (s, v) => (s.intervalMs = num(v))],
  ['auto.balance.replica.count.threshold.percent', (s, v) => (s.thresholds.replicaPercent = num(v))],
  ['auto.balance.leader.count.threshold.percent', (s, v) => (s.thresholds.leaderPercent = num(v))],
  ['auto.balance.disk.threshold.percent', (s, v) => (s.thresholds.diskPercent = num(v))],
  ['auto.balance.network.inbound.threshold.percent', (s, v) => (s.thresholds.networkInPercent = num(v))],
  ['auto.balance.max.concurrent.moves', (s, v) => (s.maxConcurrentMoves = num(v))],
  ['auto.balance.broker.availability.timeout.ms', (s, v) => (s.availabilityTimeoutMs = num(v))],
  ['auto.balance.throttle.bytes.per.second', (s, v) => (s.throttleBytesPerSecond = num(v))],
];

export const AUTO_BALANCE_KEYS: readonly string[] = KEYS.map(([k]) => k);

/**
 * The settings a round uses: the cluster-wide dynamic values (configs/brokers/<default>, set by
 * IncrementalAlterConfigs on the BROKER resource "") over the process's static ones. A dynamic
 * value the config table refuses (written around the controller's validation) is skipped and
 * named in `ignored`, so the static value stays in force.
 */
export function effectiveAutoBalance(base: AutoBalanceSettings, dynamic: Readonly<Record<string, string>>): { settings: AutoBalanceSettings; ignored: string[] } {
  const settings: AutoBalanceSettings = { ...base, thresholds: { ...base.thresholds } };
  const ignored: string[] = [];
  for (const [name, set] of KEYS) {
    const raw = dynamic[name];
    if (raw === undefined) continue;
    const why = BROKER_CONFIGS.get(name)?.validate(raw.trim());
    if (why !== undefined) {
      ignored.push(`${name}=${raw}: ${why}`);
      continue;
    }
    set(settings, raw);
  }
  return { settings, ignored };
}
