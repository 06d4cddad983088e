import { message, V, type FieldDescriptor, type MessageDescriptor, type VersionRange } from '@dms/kafka-schema';

/**
 * The record types of __consumer_offsets, declared from Kafka's documented coordinator record
 * formats (group-coordinator `*Key.json` / `*Value.json`, `"type": "coordinator-key"` /
 * `"coordinator-value"`). On disk a key is the int16 record type followed by the key struct (key
 * schemas have one version, never flexible); a value is its int16 version followed by the value
 * struct; a null value is a tombstone. The generic codec reads and writes them from these tables.
 */

type FieldSpec = Omit<FieldDescriptor, 'versions'> & { versions?: VersionRange };

const f = (name: string, type: FieldDescriptor['type'], extra: Partial<FieldSpec> = {}): FieldDescriptor =>
  ({ name, type, versions: V(0), ...extra }) as FieldDescriptor;
const str = (name: string, extra: Partial<FieldSpec> = {}) => f(name, 'string', extra);
const nullableStr = (name: string, extra: Partial<FieldSpec> = {}) => f(name, 'string', { nullableVersions: V(0), default: null, ...extra });
const int32 = (name: string, extra: Partial<FieldSpec> = {}) => f(name, 'int32', extra);
const int64 = (name: string, extra: Partial<FieldSpec> = {}) => f(name, 'int64', extra);
const structs = (name: string, struct: string, fields: FieldDescriptor[], extra: Partial<FieldSpec> = {}) =>
  f(name, 'struct', { array: true, struct, fields, ...extra });

function key(name: string, fields: FieldDescriptor[]): MessageDescriptor {
  return message({ name, kind: 'data', validVersions: V(0, 0), flexibleVersions: null, fields });
}

function value(name: string, validVersions: VersionRange, flexibleVersions: VersionRange | null, fields: FieldDescriptor[]): MessageDescriptor {
  return message({ name, kind: 'data', validVersions, flexibleVersions, fields });
}

/** A record type: its id (the key's int16 prefix), name, key and value schemas. */
export interface RecordType {
  readonly id: number;
  readonly name: string;
  readonly key: MessageDescriptor;
  readonly value: MessageDescriptor;
  /** The value version this build writes. */
  readonly writeVersion: number;
}

// ---- classic groups and offsets --------------------------------------------------------------

const offsetCommitKey = (name: string) => key(name, [str('group'), str('topic'), int32('partition')]);

const offsetCommitValue = value('OffsetCommitValue', V(0, 4), V(4), [
  int64('offset'),
  int32('leaderEpoch', { versions: V(3), default: -1 }),
  str('metadata'),
  int64('commitTimestamp'),
  int64('expireTimestamp', { versions: V(1, 1), default: -1n }),
]);

const groupMetadataValue = value('GroupMetadataValue', V(0, 4), V(4), [
  str('protocolType'),
  int32('generation'),
  nullableStr('protocol'),
  nullableStr('leader'),
  int64('currentStateTimestamp', { versions: V(2), default: -1n }),
  structs('members', 'MemberMetadata', [
    str('memberId'),
    nullableStr('groupInstanceId', { versions: V(3), nullableVersions: V(3) }),
    str('clientId'),
    str('clientHost'),
    int32('rebalanceTimeout', { versions: V(1), default: -1 }),
    int32('sessionTimeout'),
    f('subscription', 'bytes'),
    f('assignment', 'bytes'),
  ]),
]);

// ---- KIP-848 consumer groups and KIP-932 share groups -----------------------------------------

const groupKey = (name: string) => key(name, [str('groupId')]);
const memberKey = (name: string) => key(name, [str('groupId'), str('memberId')]);
const flexible = (name: string, fields: FieldDescriptor[]) => value(name, V(0, 0), V(0), fields);

const topicPartitions = (name: string, extra: FieldDescriptor[] = []) =>
  structs(name, 'TopicPartitions', [f('topicId', 'uuid'), int32('partitions', { array: true }), ...extra]);

const partitionMetadataTopics = structs('topics', 'TopicMetadata', [
  f('topicId', 'uuid'),
  str('topicName'),
  int32('numPartitions'),
  structs('partitionMetadata', 'PartitionMetadata', [int32('partition'), str('racks', { array: true })]),
]);

const currentAssignmentFields = (extra: FieldDescriptor[]) => [
  int32('memberEpoch'),
  int32('previousMemberEpoch'),
  f('state', 'int8'),
  ...extra,
];

const consumerTopicPartitions = (name: string) => topicPartitions(name, [
  int32('assignmentEpochs', { array: true, nullableVersions: V(0), default: null, tag: 0, taggedVersions: V(0) }),
]);

const table: RecordType[] = [
  { id: 0, name: 'LegacyOffsetCommit', key: offsetCommitKey('LegacyOffsetCommitKey'), value: offsetCommitValue, writeVersion: 3 },
  { id: 1, name: 'OffsetCommit', key: offsetCommitKey('OffsetCommitKey'), value: offsetCommitValue, writeVersion: 3 },
  { id: 2, name: 'GroupMetadata', key: key('GroupMetadataKey', [str('group')]), value: groupMetadataValue, writeVersion: 3 },
  {
    id: 3, name: 'ConsumerGroupMetadata', key: groupKey('ConsumerGroupMetadataKey'), writeVersion: 0,
    value: flexible('ConsumerGroupMetadataValue', [
      int32('epoch'),
      int64('metadataHash', { tag: 0, taggedVersions: V(0) }),
    ]),
  },
  {
    id: 4, name: 'ConsumerGroupPartitionMetadata', key: groupKey('ConsumerGroupPartitionMetadataKey'), writeVersion: 0,
    value: flexible('ConsumerGroupPartitionMetadataValue', [partitionMetadataTopics]),
  },
  {
    id: 5, name: 'ConsumerGroupMemberMetadata', key: memberKey('ConsumerGroupMemberMetadataKey'), writeVersion: 0,
    value: flexible('ConsumerGroupMemberMetadataValue', [
      nullableStr('instanceId'),
      nullableStr('rackId'),
      str('clientId'),
      str('clientHost'),
      str('subscribedTopicNames', { array: true }),
      nullableStr('subscribedTopicRegex'),
      int32('rebalanceTimeoutMs', { default: -1 }),
      nullableStr('serverAssignor'),
      f('classicMemberMetadata', 'struct', {
        struct: 'ClassicMemberMetadata', nullableVersions: V(0), default: null, tag: 0, taggedVersions: V(0),
        fields: [
          int32('sessionTimeoutMs'),
          structs('supportedProtocols', 'ClassicProtocol', [str('name'), f('metadata', 'bytes')]),
        ],
      }),
    ]),
  },
  {
    id: 6, name: 'ConsumerGroupTargetAssignmentMetadata', key: groupKey('ConsumerGroupTargetAssignmentMetadataKey'), writeVersion: 0,
    value: flexible('ConsumerGroupTargetAssignmentMetadataValue', [
      int32('assignmentEpoch'),
      int64('assignmentTimestamp', { tag: 0, taggedVersions: V(0) }),
    ]),
  },
  {
    id: 7, name: 'ConsumerGroupTargetAssignmentMember', key: memberKey('ConsumerGroupTargetAssignmentMemberKey'), writeVersion: 0,
    value: flexible('ConsumerGroupTargetAssignmentMemberValue', [topicPartitions('topicPartitions')]),
  },
  {
    id: 8, name: 'ConsumerGroupCurrentMemberAssignment', key: memberKey('ConsumerGroupCurrentMemberAssignmentKey'), writeVersion: 0,
    value: flexible('ConsumerGroupCurrentMemberAssignmentValue', currentAssignmentFields([
      consumerTopicPartitions('assignedPartitions'),
      consumerTopicPartitions('partitionsPendingRevocation'),
    ])),
  },
  {
    id: 9, name: 'ShareGroupPartitionMetadata', key: groupKey('ShareGroupPartitionMetadataKey'), writeVersion: 0,
    value: flexible('ShareGroupPartitionMetadataValue', [partitionMetadataTopics]),
  },
  {
    id: 10, name: 'ShareGroupMemberMetadata', key: memberKey('ShareGroupMemberMetadataKey'), writeVersion: 0,
    value: flexible('ShareGroupMemberMetadataValue', [
      nullableStr('rackId'),
      str('clientId'),
      str('clientHost'),
      str('subscribedTopicNames', { array: true }),
    ]),
  },
  {
    id: 11, name: 'ShareGroupMetadata', key: groupKey('ShareGroupMetadataKey'), writeVersion: 0,
    value: flexible('ShareGroupMetadataValue', [int32('epoch'), int64('metadataHash')]),
  },
  {
    id: 12, name: 'ShareGroupTargetAssignmentMetadata', key: groupKey('ShareGroupTargetAssignmentMetadataKey'), writeVersion: 0,
    value: flexible('ShareGroupTargetAssignmentMetadataValue', [int32('assignmentEpoch')]),
  },
  {
    id: 13, name: 'ShareGroupTargetAssignmentMember', key: memberKey('ShareGroupTargetAssignmentMemberKey'), writeVersion: 0,
    value: flexible('ShareGroupTargetAssignmentMemberValue', [topicPartitions('topicPartitions')]),
  },
  {
    id: 14, name: 'ShareGroupCurrentMemberAssignment', key: memberKey('ShareGroupCurrentMemberAssignmentKey'), writeVersion: 0,
    value: flexible('ShareGroupCurrentMemberAssignmentValue', currentAssignmentFields([topicPartitions('assignedPartitions')])),
  },
  {
    id: 15, name: 'ShareGroupStatePartitionMetadata', key: groupKey('ShareGroupStatePartitionMetadataKey'), writeVersion: 0,
    value: flexible('ShareGroupStatePartitionMetadataValue', [
      structs('initializingTopics', 'TopicPartitionsInfo', [f('topicId', 'uuid'), str('topicName'), int32('partitions', { array: true }), int64('createTimestamp')]),
      structs('initializedTopics', 'TopicPartitionsInfo', [f('topicId', 'uuid'), str('topicName'), int32('partitions', { array: true }), int64('createTimestamp')]),
      structs('deletingTopics', 'TopicInfo', [f('topicId', 'uuid'), str('topicName')]),
    ]),
  },
  {
    id: 16, name: 'ConsumerGroupRegularExpression', key: key('ConsumerGroupRegularExpressionKey', [str('groupId'), str('regularExpression')]), writeVersion: 0,
    value: flexible('ConsumerGroupRegularExpressionValue', [str('topics', { array: true }), int64('version'), int64('timestamp')]),
  },
];

/** Record type id -> its schemas. Types not listed (streams groups) are skipped by replay. */
export const RECORD_TYPES: ReadonlyMap<number, RecordType> = new Map(table.map((t) => [t.id, t]));

/** Record type ids by name. */
export const RecordTypeId = {
  LegacyOffsetCommit: 0,
  OffsetCommit: 1,
  GroupMetadata: 2,
  ConsumerGroupMetadata: 3,
  ConsumerGroupPartitionMetadata: 4,
  ConsumerGroupMemberMetadata: 5,
  ConsumerGroupTargetAssignmentMetadata: 6,
  ConsumerGroupTargetAssignmentMember: 7,
  ConsumerGroupCurrentMemberAssignment: 8,
  ShareGroupPartitionMetadata: 9,
  ShareGroupMemberMetadata: 10,
  ShareGroupMetadata: 11,
  ShareGroupTargetAssignmentMetadata: 12,
  ShareGroupTargetAssignmentMember: 13,
  ShareGroupCurrentMemberAssignment: 14,
  ShareGroupStatePartitionMetadata: 15,
  ConsumerGroupRegularExpression: 16,
} as const;
