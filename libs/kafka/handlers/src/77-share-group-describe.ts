// ShareGroupDescribe (77)
// Behavior: each share group described by its coordinator: state (Empty, Stable), group and
//   assignment epochs, assignor ("simple"), members with their subscriptions and assignments.
//   An unknown group, or one of another type, answers GROUP_ID_NOT_FOUND.
// Version notes: v1 is the first stable version. Needs DESCRIBE on each GROUP, else that group
//   answers GROUP_AUTHORIZATION_FAILED.
// Not implemented: authorized operations (reported unset).
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';

const UNSET_OPERATIONS = -2147483648;

export const shareGroupDescribeHandler: KafkaHandler = {
  apiKey: 77,
  name: 'ShareGroupDescribe',
  minVersion: 1,
  maxVersion: 1,
  acl: ['GROUP:DESCRIBE'],
  async handle(ctx, req: any) {
    const asked = req.groupIds as string[];
    const share = ctx.share;
    const allowed = asked.filter((g) => authorized(ctx, Operation.DESCRIBE, Resource.GROUP, g));
    const described = new Map((share ? await share.describe(allowed) : []).map((g) => [g.groupId, g]));
    return {
      throttleTimeMs: 0,
      groups: asked.map((groupId) => {
        const g = described.get(groupId);
        if (!g) {
          const errorCode = share ? ErrorCode.GROUP_AUTHORIZATION_FAILED : ErrorCode.UNSUPPORTED_VERSION;
          return { errorCode, errorMessage: null, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [], authorizedOperations: UNSET_OPERATIONS };
        }
        return {
          ...g,
          members: g.members.map((m) => ({ ...m, assignment: { topicPartitions: m.assignment } })),
          authorizedOperations: UNSET_OPERATIONS,
        };
      }),
    };
  },
};
