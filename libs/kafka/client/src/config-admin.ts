import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { ApiKey } from '@dms/kafka-schema';
import type { KafkaClient } from './client';

/** Topic and broker configs through DescribeConfigs / IncrementalAlterConfigs (what `dms configs` calls). */

export const RESOURCE_TOPIC = 2;
export const RESOURCE_BROKER = 4;
/** KIP-714 client-metrics subscriptions. */
export const RESOURCE_CLIENT_METRICS = 16;
/** KIP-848 / KIP-932 per-group configs. */
export const RESOURCE_GROUP = 32;
/** Api key 74: ListClientMetricsResources in schemas before Kafka 4.3, ListConfigResources since. */
export const LIST_CONFIG_RESOURCES_KEY = 74;

/** Kafka's ConfigSource names by wire code. */
export const CONFIG_SOURCE_NAMES: Readonly<Record<number, string>> = {
  0: 'UNKNOWN',
  1: 'DYNAMIC_TOPIC_CONFIG',
  2: 'DYNAMIC_BROKER_CONFIG',
  3: 'DYNAMIC_DEFAULT_BROKER_CONFIG',
  4: 'STATIC_BROKER_CONFIG',
  5: 'DEFAULT_CONFIG',
  6: 'DYNAMIC_BROKER_LOGGER_CONFIG',
  7: 'CLIENT_METRICS_CONFIG',
  8: 'GROUP_CONFIG',
};

export interface ConfigEntry {
  name: string;
  value: string | null;
  source: string;
  readOnly: boolean;
  sensitive: boolean;
  synonyms: { name: string; value: string | null; source: string }[];
}

export interface ConfigResourceSpec {
  type: number;
  /** Topic name, broker id, or "" for the cluster-default broker entity. */
  name: string;
}

export async function describeConfigs(client: KafkaClient, resource: ConfigResourceSpec, keys: string[] | null = null): Promise<ConfigEntry[]> {
  const res = await client.adminRequest<any>(ApiKey.DescribeConfigs, {
    resources: [{ resourceType: resource.type, resourceName: resource.name, configurationKeys: keys }],
    includeSynonyms: true,
    includeDocumentation: false,
  });
  const r = res.results[0];
  if (r.errorCode !== ErrorCode.NONE) throw new KafkaError(r.errorCode, r.errorMessage ?? undefined);
  const src = (c: number) => CONFIG_SOURCE_NAMES[c] ?? String(c);
  return (r.configs as any[]).map((c) => ({
    name: c.name,
    value: c.value,
    source: src(c.configSource),
    readOnly: c.readOnly,
    sensitive: c.isSensitive,
    synonyms: ((c.synonyms ?? []) as any[]).map((s) => ({ name: s.name, value: s.value, source: src(s.source) })),
  }));
}

/** IncrementalAlterConfigs: SET every `set` entry and DELETE every `remove` key in one request. */
export async function alterConfigs(
  client: KafkaClient,
  resource: ConfigResourceSpec,
  set: Record<string, string>,
  remove: string[],
  validateOnly = false,
): Promise<void> {
  const configs = [
    ...Object.entries(set).map(([name, value]) => ({ name, configOperation: 0, value })),
    ...remove.map((name) => ({ name, configOperation: 1, value: null })),
  ];
  const res = await client.adminRequest<any>(ApiKey.IncrementalAlterConfigs, {
    resources: [{ resourceType: resource.type, resourceName: resource.name, configs }],
    validateOnly,
  });
  const r = res.responses[0];
  if (r.errorCode !== ErrorCode.NONE) throw new KafkaError(r.errorCode, r.errorMessage ?? undefined);
}

/**
 * kafka-configs.sh's --add-config syntax: `k1=v1,k2=v2`, a value holding commas in square
 * brackets (`cleanup.policy=[compact,delete]`).
 */
export function parseAddConfig(spec: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < spec.length) {
    const eq = spec.indexOf('=', i);
    if (eq <= i) throw new Error(`--add-config entries must be key=value, got '${spec.slice(i)}'`);
    const key = spec.slice(i, eq).trim();
    let j = eq + 1;
    let value: string;
    if (spec[j] === '[') {
      const close = spec.indexOf(']', j);
      if (close < 0) throw new Error(`unclosed [ in --add-config value of ${key}`);
      value = spec.slice(j + 1, close);
      j = close + 1;
    } else {
      const comma = spec.indexOf(',', j);
      value = spec.slice(j, comma < 0 ? spec.length : comma);
      j = comma < 0 ? spec.length : comma;
    }
    out[key] = value.trim();
    if (j < spec.length && spec[j] !== ',') throw new Error(`expected ',' after the value of ${key} in --add-config`);
    i = j + 1;
  }
  return out;
}

/** ListConfigResources v0 (formerly ListClientMetricsResources): the client-metrics subscription names. */
export async function listClientMetricsResources(client: KafkaClient): Promise<string[]> {
  const res = await client.adminRequest<any>(LIST_CONFIG_RESOURCES_KEY, {});
  if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode);
  // Field names of Kafka 4.3's ListConfigResources, or of ListClientMetricsResources before it.
  if (res.configResources) return (res.configResources as { resourceName: string }[]).map((r) => r.resourceName);
  return ((res.clientMetricsResources ?? []) as { name: string }[]).map((r) => r.name);
}
