// ListGroups (16)
// Behavior: asks every live storage broker's coordinator and merges the answers, so one gateway
//   lists every group of the cluster; a coordinator still loading sets
//   COORDINATOR_LOAD_IN_PROGRESS, one that cannot be reached COORDINATOR_NOT_AVAILABLE.
// Version notes: v4+ states filter and group states in the answer; v5+ types filter and group
//   types (KIP-848: "classic" or "consumer"; a consumer group's states are Empty, Assigning,
//   Reconciling, Stable), matched without regard to case, as Kafka.
//   DESCRIBE on the CLUSTER lists every group; otherwise only the groups the principal may
//   DESCRIBE are listed (no error), as Kafka does.
import { authorized, clusterAuthorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';

const CLASSIC = 'classic';

export const listGroupsHandler: KafkaHandler = {
  apiKey: 16,
  name: 'ListGroups',
  minVersion: 0,
  maxVersion: 5,
  acl: ['CLUSTER:DESCRIBE', 'GROUP:DESCRIBE'],
  async handle(ctx, req: any, version) {
    const res = await ctx.groups.listGroups(version >= 4 ? (req.statesFilter as string[]) : []);
    const types = new Set(version >= 5 ? (req.typesFilter as string[]).map((t) => t.toLowerCase()) : []);
    const typed = res.groups
      .map((g) => ({ ...g, groupType: g.groupType ?? CLASSIC }))
      .filter((g) => types.size === 0 || types.has(g.groupType.toLowerCase()));
    const groups = clusterAuthorized(ctx, Operation.DESCRIBE)
      ? typed
      : typed.filter((g) => authorized(ctx, Operation.DESCRIBE, Resource.GROUP, g.groupId));
    return { throttleTimeMs: 0, errorCode: res.errorCode, groups };
  },
};
