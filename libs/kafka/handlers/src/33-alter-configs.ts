// AlterConfigs (33)
// Behavior: replaces the whole set of a resource's configs with the given ones (keys left out
//   are unset), through the leading controller as one fenced compare-and-set per resource. TOPIC
//   and BROKER ("" is the cluster default) resources; validate_only checks without writing.
//   Unknown keys, malformed values and keys DMS does not implement (set to a non-default value)
//   answer INVALID_CONFIG naming the key; read-only broker keys INVALID_CONFIG; an unknown topic
//   UNKNOWN_TOPIC_OR_PARTITION; a resource named twice INVALID_REQUEST.
//   Needs ALTER_CONFIGS on the topic (TOPIC_AUTHORIZATION_FAILED) or cluster (CLUSTER_AUTHORIZATION_FAILED).
// Version notes: v2 is flexible; no other differences.
// Not implemented: BROKER_LOGGER (INVALID_REQUEST, as Kafka answers for this API).
import { ConfigResourceType } from '@dms/configs';
import { alterConfigsResponses, type AlterRequestResource } from './alter-configs-common';
import type { KafkaHandler } from './handler';

export const alterConfigsHandler: KafkaHandler = {
  apiKey: 33,
  name: 'AlterConfigs',
  minVersion: 0,
  maxVersion: 2,
  acl: ['TOPIC:ALTER_CONFIGS', 'CLUSTER:ALTER_CONFIGS', 'GROUP:ALTER_CONFIGS'],
  async handle(ctx, req: any) {
    const resources: AlterRequestResource[] = (req.resources as any[]).map((r) => ({
      resourceType: r.resourceType,
      resourceName: r.resourceName,
      replace: true,
      changes: (r.configs as any[]).map((c) => ({ name: c.name, op: 0, value: c.value })),
      unsupported: r.resourceType === ConfigResourceType.BROKER_LOGGER ? 'AlterConfigs is only supported for topics and brokers' : undefined,
    }));
    return { throttleTimeMs: 0, responses: await alterConfigsResponses(ctx, resources, !!req.validateOnly) };
  },
};
