import type { CoordinatorRecord } from '@dms/coordinator';
import { encodeRecordKey, encodeRecordValue, RecordTypeId } from '../../records';
import { toWire, type Assignment } from '../assignment';
import type { MemberAssignmentState, MemberMetadata } from './member';

/** The records of a KIP-848 consumer group, in Kafka's layouts (record types 3, 5, 6, 7, 8). */

const record = (type: number, key: object, value: object | null): CoordinatorRecord => ({
  key: encodeRecordKey(type, key),
  value: value === null ? null : encodeRecordValue(type, value),
});

export const groupEpochRecord = (groupId: string, epoch: number, metadataHash: bigint) =>
  record(RecordTypeId.ConsumerGroupMetadata, { groupId }, { epoch, metadataHash });

export const groupTombstone = (groupId: string) => record(RecordTypeId.ConsumerGroupMetadata, { groupId }, null);

export const memberMetadataRecord = (groupId: string, memberId: string, m: MemberMetadata) =>
  record(RecordTypeId.ConsumerGroupMemberMetadata, { groupId, memberId }, {
    instanceId: m.instanceId, rackId: m.rackId, clientId: m.clientId, clientHost: m.clientHost,
    subscribedTopicNames: m.subscribedTopicNames, subscribedTopicRegex: m.subscribedTopicRegex,
    rebalanceTimeoutMs: m.rebalanceTimeoutMs, serverAssignor: m.serverAssignor, classicMemberMetadata: m.classicMemberMetadata,
  });

export const memberMetadataTombstone = (groupId: string, memberId: string) =>
  record(RecordTypeId.ConsumerGroupMemberMetadata, { groupId, memberId }, null);

export const targetMemberRecord = (groupId: string, memberId: string, a: Assignment) =>
  record(RecordTypeId.ConsumerGroupTargetAssignmentMember, { groupId, memberId }, { topicPartitions: toWire(a) });

export const targetMemberTombstone = (groupId: string, memberId: string) =>
  record(RecordTypeId.ConsumerGroupTargetAssignmentMember, { groupId, memberId }, null);

export const targetEpochRecord = (groupId: string, assignmentEpoch: number, timestamp: bigint) =>
  record(RecordTypeId.ConsumerGroupTargetAssignmentMetadata, { groupId }, { assignmentEpoch, assignmentTimestamp: timestamp });

export const targetEpochTombstone = (groupId: string) => record(RecordTypeId.ConsumerGroupTargetAssignmentMetadata, { groupId }, null);

export const currentAssignmentRecord = (groupId: string, memberId: string, s: MemberAssignmentState) =>
  record(RecordTypeId.ConsumerGroupCurrentMemberAssignment, { groupId, memberId }, {
    memberEpoch: s.memberEpoch, previousMemberEpoch: s.previousMemberEpoch, state: s.state,
    assignedPartitions: toWire(s.assigned).map((tp) => ({ ...tp, assignmentEpochs: null })),
    partitionsPendingRevocation: toWire(s.pendingRevocation).map((tp) => ({ ...tp, assignmentEpochs: null })),
  });

export const currentAssignmentTombstone = (groupId: string, memberId: string) =>
  record(RecordTypeId.ConsumerGroupCurrentMemberAssignment, { groupId, memberId }, null);

export const regexRecord = (groupId: string, regularExpression: string, topics: string[], version: bigint, timestamp: bigint) =>
  record(RecordTypeId.ConsumerGroupRegularExpression, { groupId, regularExpression }, { topics, version, timestamp });

export const regexTombstone = (groupId: string, regularExpression: string) =>
  record(RecordTypeId.ConsumerGroupRegularExpression, { groupId, regularExpression }, null);
