// DescribeConfigs (32)
// Behavior: TOPIC resources list every topic key Kafka 4.x has with its effective value and
//   source: the topic's own (DYNAMIC_TOPIC_CONFIG), else its broker synonyms through the dynamic
//   per-broker, dynamic cluster-default and static layers of the storage broker leading partition
//   0, else the default. BROKER resources "N" list the broker keys DMS honours for storage broker
//   N (decision 0009); "" lists the dynamic cluster defaults only, as Kafka does. Password-like
//   keys are is_sensitive with a null value. BROKER_LOGGER answers an empty list. CLIENT_METRICS
//   (KIP-714 subscriptions) lists the keys the subscription sets (none for an unknown name, as Kafka).
//   GROUP lists every group key: the group's own value (GROUP_CONFIG) or Kafka's default
//   (DEFAULT_CONFIG); a group need not exist (its configs outlive it), needs DESCRIBE_CONFIGS on
//   the group (else GROUP_AUTHORIZATION_FAILED).
//   Needs DESCRIBE_CONFIGS on the topic (else TOPIC_AUTHORIZATION_FAILED) or on the cluster for
//   broker and client-metrics resources (else CLUSTER_AUTHORIZATION_FAILED).
// Version notes: v0 reports is_default instead of config_source and no synonyms; v1+ synonyms
//   when include_synonyms; v3+ config_type and documentation when include_documentation; v4 flexible.
// Not implemented: broker logger levels (BROKER_LOGGER is always empty).
import { ConfigResourceType, ConfigSource, describeBroker, describeClientMetrics, describeGroup, describeTopic, type DescribedConfig } from '@dms/configs';
import { ErrorCode } from '@dms/kafka-errors';
import { Operation } from './authorize';
import { authorizeResource, checkResource, parseBrokerName } from './config-resources';
import type { KafkaHandler } from './handler';
import type { RequestContext } from './ports';

function describeResource(ctx: RequestContext, type: number, name: string, opts: Parameters<typeof describeTopic>[2]): DescribedConfig[] {
  if (type === ConfigResourceType.TOPIC) {
    return describeTopic(ctx.cluster.topic(name)?.configs ?? {}, ctx.cluster.topicConfigLayers(name), opts);
  }
  if (type === ConfigResourceType.BROKER) {
    const id = parseBrokerName(name);
    if (id === null || id === undefined) {
      // The default entity: only what is set dynamically at the cluster level.
      const defaults = ctx.cluster.brokerConfigLayers(-1).clusterDefault;
      const keys = opts.keys ?? Object.keys(defaults);
      return describeBroker({ perBroker: {}, clusterDefault: defaults, static: {} }, { ...opts, keys })
        .filter((c) => c.configSource === ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
    }
    return describeBroker(ctx.cluster.brokerConfigLayers(id), opts);
  }
  if (type === ConfigResourceType.GROUP) return describeGroup(ctx.cluster.groupConfigs(name), opts);
  if (type === ConfigResourceType.CLIENT_METRICS) return describeClientMetrics(ctx.cluster.clientMetricsConfigs().get(name) ?? {}, opts);
  return [];
}

export const describeConfigsHandler: KafkaHandler = {
  apiKey: 32,
  name: 'DescribeConfigs',
  minVersion: 0,
  maxVersion: 4,
  acl: ['TOPIC:DESCRIBE_CONFIGS', 'CLUSTER:DESCRIBE_CONFIGS', 'GROUP:DESCRIBE_CONFIGS'],
  handle(ctx, req: any, version) {
    const opts = {
      includeSynonyms: version >= 1 && !!req.includeSynonyms,
      includeDocumentation: version >= 3 && !!req.includeDocumentation,
    };
    return {
      throttleTimeMs: 0,
      results: (req.resources as any[]).map((r) => {
        const base = { resourceType: r.resourceType, resourceName: r.resourceName, configs: [] as unknown[] };
        const problem = authorizeResource(ctx, Operation.DESCRIBE_CONFIGS, r.resourceType, r.resourceName) ?? checkResource(ctx, r.resourceType, r.resourceName);
        if (problem) return { ...base, ...problem };
        const configs = describeResource(ctx, r.resourceType, r.resourceName, { keys: r.configurationKeys ?? null, ...opts }).map((c) => ({
          ...c,
          isDefault: c.configSource === ConfigSource.DEFAULT_CONFIG,
        }));
        return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs };
      }),
    };
  },
};
