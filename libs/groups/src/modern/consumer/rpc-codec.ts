import type { ConsumerGroupDescribeResponseDescribedGroup as Described } from '@dms/kafka-schema';
import type { groupsV1 } from '@dms/rpc';
import type { ConsumerGroupHeartbeatInput, ConsumerGroupHeartbeatResult } from './types';

/**
 * ConsumerGroupHeartbeat and ConsumerGroupDescribe between the gateway and the coordinator's
 * gRPC face. Kafka's nulls ("unchanged since the last heartbeat") are absent proto fields.
 */

const opt = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);
const nul = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

type ConsumerGroupHeartbeatRequest = groupsV1.ConsumerGroupHeartbeatRequest;
type ConsumerGroupHeartbeatResponse = groupsV1.ConsumerGroupHeartbeatResponse;
type DescribedConsumerGroup = groupsV1.DescribedConsumerGroup;
type DescribedTopicPartitions = groupsV1.DescribedTopicPartitions;

export function heartbeatToRpc(i: ConsumerGroupHeartbeatInput): ConsumerGroupHeartbeatRequest {
  return {
    groupId: i.groupId,
    memberId: i.memberId,
    memberEpoch: i.memberEpoch,
    instanceId: opt(i.instanceId),
    rackId: opt(i.rackId),
    rebalanceTimeoutMs: i.rebalanceTimeoutMs,
    subscribedTopicNames: i.subscribedTopicNames === null ? undefined : { names: i.subscribedTopicNames },
    subscribedTopicRegex: opt(i.subscribedTopicRegex),
    serverAssignor: opt(i.serverAssignor),
    topicPartitions: i.topicPartitions === null ? undefined : { topicPartitions: i.topicPartitions },
    clientId: i.clientId,
    clientHost: i.clientHost,
  };
}

export function heartbeatFromRpc(r: ConsumerGroupHeartbeatRequest): ConsumerGroupHeartbeatInput {
  return {
    groupId: r.groupId,
    memberId: r.memberId,
    memberEpoch: r.memberEpoch,
    instanceId: nul(r.instanceId),
    rackId: nul(r.rackId),
    rebalanceTimeoutMs: r.rebalanceTimeoutMs,
    subscribedTopicNames: r.subscribedTopicNames ? r.subscribedTopicNames.names : null,
    subscribedTopicRegex: nul(r.subscribedTopicRegex),
    serverAssignor: nul(r.serverAssignor),
    topicPartitions: r.topicPartitions ? r.topicPartitions.topicPartitions : null,
    clientId: r.clientId,
    clientHost: r.clientHost,
  };
}

export function heartbeatResultToRpc(r: ConsumerGroupHeartbeatResult): ConsumerGroupHeartbeatResponse {
  return {
    errorCode: r.errorCode,
    errorMessage: opt(r.errorMessage),
    memberId: opt(r.memberId),
    memberEpoch: r.memberEpoch,
    heartbeatIntervalMs: r.heartbeatIntervalMs,
    assignment: r.assignment === null ? undefined : { topicPartitions: r.assignment.topicPartitions },
  };
}

export function heartbeatResultFromRpc(r: ConsumerGroupHeartbeatResponse): ConsumerGroupHeartbeatResult {
  return {
    errorCode: r.errorCode,
    errorMessage: nul(r.errorMessage),
    memberId: nul(r.memberId),
    memberEpoch: r.memberEpoch,
    heartbeatIntervalMs: r.heartbeatIntervalMs,
    assignment: r.assignment ? { topicPartitions: r.assignment.topicPartitions } : null,
  };
}

type KafkaTopicPartitions = Described['members'][number]['assignment']['topicPartitions'];

const partitionsToRpc = (tps: KafkaTopicPartitions): DescribedTopicPartitions[] =>
  tps.map((tp) => ({ topicId: tp.topicId, topicName: tp.topicName, partitions: tp.partitions }));

export function describedToRpc(g: Described): DescribedConsumerGroup {
  return {
    errorCode: g.errorCode,
    errorMessage: opt(g.errorMessage),
    groupId: g.groupId,
    groupState: g.groupState,
    groupEpoch: g.groupEpoch,
    assignmentEpoch: g.assignmentEpoch,
    assignorName: g.assignorName,
    members: g.members.map((m) => ({
      memberId: m.memberId,
      instanceId: opt(m.instanceId),
      rackId: opt(m.rackId),
      memberEpoch: m.memberEpoch,
      clientId: m.clientId,
      clientHost: m.clientHost,
      subscribedTopicNames: m.subscribedTopicNames,
      subscribedTopicRegex: opt(m.subscribedTopicRegex),
      assignment: partitionsToRpc(m.assignment.topicPartitions),
      targetAssignment: partitionsToRpc(m.targetAssignment.topicPartitions),
      classic: m.memberType === CLASSIC_MEMBER_TYPE,
    })),
  };
}

/** Kafka's MemberType of ConsumerGroupDescribe v1 (KIP-1099): 1 for a consumer-protocol member, 0 for a classic one. */
export const CONSUMER_MEMBER_TYPE = 1;
export const CLASSIC_MEMBER_TYPE = 0;

export function describedFromRpc(g: DescribedConsumerGroup): Described {
  return {
    errorCode: g.errorCode,
    errorMessage: nul(g.errorMessage),
    groupId: g.groupId,
    groupState: g.groupState,
    groupEpoch: g.groupEpoch,
    assignmentEpoch: g.assignmentEpoch,
    assignorName: g.assignorName,
    authorizedOperations: -2147483648,
    members: g.members.map((m) => ({
      memberId: m.memberId,
      instanceId: nul(m.instanceId),
      rackId: nul(m.rackId),
      memberEpoch: m.memberEpoch,
      clientId: m.clientId,
      clientHost: m.clientHost,
      subscribedTopicNames: m.subscribedTopicNames,
      subscribedTopicRegex: nul(m.subscribedTopicRegex),
      assignment: { topicPartitions: m.assignment.map((tp) => ({ ...tp })) },
      targetAssignment: { topicPartitions: m.targetAssignment.map((tp) => ({ ...tp })) },
      memberType: m.classic ? CLASSIC_MEMBER_TYPE : CONSUMER_MEMBER_TYPE,
    })),
  };
}
