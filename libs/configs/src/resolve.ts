// Kafka's precedence for a config value: DYNAMIC_TOPIC_CONFIG > DYNAMIC_BROKER_CONFIG >
// DYNAMIC_DEFAULT_BROKER_CONFIG > STATIC_BROKER_CONFIG > DEFAULT_CONFIG. A topic key without a
// topic value takes its broker synonyms in order (log.retention.ms, then .minutes, then .hours),
// each looked up through the three broker layers, before the key's own default.
import { BROKER_CONFIGS } from './broker-configs';
import { TOPIC_CONFIG_DEFS, TOPIC_CONFIGS, type BrokerSynonym } from './topic-configs';
import { ConfigSource } from './types';

/** The broker-level values one broker applies, by layer (each only the keys set there). */
export interface BrokerConfigLayers {
  /** Dynamic, for this broker only (etcd configs/brokers/<id>). */
  perBroker: Readonly<Record<string, string>>;
  /** Dynamic cluster default (etcd configs/brokers/<default>). */
  clusterDefault: Readonly<Record<string, string>>;
  /** The process's own configuration (flags, environment), non-default values only. */
  static: Readonly<Record<string, string>>;
}

export const EMPTY_LAYERS: BrokerConfigLayers = Object.freeze({ perBroker: {}, clusterDefault: {}, static: {} });

export interface ResolvedValue {
  name: string;
  value: string | null;
  source: number;
}

const has = (o: Readonly<Record<string, string>>, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** Every layer that sets a broker key, highest precedence first, then its default. */
export function brokerKeyChain(name: string, layers: BrokerConfigLayers): ResolvedValue[] {
  const out: ResolvedValue[] = [];
  if (has(layers.perBroker, name)) out.push({ name, value: layers.perBroker[name], source: ConfigSource.DYNAMIC_BROKER_CONFIG });
  if (has(layers.clusterDefault, name)) out.push({ name, value: layers.clusterDefault[name], source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });
  if (has(layers.static, name)) out.push({ name, value: layers.static[name], source: ConfigSource.STATIC_BROKER_CONFIG });
  const def = BROKER_CONFIGS.get(name);
  if (def && def.default !== null) out.push({ name, value: def.default, source: ConfigSource.DEFAULT_CONFIG });
  return out;
}

/** A broker key's value and where it comes from; value null when nothing sets it and it has no default. */
export function resolveBrokerKey(name: string, layers: BrokerConfigLayers): ResolvedValue {
  return brokerKeyChain(name, layers)[0] ?? { name, value: null, source: ConfigSource.DEFAULT_CONFIG };
}

function scaled(value: string | null, syn: BrokerSynonym): string | null {
  if (value === null || !syn.scale) return value;
  if (!/^-?\d+$/.test(value.trim())) return value;
  const n = BigInt(value.trim());
  // -1 means "forever" in every unit.
  return n < 0n ? value.trim() : String(n * BigInt(syn.scale));
}

/**
 * Kafka's synonym list of a topic key: the topic's own value, then each broker synonym's layers
 * (values as that broker key states them), ending with the default.
 */
export function topicKeyChain(name: string, topicConfigs: Readonly<Record<string, string>>, layers: BrokerConfigLayers): ResolvedValue[] {
  const def = TOPIC_CONFIGS.get(name);
  const out: ResolvedValue[] = [];
  if (has(topicConfigs, name)) out.push({ name, value: topicConfigs[name], source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
  for (const syn of def?.brokerSynonyms ?? []) {
    for (const v of brokerKeyChain(syn.name, layers)) if (v.source !== ConfigSource.DEFAULT_CONFIG) out.push(v);
  }
  const last = def?.brokerSynonyms[def.brokerSynonyms.length - 1];
  const lastDefault = last ? BROKER_CONFIGS.get(last.name)?.default ?? null : null;
  if (last && lastDefault !== null) out.push({ name: last.name, value: lastDefault, source: ConfigSource.DEFAULT_CONFIG });
  else if (def) out.push({ name, value: def.default, source: ConfigSource.DEFAULT_CONFIG });
  return out;
}

/** A topic key's effective value (in the topic key's unit) and its source. */
export function resolveTopicKey(name: string, topicConfigs: Readonly<Record<string, string>>, layers: BrokerConfigLayers): ResolvedValue {
  const def = TOPIC_CONFIGS.get(name);
  const first = topicKeyChain(name, topicConfigs, layers)[0];
  if (!first) return { name, value: def?.default ?? null, source: ConfigSource.DEFAULT_CONFIG };
  if (first.source === ConfigSource.DYNAMIC_TOPIC_CONFIG) return first;
  const syn = def?.brokerSynonyms.find((s) => s.name === first.name);
  if (first.source === ConfigSource.DEFAULT_CONFIG && !syn) return { name, value: def?.default ?? first.value, source: first.source };
  return { name, value: syn ? scaled(first.value, syn) : first.value, source: first.source };
}

/**
 * The complete effective config of a topic on one broker: every topic key Kafka has, resolved
 * through the chain. This is what each PartitionReplica holds as `configs`.
 */
export function effectiveTopicConfigs(topicConfigs: Readonly<Record<string, string>>, layers: BrokerConfigLayers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of TOPIC_CONFIG_DEFS) {
    const v = resolveTopicKey(d.name, topicConfigs, layers).value;
    if (v !== null) out[d.name] = v;
  }
  // Keys the topic carries that the table does not know (written by an older version) stay visible.
  for (const [k, v] of Object.entries(topicConfigs)) if (!(k in out)) out[k] = v;
  return out;
}
