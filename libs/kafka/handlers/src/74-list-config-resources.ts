// ListConfigResources (74), formerly ListClientMetricsResources
// Behavior: v0 lists the names of the client-metrics subscriptions (CLIENT_METRICS config
//   resources, KIP-714) the cluster holds.
//   Needs DESCRIBE_CONFIGS on the CLUSTER, else CLUSTER_AUTHORIZATION_FAILED.
// Version notes: v0 only (Kafka 4.3's v1 lists other resource types by a filter; not yet served).
// Not implemented: v1.
import { ErrorCode } from '@dms/kafka-errors';
import { clusterAuthorized, Operation } from './authorize';
import type { KafkaHandler } from './handler';

const CLIENT_METRICS = 16;

export const listConfigResourcesHandler: KafkaHandler = {
  apiKey: 74,
  name: 'ListConfigResources',
  minVersion: 0,
  maxVersion: 0,
  acl: ['CLUSTER:DESCRIBE_CONFIGS'],
  handle(ctx) {
    if (!clusterAuthorized(ctx, Operation.DESCRIBE_CONFIGS)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, clientMetricsResources: [], configResources: [] };
    }
    const names = [...ctx.cluster.clientMetricsConfigs().keys()].sort();
    // The same list under the field names of both schema generations (ListClientMetricsResources
    // before Kafka 4.3, ListConfigResources since); the encoder writes the one its descriptor has.
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      clientMetricsResources: names.map((name) => ({ name })),
      configResources: names.map((resourceName) => ({ resourceName, resourceType: CLIENT_METRICS })),
    };
  },
};
