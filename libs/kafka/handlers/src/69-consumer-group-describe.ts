// ConsumerGroupDescribe (69)
// Behavior: describes KIP-848 consumer groups, each at its coordinator: state, group and
//   assignment epochs, the assignor, and every member's subscription, current and target
//   assignment. A group that is not a consumer group (or does not exist) answers
//   GROUP_ID_NOT_FOUND.
// Version notes: v1 (KIP-1099) each member's MemberType (1: consumer protocol).
//   Needs DESCRIBE on each GROUP (GROUP_AUTHORIZATION_FAILED), and DESCRIBE on every topic the
//   group's members are assigned or subscribed to, else the group answers
//   TOPIC_AUTHORIZATION_FAILED without its members, as Kafka.
// Not implemented: ACL-derived authorized operations (reported unset).
import { ErrorCode } from '@dms/kafka-errors';
import type { ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse, ConsumerGroupDescribeResponseDescribedGroup as Described } from '@dms/kafka-schema';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';

const UNSET_OPERATIONS = -2147483648;

const errorGroup = (groupId: string, errorCode: number, errorMessage: string | null): Described => ({
  errorCode, errorMessage, groupId, groupState: '', groupEpoch: -1, assignmentEpoch: -1, assignorName: '', members: [], authorizedOperations: UNSET_OPERATIONS,
});

function topicsOf(g: Described): Set<string> {
  const out = new Set<string>();
  for (const m of g.members) {
    for (const t of m.subscribedTopicNames) out.add(t);
    for (const tp of [...m.assignment.topicPartitions, ...m.targetAssignment.topicPartitions]) if (tp.topicName) out.add(tp.topicName);
  }
  return out;
}

export const consumerGroupDescribeHandler: KafkaHandler<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse> = {
  apiKey: 69,
  name: 'ConsumerGroupDescribe',
  minVersion: 0,
  maxVersion: 1,
  acl: ['GROUP:DESCRIBE', 'TOPIC:DESCRIBE'],
  async handle(ctx, req, version) {
    const allowed = req.groupIds.filter((g) => authorized(ctx, Operation.DESCRIBE, Resource.GROUP, g));
    const described = new Map((await ctx.groups.consumerGroupDescribe([...new Set(allowed)])).map((g) => [g.groupId, g]));
    const groups = req.groupIds.map((groupId): Described => {
      const g = described.get(groupId);
      if (!g) return errorGroup(groupId, ErrorCode.GROUP_AUTHORIZATION_FAILED, null);
      if (g.errorCode !== ErrorCode.NONE) return { ...g, members: [] };
      const denied = [...topicsOf(g)].some((t) => !authorized(ctx, Operation.DESCRIBE, Resource.TOPIC, t));
      if (denied) {
        return errorGroup(groupId, ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'The group has described topic(s) that the client is not authorized to describe.');
      }
      return {
        ...g,
        authorizedOperations: UNSET_OPERATIONS,
        members: g.members.map((m) => (version >= 1 ? m : { ...m, memberType: undefined })),
      };
    });
    return { throttleTimeMs: 0, groups };
  },
};
