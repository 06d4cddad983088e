// Kafka's CLIENT_METRICS config resources (KIP-714): named subscriptions that tell matching
// clients which metrics to push and how often. Stored like other dynamic configs; read by every
// gateway to answer GetTelemetrySubscriptions.
import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import type { KeyDef } from './types';
import { int, splitList } from './validators';

/** The client properties a subscription's `match` may select on, as Kafka names them. */
export const CLIENT_MATCH_SELECTORS = [
  'client_instance_id', 'client_id', 'client_software_name', 'client_software_version', 'client_source_address', 'client_source_port',
] as const;
export type ClientMatchSelector = (typeof CLIENT_MATCH_SELECTORS)[number];

export const CLIENT_METRICS_DEFAULT_INTERVAL_MS = 300_000;

/** `match` entries `selector=regex`, each regex compiled (it must match the whole value, as Java's matches()). */
export function parseClientMatch(value: string): Map<ClientMatchSelector, RegExp> {
  const out = new Map<ClientMatchSelector, RegExp>();
  for (const item of splitList(value)) {
    const eq = item.indexOf('=');
    const key = (eq > 0 ? item.slice(0, eq) : item).trim();
    if (eq <= 0 || !(CLIENT_MATCH_SELECTORS as readonly string[]).includes(key)) {
      throw new Error(`Illegal client matching pattern: ${item}; the selectors are ${CLIENT_MATCH_SELECTORS.join(', ')}`);
    }
    const pattern = item.slice(eq + 1).trim();
    if (pattern === '') throw new Error(`Illegal client matching pattern: ${item}: empty regular expression`);
    if (out.has(key as ClientMatchSelector)) throw new Error(`Duplicate client matching selector: ${key}`);
    try {
      out.set(key as ClientMatchSelector, new RegExp(`^(?:${pattern})$`, 'u'));
    } catch (e) {
      throw new Error(`Illegal regular expression in client matching pattern ${item}: ${(e as Error).message}`);
    }
  }
  return out;
}

const matchValidator = (v: string): string | undefined => {
  try {
    parseClientMatch(v);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
};

export const CLIENT_METRICS_CONFIG_DEFS: readonly KeyDef[] = [
  { name: 'metrics', type: 'LIST', default: '', valid: '', validate: () => undefined, doc: 'Metric name prefixes the matching clients push; * or an empty prefix means every metric.' },
  { name: 'interval.ms', type: 'INT', default: String(CLIENT_METRICS_DEFAULT_INTERVAL_MS), valid: '[100,...,3600000]', validate: int(100, 3_600_000), doc: 'How often matching clients push, in ms.' },
  { name: 'match', type: 'LIST', default: '', valid: '', validate: matchValidator, doc: 'selector=regex pairs a client must all match (none: every client).' },
];

export const CLIENT_METRICS_CONFIGS: ReadonlyMap<string, KeyDef> = new Map(CLIENT_METRICS_CONFIG_DEFS.map((d) => [d.name, d]));

/** Kafka's checks of a subscription's configs (INVALID_CONFIG naming the key). */
export function validateClientMetricsConfigs(configs: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(configs)) {
    const def = CLIENT_METRICS_CONFIGS.get(name);
    if (!def) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Unknown client metrics config name: ${name}`);
    const why = def.validate(value.trim());
    if (why) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Invalid value ${value} for configuration ${name}: ${why}`);
  }
}

/** A subscription as the telemetry manager uses it. */
export interface ClientMetricsSubscription {
  name: string;
  /** Prefixes; '' stands for every metric. */
  metrics: string[];
  intervalMs: number;
  match: Map<ClientMatchSelector, RegExp>;
}

/** The subscription a stored, validated config set describes; undefined for a set that no longer validates. */
export function clientMetricsSubscription(name: string, configs: Readonly<Record<string, string>>): ClientMetricsSubscription | undefined {
  try {
    validateClientMetricsConfigs(configs);
    return {
      name,
      metrics: splitList(configs.metrics ?? '').map((m) => (m === '*' ? '' : m)),
      intervalMs: Number(configs['interval.ms'] ?? CLIENT_METRICS_DEFAULT_INTERVAL_MS),
      match: parseClientMatch(configs.match ?? ''),
    };
  } catch {
    return undefined;
  }
}
