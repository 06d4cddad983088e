import type { RequestContext } from './ports';

// Kafka's wire codes (AclOperation / ResourceType), so handlers read like Kafka's authorizer calls.
export const Operation = {
  READ: 3, WRITE: 4, CREATE: 5, DELETE: 6, ALTER: 7, DESCRIBE: 8, CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10, ALTER_CONFIGS: 11, IDEMPOTENT_WRITE: 12,
} as const;
export const Resource = { TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5 } as const;
export const CLUSTER_NAME = 'kafka-cluster';

/**
 * The check every handler makes first, per resource it touches: may this connection's
 * principal perform `operation` on the resource? Without a security port (unit tests) or with
 * no authorizer configured, everything is allowed.
 */
export function authorized(ctx: RequestContext, operation: number, resourceType: number, name: string): boolean {
  const sec = ctx.security;
  if (!sec || !sec.authorizerEnabled()) return true;
  return sec.authorize(ctx.session?.principal ?? 'User:ANONYMOUS', ctx.session?.host ?? ctx.clientHost, operation, resourceType, name);
}

export const clusterAuthorized = (ctx: RequestContext, operation: number): boolean =>
  authorized(ctx, operation, Resource.CLUSTER, CLUSTER_NAME);

/**
 * Kafka's authorizeByResourceType: may the principal perform `operation` on at least one
 * resource of the type (e.g. WRITE on any topic, which lets a producer be idempotent)?
 */
export function authorizedForAny(ctx: RequestContext, operation: number, resourceType: number): boolean {
  const sec = ctx.security;
  if (!sec || !sec.authorizerEnabled()) return true;
  return sec.authorizeByResourceType(ctx.session?.principal ?? 'User:ANONYMOUS', ctx.session?.host ?? ctx.clientHost, operation, resourceType);
}
