// ListConfigResources (74), formerly ListClientMetricsResources
// Behavior: lists config resources by name. v0 lists the client-metrics subscriptions (CLIENT_METRICS
//   config resources, KIP-714). v1 (KIP-1142) takes a list of resource types, empty meaning every
//   type it supports: TOPIC (every topic), BROKER and BROKER_LOGGER (the broker ids clients see),
//   CLIENT_METRICS and GROUP (every group the coordinators hold). A type outside that set answers
//   UNSUPPORTED_VERSION with no resources, as Kafka does.
//   Needs DESCRIBE_CONFIGS on the CLUSTER, else CLUSTER_AUTHORIZATION_FAILED.
// Version notes: v1 adds the type filter and each resource's type.
import { ConfigResourceType } from '@dms/configs';
import { ErrorCode } from '@dms/kafka-errors';
import { clusterAuthorized, Operation } from './authorize';
import type { KafkaHandler } from './handler';
import type { RequestContext } from './ports';

const GROUP = ConfigResourceType.GROUP;
const V0_TYPES: readonly number[] = [ConfigResourceType.CLIENT_METRICS];
const V1_TYPES: readonly number[] = [ConfigResourceType.TOPIC, ConfigResourceType.BROKER, ConfigResourceType.BROKER_LOGGER, ConfigResourceType.CLIENT_METRICS, GROUP];

interface Listed {
  resourceName: string;
  resourceType: number;
}

function answer(errorCode: number, resources: Listed[]) {
  // The same list under the field names of both schema generations (ListClientMetricsResources
  // before Kafka 4.3, ListConfigResources since); the encoder writes the one its descriptor has.
  return {
    throttleTimeMs: 0,
    errorCode,
    clientMetricsResources: resources.map((r) => ({ name: r.resourceName })),
    configResources: resources,
  };
}

async function namesOf(ctx: RequestContext, type: number): Promise<string[]> {
  switch (type) {
    case ConfigResourceType.TOPIC:
      return ctx.cluster.topics().map((t) => t.name);
    case ConfigResourceType.BROKER:
    case ConfigResourceType.BROKER_LOGGER:
      return ctx.cluster.nodes().map((n) => String(n.nodeId));
    case ConfigResourceType.CLIENT_METRICS:
      return [...ctx.cluster.clientMetricsConfigs().keys()];
    case GROUP:
      // Groups the coordinators hold and groups that only have configs (they outlive the group).
      return [...(await ctx.groups.listGroups([])).groups.map((g) => g.groupId), ...ctx.cluster.groupConfigIds()];
    default:
      return [];
  }
}

export const listConfigResourcesHandler: KafkaHandler = {
  apiKey: 74,
  name: 'ListConfigResources',
  minVersion: 0,
  maxVersion: 1,
  acl: ['CLUSTER:DESCRIBE_CONFIGS'],
  async handle(ctx, req: any, version) {
    if (!clusterAuthorized(ctx, Operation.DESCRIBE_CONFIGS)) return answer(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, []);
    const supported = version >= 1 ? V1_TYPES : V0_TYPES;
    const asked: number[] = version >= 1 && (req.resourceTypes as number[] | undefined)?.length ? [...new Set(req.resourceTypes as number[])] : [...supported];
    if (asked.some((t) => !supported.includes(t))) return answer(ErrorCode.UNSUPPORTED_VERSION, []);
    const resources: Listed[] = [];
    for (const resourceType of asked) {
      for (const resourceName of [...new Set(await namesOf(ctx, resourceType))].sort()) resources.push({ resourceName, resourceType });
    }
    return answer(ErrorCode.NONE, resources);
  },
};
