// ListGroups (16)
// Behavior: asks every live storage broker's coordinator and merges the answers, so one gateway
//   lists every group of the cluster; a coordinator still loading sets
//   COORDINATOR_LOAD_IN_PROGRESS, one that cannot be reached COORDINATOR_NOT_AVAILABLE.
// Version notes: v4+ states filter and group states in the answer.
//   DESCRIBE on the CLUSTER lists every group; otherwise only the groups the principal may
//   DESCRIBE are listed (no error), as Kafka does.
// Not implemented: v5 group types filter (KIP-848).
import { authorized, clusterAuthorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';

export const listGroupsHandler: KafkaHandler = {
  apiKey: 16,
  name: 'ListGroups',
  minVersion: 0,
  maxVersion: 4,
  acl: ['CLUSTER:DESCRIBE', 'GROUP:DESCRIBE'],
  async handle(ctx, req: any, version) {
    const res = await ctx.groups.listGroups(version >= 4 ? (req.statesFilter as string[]) : []);
    const groups = clusterAuthorized(ctx, Operation.DESCRIBE)
      ? res.groups
      : res.groups.filter((g) => authorized(ctx, Operation.DESCRIBE, Resource.GROUP, g.groupId));
    return { throttleTimeMs: 0, errorCode: res.errorCode, groups };
  },
};
