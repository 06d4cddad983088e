// CreateAcls (30)
// Behavior: needs ALTER on the cluster; the controller validates and stores each binding
//   (etcd acls/...), and every gateway picks it up through its watch. Creating an existing
//   binding succeeds.
// Version notes: v0 creates LITERAL bindings; v1+ LITERAL or PREFIXED; v2+ flexible.
// Not implemented: nothing known.
import { ErrorCode } from '@dms/kafka-errors';
import { clusterAuthorized, Operation } from './authorize';
import type { KafkaHandler } from './handler';

export const createAclsHandler: KafkaHandler = {
  apiKey: 30,
  name: 'CreateAcls',
  minVersion: 0,
  maxVersion: 3,
  acl: ['CLUSTER:ALTER'],
  async handle(ctx, req: any) {
    const creations = req.creations as any[];
    const all = (errorCode: number, errorMessage: string | null) => ({ throttleTimeMs: 0, results: creations.map(() => ({ errorCode, errorMessage })) });
    if (!ctx.security || !ctx.security.authorizerEnabled()) return all(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.');
    if (!clusterAuthorized(ctx, Operation.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
    const results = await ctx.security.createAcls(
      creations.map((c) => ({
        resourceType: c.resourceType,
        resourceName: c.resourceName,
        patternType: c.resourcePatternType ?? 3,
        principal: c.principal,
        host: c.host,
        operation: c.operation,
        permissionType: c.permissionType,
      })),
    );
    return { throttleTimeMs: 0, results };
  },
};
