// Which values a topic or broker resource may be given. Every refusal is INVALID_CONFIG with a
// message naming the key, as Kafka answers.
import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { BROKER_CONFIGS } from './broker-configs';
import { CLIENT_METRICS_CONFIGS } from './client-metrics-configs';
import { GROUP_CONFIGS } from './group-configs';
import { TOPIC_CONFIGS } from './topic-configs';
import type { KeyDef } from './types';
import { splitList } from './validators';

const invalid = (m: string) => new KafkaError(ErrorCode.INVALID_CONFIG, m);

function checkValue(def: KeyDef, raw: string): void {
  const value = def.type === 'LIST' ? splitList(raw).join(',') : raw.trim();
  const why = def.validate(value);
  if (why) throw invalid(`Invalid value ${raw} for configuration ${def.name}: ${why}`);
}

/** Normal form of a value as stored: trimmed; list items trimmed and joined by commas. */
export function normalizeValue(def: KeyDef, raw: string): string {
  return def.type === 'LIST' ? splitList(raw).join(',') : raw.trim();
}

function sameAsDefault(def: KeyDef, raw: string): boolean {
  if (def.default === null) return false;
  const v = normalizeValue(def, raw);
  if (def.type === 'BOOLEAN') return v.toLowerCase() === def.default;
  if (def.type === 'DOUBLE') return Number(v) === Number(def.default);
  return v === def.default;
}

/**
 * Throws INVALID_CONFIG for an unknown topic key, a malformed value, or a key DMS does not
 * implement set to anything but its default.
 */
export function validateTopicConfigs(configs: Readonly<Record<string, string | null>>): void {
  for (const [name, value] of Object.entries(configs)) {
    const def = TOPIC_CONFIGS.get(name);
    if (!def) throw invalid(`Unknown topic config name: ${name}`);
    if (typeof value !== 'string') throw invalid(`Null value not supported for topic config: ${name}`);
    checkValue(def, value);
    if (!def.implemented && !sameAsDefault(def, value)) {
      throw invalid(`Topic config ${name} is not supported by DMS; only its default (${def.default}) is accepted.`);
    }
  }
}

/**
 * Throws INVALID_CONFIG for an unknown broker key, a read-only one, a malformed value, or a
 * cluster-default key on a single broker's resource (`perBroker`).
 */
export function validateDynamicBrokerConfigs(configs: Readonly<Record<string, string | null>>, perBroker = false): void {
  for (const [name, value] of Object.entries(configs)) {
    const def = BROKER_CONFIGS.get(name);
    if (!def) throw invalid(`Unknown broker config name: ${name} (not supported by DMS)`);
    if (def.mode === 'read-only') throw invalid(`Cannot update these configs dynamically: ${name}`);
    if (perBroker && def.mode === 'cluster-default') {
      throw invalid(`Cannot update these configs for a single broker, only at the default cluster level (resource name ""): ${name}`);
    }
    if (typeof value !== 'string') throw invalid(`Null value not supported for broker config: ${name}`);
    checkValue(def, value);
  }
}

/** Validates a process's static values of table keys; throws an Error naming the key. */
export function validateStaticBrokerConfigs(configs: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(configs)) {
    const def = BROKER_CONFIGS.get(name);
    if (!def) continue;
    const why = def.validate(normalizeValue(def, value));
    if (why) throw new Error(`invalid value '${value}' for config '${name}': ${why}`);
  }
}

/** Stored form of a validated map (values normalised). */
export function normalizeConfigs(configs: Readonly<Record<string, string>>, kind: 'topic' | 'broker' | 'client-metrics' | 'group'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(configs)) {
    const def = kind === 'topic' ? TOPIC_CONFIGS.get(k) : kind === 'broker' ? BROKER_CONFIGS.get(k) : kind === 'group' ? GROUP_CONFIGS.get(k) : CLIENT_METRICS_CONFIGS.get(k);
    out[k] = def ? normalizeValue(def, v) : v;
  }
  return out;
}
