// DescribeConfigs entries for a topic or a broker, as Kafka fills them.
import { BROKER_CONFIG_DEFS, BROKER_CONFIGS } from './broker-configs';
import { CLIENT_METRICS_CONFIGS } from './client-metrics-configs';
import { GROUP_CONFIG_DEFS, GROUP_CONFIGS } from './group-configs';
import { brokerKeyChain, resolveBrokerKey, resolveTopicKey, topicKeyChain, type BrokerConfigLayers } from './resolve';
import { TOPIC_CONFIG_DEFS, TOPIC_CONFIGS } from './topic-configs';
import { ConfigSource, ConfigType } from './types';

export interface DescribedConfig {
  name: string;
  value: string | null;
  readOnly: boolean;
  configSource: number;
  isSensitive: boolean;
  synonyms: { name: string; value: string | null; source: number }[];
  configType: number;
  documentation: string | null;
}

export interface DescribeOptions {
  /** Only these keys (unknown ones are left out, as Kafka does); null for all. */
  keys: readonly string[] | null;
  includeSynonyms: boolean;
  includeDocumentation: boolean;
}

function docOf(doc: string, implemented: boolean): string {
  return implemented ? doc : `${doc} Not supported by DMS: only the default is accepted.`;
}

export function describeTopic(topicConfigs: Readonly<Record<string, string>>, layers: BrokerConfigLayers, opts: DescribeOptions): DescribedConfig[] {
  const names = opts.keys ?? TOPIC_CONFIG_DEFS.map((d) => d.name);
  const out: DescribedConfig[] = [];
  for (const name of names) {
    const def = TOPIC_CONFIGS.get(name);
    if (!def) continue;
    const r = resolveTopicKey(name, topicConfigs, layers);
    out.push({
      name,
      value: r.value,
      readOnly: false,
      configSource: r.source,
      isSensitive: false,
      synonyms: opts.includeSynonyms ? topicKeyChain(name, topicConfigs, layers) : [],
      configType: ConfigType[def.type],
      documentation: opts.includeDocumentation ? docOf(def.doc, def.implemented) : null,
    });
  }
  return out;
}

export function describeBroker(layers: BrokerConfigLayers, opts: DescribeOptions): DescribedConfig[] {
  const names = opts.keys ?? BROKER_CONFIG_DEFS.map((d) => d.name);
  const out: DescribedConfig[] = [];
  for (const name of names) {
    const def = BROKER_CONFIGS.get(name);
    if (!def) continue;
    const r = resolveBrokerKey(name, layers);
    const hide = <T extends { value: string | null }>(v: T): T => (def.sensitive ? { ...v, value: null } : v);
    out.push({
      name,
      value: def.sensitive ? null : r.value,
      readOnly: def.mode === 'read-only',
      configSource: r.source,
      isSensitive: def.sensitive,
      synonyms: opts.includeSynonyms ? brokerKeyChain(name, layers).map(hide) : [],
      configType: ConfigType[def.type],
      documentation: opts.includeDocumentation ? def.doc : null,
    });
  }
  return out;
}

/** The sources the CreateTopics v5+ answer reports per config (every topic key, effective). */
export function createdTopicConfigs(topicConfigs: Readonly<Record<string, string>>, layers: BrokerConfigLayers): DescribedConfig[] {
  return describeTopic(topicConfigs, layers, { keys: null, includeSynonyms: false, includeDocumentation: false });
}

/** A client-metrics subscription: only the keys it sets (Kafka lists no defaults for CLIENT_METRICS). */
export function describeClientMetrics(configs: Readonly<Record<string, string>>, opts: DescribeOptions): DescribedConfig[] {
  const names = (opts.keys ?? Object.keys(configs)).filter((k) => configs[k] !== undefined);
  return names.map((name) => {
    const def = CLIENT_METRICS_CONFIGS.get(name);
    return {
      name,
      value: configs[name]!,
      readOnly: false,
      configSource: ConfigSource.CLIENT_METRICS_CONFIG,
      isSensitive: false,
      synonyms: [],
      configType: def ? ConfigType[def.type] : ConfigType.UNKNOWN,
      documentation: opts.includeDocumentation && def ? def.doc : null,
    };
  });
}

/**
 * A group's configs (GROUP resource): every group key, the group's own value with source
 * GROUP_CONFIG, else the default with DEFAULT_CONFIG (as Kafka lists them, with no synonyms).
 */
export function describeGroup(configs: Readonly<Record<string, string>>, opts: DescribeOptions): DescribedConfig[] {
  const names = opts.keys ?? GROUP_CONFIG_DEFS.map((d) => d.name);
  const out: DescribedConfig[] = [];
  for (const name of names) {
    const def = GROUP_CONFIGS.get(name);
    if (!def) continue;
    const own = configs[name];
    out.push({
      name,
      value: own ?? def.default,
      readOnly: false,
      configSource: own !== undefined ? ConfigSource.GROUP_CONFIG : ConfigSource.DEFAULT_CONFIG,
      isSensitive: false,
      synonyms: [],
      configType: ConfigType[def.type],
      documentation: opts.includeDocumentation ? def.doc : null,
    });
  }
  return out;
}

export { ConfigSource };
