// Which client-metrics subscriptions select a client, and what they ask of it (KIP-714).
import { crc32c } from '@node-rs/crc32';
import { CLIENT_METRICS_DEFAULT_INTERVAL_MS, clientMetricsSubscription, type ClientMatchSelector, type ClientMetricsSubscription } from '@dms/configs';
import type { TelemetryClient } from '@dms/kafka-handlers';

export interface ResolvedSubscription {
  /** Prefixes the client is to push; [''] is every metric, [] none. */
  metrics: string[];
  intervalMs: number;
  subscriptionId: number;
}

/** Kafka's printable form of a UUID (URL-safe base64 without padding), as its tools show instance ids. */
export function kafkaUuidString(uuid: string): string {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex').toString('base64url');
}

function selectorValue(client: TelemetryClient, instanceId: string, selector: ClientMatchSelector): string {
  switch (selector) {
    case 'client_instance_id': return kafkaUuidString(instanceId);
    case 'client_id': return client.clientId;
    case 'client_software_name': return client.softwareName;
    case 'client_software_version': return client.softwareVersion;
    case 'client_source_address': return client.sourceAddress;
    case 'client_source_port': return String(client.sourcePort);
  }
}

export function matches(sub: ClientMetricsSubscription, client: TelemetryClient, instanceId: string): boolean {
  for (const [selector, re] of sub.match) if (!re.test(selectorValue(client, instanceId, selector))) return false;
  return true;
}

/** The subscriptions of the stored configs, in name order (a set that no longer validates is skipped). */
export function parseSubscriptions(configs: ReadonlyMap<string, Readonly<Record<string, string>>>): ClientMetricsSubscription[] {
  return [...configs.keys()].sort().flatMap((name) => {
    const s = clientMetricsSubscription(name, configs.get(name)!);
    return s ? [s] : [];
  });
}

/**
 * The merge of every subscription selecting the client: the union of their prefixes (any "all"
 * makes it all), the shortest interval (the default when none selects it), and an id that is a
 * CRC-32C of both, mixed with the instance id as Kafka does, so it changes when the set does.
 */
export function resolveSubscription(subs: readonly ClientMetricsSubscription[], client: TelemetryClient, instanceId: string): ResolvedSubscription {
  const prefixes = new Set<string>();
  let intervalMs = Infinity;
  for (const s of subs) {
    if (!matches(s, client, instanceId)) continue;
    for (const m of s.metrics) prefixes.add(m);
    intervalMs = Math.min(intervalMs, s.intervalMs);
  }
  if (!Number.isFinite(intervalMs)) intervalMs = CLIENT_METRICS_DEFAULT_INTERVAL_MS;
  const metrics = prefixes.has('') ? [''] : [...prefixes].sort();
  const crc = crc32c(Buffer.from(`[${metrics.join(', ')}]${intervalMs}`, 'utf8'));
  const idHash = Buffer.from(instanceId.replace(/-/g, ''), 'hex').readInt32BE(12);
  return { metrics, intervalMs, subscriptionId: (crc ^ idHash) | 0 };
}

/** Whether a metric name is one the subscription asked for. */
export function requested(metrics: readonly string[], name: string): boolean {
  return metrics.some((p) => name.startsWith(p));
}
