// DescribeAcls (29)
// Behavior: needs DESCRIBE on the cluster; answers every cached binding the filter matches
//   (Kafka's filter semantics: ANY, MATCH, LITERAL, PREFIXED), grouped by resource pattern.
// Version notes: v0 has no pattern type (LITERAL); v1+ pattern types; v2+ flexible.
// Not implemented: nothing known.
import { ErrorCode } from '@dms/kafka-errors';
import { aclFilterMatches, validFilter } from './acl-codes';
import { clusterAuthorized, Operation } from './authorize';
import type { KafkaHandler } from './handler';

export const describeAclsHandler: KafkaHandler = {
  apiKey: 29,
  name: 'DescribeAcls',
  minVersion: 0,
  maxVersion: 3,
  acl: ['CLUSTER:DESCRIBE'],
  handle(ctx, req: any) {
    const base = { throttleTimeMs: 0, errorCode: ErrorCode.NONE as number, errorMessage: null as string | null, resources: [] as any[] };
    if (!ctx.security || !ctx.security.authorizerEnabled()) return { ...base, errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'No Authorizer is configured.' };
    if (!clusterAuthorized(ctx, Operation.DESCRIBE)) return { ...base, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null };
    if (!validFilter(req)) return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'invalid ACL filter' };
    const groups = new Map<string, any>();
    for (const b of ctx.security.acls()) {
      if (!aclFilterMatches(req, b)) continue;
      const key = `${b.resourceType}\0${b.patternType}\0${b.resourceName}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, acls: [] }));
      g.acls.push({ principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType });
    }
    return { ...base, resources: [...groups.values()] };
  },
};
