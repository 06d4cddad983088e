import type { CoordinatorRecord } from '@dms/coordinator';
import { encodeRecordKey, encodeRecordValue, RecordTypeId } from '../../records';
import type { ShareGroup, ShareMember } from './share-group';

/**
 * The records of a share group in __consumer_offsets (Kafka's share-group record types): the
 * group's epoch (ShareGroupMetadata), each member's subscription (ShareGroupMemberMetadata) and
 * each member's epoch and assignment (ShareGroupCurrentMemberAssignment). Written after the
 * in-memory change, as classic groups' GroupMetadata is, for the next coordinator to load.
 */
const rec = (type: number, key: object, value: object | null): CoordinatorRecord => ({
  key: encodeRecordKey(type, key),
  value: value === null ? null : encodeRecordValue(type, value),
});

export function groupEpochRecord(g: ShareGroup): CoordinatorRecord {
  return rec(RecordTypeId.ShareGroupMetadata, { groupId: g.groupId }, { epoch: g.groupEpoch, metadataHash: 0n });
}

export function memberRecord(g: ShareGroup, m: ShareMember): CoordinatorRecord {
  return rec(RecordTypeId.ShareGroupMemberMetadata, { groupId: g.groupId, memberId: m.memberId }, {
    rackId: m.rackId, clientId: m.clientId, clientHost: m.clientHost, subscribedTopicNames: m.subscribedTopicNames,
  });
}

export function memberAssignmentRecord(g: ShareGroup, m: ShareMember, previousEpoch: number): CoordinatorRecord {
  return rec(RecordTypeId.ShareGroupCurrentMemberAssignment, { groupId: g.groupId, memberId: m.memberId }, {
    memberEpoch: m.memberEpoch, previousMemberEpoch: previousEpoch, state: 0,
    assignedPartitions: [...m.assignment].map(([topicId, partitions]) => ({ topicId, partitions })),
  });
}

export function memberTombstones(groupId: string, memberId: string): CoordinatorRecord[] {
  return [
    rec(RecordTypeId.ShareGroupCurrentMemberAssignment, { groupId, memberId }, null),
    rec(RecordTypeId.ShareGroupMemberMetadata, { groupId, memberId }, null),
  ];
}

export function groupTombstones(g: ShareGroup): CoordinatorRecord[] {
  return [...[...g.members.keys()].flatMap((id) => memberTombstones(g.groupId, id)), rec(RecordTypeId.ShareGroupMetadata, { groupId: g.groupId }, null)];
}
