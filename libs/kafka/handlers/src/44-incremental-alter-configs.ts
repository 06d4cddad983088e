// IncrementalAlterConfigs (44)
// Behavior: per key SET, DELETE, APPEND or SUBTRACT (the last two on list keys only, starting
//   from the effective value when the resource does not set the key), through the leading
//   controller as one fenced compare-and-set per resource. Errors as AlterConfigs (33): unknown
//   or unsupported keys and bad values INVALID_CONFIG naming the key, a key named twice or a
//   resource named twice INVALID_REQUEST, an unknown topic UNKNOWN_TOPIC_OR_PARTITION.
//   CLIENT_METRICS resources are KIP-714 subscriptions (metrics, interval.ms, match); removing
//   every key deletes the subscription. GROUP resources (KIP-848/KIP-932 group configs) are
//   checked by the controller against the broker bounds and kept after the group is deleted.
//   Needs ALTER_CONFIGS on the topic, the group, or the cluster (brokers, client metrics).
// Version notes: v1 is flexible; no other differences.
// Not implemented: BROKER_LOGGER (log levels): INVALID_REQUEST.
import { ConfigResourceType } from '@dms/configs';
import { alterConfigsResponses, type AlterRequestResource } from './alter-configs-common';
import type { KafkaHandler } from './handler';

export const incrementalAlterConfigsHandler: KafkaHandler = {
  apiKey: 44,
  name: 'IncrementalAlterConfigs',
  minVersion: 0,
  maxVersion: 1,
  acl: ['TOPIC:ALTER_CONFIGS', 'CLUSTER:ALTER_CONFIGS', 'GROUP:ALTER_CONFIGS'],
  async handle(ctx, req: any) {
    const resources: AlterRequestResource[] = (req.resources as any[]).map((r) => ({
      resourceType: r.resourceType,
      resourceName: r.resourceName,
      replace: false,
      changes: (r.configs as any[]).map((c) => ({ name: c.name, op: c.configOperation, value: c.value })),
      unsupported: r.resourceType === ConfigResourceType.BROKER_LOGGER ? 'Broker logger levels are not supported by DMS' : undefined,
    }));
    return { throttleTimeMs: 0, responses: await alterConfigsResponses(ctx, resources, !!req.validateOnly) };
  },
};
