// DeleteAcls (31)
// Behavior: needs ALTER on the cluster; each filter is resolved against this gateway's cached
//   bindings (Kafka's filter semantics) and the controller deletes the matching ones. Each
//   filter result lists what it matched.
// Version notes: v0 filters are LITERAL; v1+ carry a pattern type; v2+ flexible.
// Not implemented: nothing known.
import { ErrorCode } from '@dms/kafka-errors';
import { aclFilterMatches, validFilter } from './acl-codes';
import { clusterAuthorized, Operation } from './authorize';
import type { KafkaHandler } from './handler';
import type { AclEntry } from './ports';

export const deleteAclsHandler: KafkaHandler = {
  apiKey: 31,
  name: 'DeleteAcls',
  minVersion: 0,
  maxVersion: 3,
  acl: ['CLUSTER:ALTER'],
  async handle(ctx, req: any) {
    const filters = req.filters as any[];
    const all = (errorCode: number, errorMessage: string | null) => ({
      throttleTimeMs: 0,
      filterResults: filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })),
    });
    if (!ctx.security || !ctx.security.authorizerEnabled()) return all(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.');
    if (!clusterAuthorized(ctx, Operation.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
    const cached = ctx.security.acls();
    const matches: AclEntry[][] = filters.map((f) => (validFilter(f) ? cached.filter((b) => aclFilterMatches(f, b)) : []));
    const unique = new Map<string, AclEntry>();
    for (const list of matches) for (const b of list) unique.set(JSON.stringify(b), b);
    const outcomes = unique.size > 0 ? await ctx.security.deleteAcls([...unique.values()]) : [];
    const outcomeOf = new Map([...unique.keys()].map((k, i) => [k, outcomes[i]]));
    return {
      throttleTimeMs: 0,
      filterResults: filters.map((f, i) => {
        if (!validFilter(f)) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'invalid ACL filter', matchingAcls: [] };
        return {
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          matchingAcls: matches[i].map((b) => {
            const o = outcomeOf.get(JSON.stringify(b));
            return { errorCode: o?.errorCode ?? ErrorCode.NONE, errorMessage: o?.errorMessage ?? null, ...b };
          }),
        };
      }),
    };
  },
};
