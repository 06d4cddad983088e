// What DescribeConfigs, AlterConfigs and IncrementalAlterConfigs share: resource types, the ACL
// each resource needs, and the checks Kafka makes before touching configs.
import { ConfigResourceType } from '@dms/configs';
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, CLUSTER_NAME, Resource } from './authorize';
import type { RequestContext } from './ports';
import { isValidTopicName } from './topic-names';

export interface ResourceError {
  errorCode: number;
  errorMessage: string;
}

/** The ACL check of one resource: `operation` on the topic, or on the cluster for broker resources. */
export function authorizeResource(ctx: RequestContext, operation: number, resourceType: number, resourceName: string): ResourceError | undefined {
  if (resourceType === ConfigResourceType.TOPIC) {
    return authorized(ctx, operation, Resource.TOPIC, resourceName)
      ? undefined
      : { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' };
  }
  // Kafka authorizes GROUP config resources on the group itself (KIP-848).
  if (resourceType === ConfigResourceType.GROUP) {
    return authorized(ctx, operation, Resource.GROUP, resourceName)
      ? undefined
      : { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' };
  }
  // Kafka authorizes client-metrics subscriptions on the cluster, like broker configs.
  if (resourceType === ConfigResourceType.BROKER || resourceType === ConfigResourceType.BROKER_LOGGER || resourceType === ConfigResourceType.CLIENT_METRICS) {
    return authorized(ctx, operation, Resource.CLUSTER, CLUSTER_NAME)
      ? undefined
      : { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' };
  }
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type ${resourceType}` };
}

/** A BROKER resource name: "" (the cluster default) or a broker id. */
export function parseBrokerName(name: string): number | null | undefined {
  if (name === '') return null;
  if (!/^(0|[1-9]\d{0,9})$/.test(name) || Number(name) > 0x7fffffff) return undefined;
  return Number(name);
}

/** Kafka's checks of a resource before its configs are read or changed. */
export function checkResource(ctx: RequestContext, resourceType: number, resourceName: string): ResourceError | undefined {
  if (resourceType === ConfigResourceType.TOPIC) {
    if (!isValidTopicName(resourceName)) return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: `Topic name '${resourceName}' is illegal` };
    if (!ctx.cluster.topic(resourceName)) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'This server does not host this topic-partition.' };
  }
  if (resourceType === ConfigResourceType.CLIENT_METRICS && !resourceName) {
    return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Client metrics subscription name must not be empty' };
  }
  if (resourceType === ConfigResourceType.GROUP && !resourceName) {
    return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Group name must not be empty' };
  }
  if (resourceType === ConfigResourceType.BROKER && parseBrokerName(resourceName) === undefined) {
    return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Broker id must be an integer, but it is: ${resourceName}` };
  }
  return undefined;
}

/** Keys of resources named more than once in one request (Kafka refuses each with INVALID_REQUEST). */
export function duplicateResources(resources: readonly { resourceType: number; resourceName: string }[]): Set<string> {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const r of resources) {
    const k = resourceKey(r);
    if (seen.has(k)) dup.add(k);
    seen.add(k);
  }
  return dup;
}

export const resourceKey = (r: { resourceType: number; resourceName: string }): string => `${r.resourceType}\0${r.resourceName}`;
