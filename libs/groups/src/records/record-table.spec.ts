import { decodeRecordKey, decodeRecordValue, encodeRecordKey, encodeRecordValue, RecordFormatError } from './record-codec';
import { RECORD_TYPES, RecordTypeId } from './record-table';
import { decodeGroupMetadataValue, decodeOffsetCommitValue } from './classic-records';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const TOPIC_ID = '0123456789abcdef0123456789abcdef'.replace(/(.{8})(.{4})(.{4})(.{4})(.{12})/, '$1-$2-$3-$4-$5');

describe('the __consumer_offsets record table', () => {
  it('declares every group, consumer-group and share-group record type with one-version keys', () => {
    expect([...RECORD_TYPES.keys()]).toEqual([...Array(17).keys()]);
    for (const t of RECORD_TYPES.values()) {
      expect(t.key.validVersions).toMatchObject({ min: 0, max: 0 });
      expect(t.key.flexibleVersions).toBeNull();
      expect(t.writeVersion).toBeLessThanOrEqual(t.value.validVersions.max);
    }
  });

  it('reads key types 3+ (KIP-848 and share groups) by their type id', () => {
    const k = encodeRecordKey(RecordTypeId.ConsumerGroupCurrentMemberAssignment, { groupId: 'g', memberId: 'm' });
    expect(k).toEqual(hex('0008 0001 67 0001 6d'));
    expect(decodeRecordKey(k)).toMatchObject({ type: { id: 8, name: 'ConsumerGroupCurrentMemberAssignment' }, key: { groupId: 'g', memberId: 'm' } });
    const re = encodeRecordKey(RecordTypeId.ConsumerGroupRegularExpression, { groupId: 'g', regularExpression: 'a.*' });
    expect(decodeRecordKey(re)?.key).toEqual({ groupId: 'g', regularExpression: 'a.*' });
    expect(decodeRecordKey(hex('0063 0001 67'))).toBeUndefined();
    expect(() => decodeRecordKey(hex('0005 0001 67'))).toThrow(RecordFormatError);
    expect(() => decodeRecordKey(hex('00'))).toThrow(RecordFormatError);
  });

  it('writes flexible values with their tagged fields and reads them back', () => {
    const t = RECORD_TYPES.get(RecordTypeId.ConsumerGroupCurrentMemberAssignment)!;
    const value = {
      memberEpoch: 5, previousMemberEpoch: 4, state: 1,
      assignedPartitions: [{ topicId: TOPIC_ID, partitions: [0, 2], assignmentEpochs: [5, 5] }],
      partitionsPendingRevocation: [{ topicId: TOPIC_ID, partitions: [1], assignmentEpochs: null }],
    };
    const buf = encodeRecordValue(t.id, value);
    expect(buf.readInt16BE(0)).toBe(0);
    expect(decodeRecordValue(t, buf).value).toEqual(value);

    const member = RECORD_TYPES.get(RecordTypeId.ConsumerGroupMemberMetadata)!;
    const m = {
      instanceId: null, rackId: 'r1', clientId: 'c', clientHost: '/h', subscribedTopicNames: ['a', 'b'], subscribedTopicRegex: null,
      rebalanceTimeoutMs: 300, serverAssignor: 'uniform',
      classicMemberMetadata: { sessionTimeoutMs: 45000, supportedProtocols: [{ name: 'range', metadata: hex('0001') }] },
    };
    expect(decodeRecordValue(member, encodeRecordValue(member.id, m)).value).toEqual(m);
    const noClassic = { ...m, classicMemberMetadata: null };
    expect(decodeRecordValue(member, encodeRecordValue(member.id, noClassic)).value).toEqual(noClassic);

    const meta = RECORD_TYPES.get(RecordTypeId.ConsumerGroupMetadata)!;
    // epoch 7, one tagged field: tag 0, 8 bytes, metadata hash 9
    expect(encodeRecordValue(meta.id, { epoch: 7, metadataHash: 9n })).toEqual(hex('0000 00000007 01 00 08 0000000000000009'));
    expect(encodeRecordValue(meta.id, { epoch: 7, metadataHash: 0n })).toEqual(hex('0000 00000007 00'));
  });

  it('reads the flexible v4 of the classic values', () => {
    const offset = encodeRecordValue(RecordTypeId.OffsetCommit, { offset: 9n, leaderEpoch: 2, metadata: '', commitTimestamp: 1n, expireTimestamp: -1n }, 4);
    expect(offset).toEqual(hex('0004 0000000000000009 00000002 01 0000000000000001 00'));
    expect(decodeOffsetCommitValue(offset)).toEqual({ offset: 9n, leaderEpoch: 2, metadata: '', commitTimestamp: 1n, expireTimestamp: -1n });
    const group = encodeRecordValue(RecordTypeId.GroupMetadata, {
      protocolType: 'consumer', generation: 1, protocol: null, leader: null, currentStateTimestamp: 3n, members: [],
    }, 4);
    expect(decodeGroupMetadataValue(group)).toEqual({ protocolType: 'consumer', generation: 1, protocol: null, leader: null, currentStateTimestamp: 3n, members: [] });
    expect(() => decodeOffsetCommitValue(hex('0005 00'))).toThrow(RecordFormatError);
  });
});
