// How a service declares the broker keys it reads (its STATIC_BROKER_CONFIG layer).
import type { ConfigDef, KeySpec } from '@dms/platform';
import { BROKER_CONFIGS } from './broker-configs';
import { validateStaticBrokerConfigs } from './validate';

/**
 * Platform key specs for table keys a service only passes on as strings (no default: unset
 * keys fall through to the dynamic layers and the default, see resolve.ts).
 */
export function brokerKeySpecs(names: readonly string[]): ConfigDef {
  const out: Record<string, KeySpec> = {};
  for (const name of names) {
    const def = BROKER_CONFIGS.get(name);
    if (!def) throw new Error(`${name} is not in the broker config table`);
    out[name] = { type: 'string', doc: `${def.doc} (default: ${def.default ?? 'unset'}; ${def.mode})` };
  }
  return out;
}

/**
 * The static layer of a loaded service config: every table key it declares whose value is set
 * and differs from Kafka's default, as a string. Throws when a value is out of range.
 */
export function staticBrokerConfigs(config: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(config)) {
    const def = BROKER_CONFIGS.get(name);
    if (!def || raw === undefined || raw === null || raw === '') continue;
    const value = Array.isArray(raw) ? raw.join(',') : String(raw);
    if (value === def.default) continue;
    out[name] = value;
  }
  validateStaticBrokerConfigs(out);
  return out;
}
