import { decodeRecordKey, decodeRecordValue, encodeRecordKey, encodeRecordValue, RecordFormatError } from './record-codec';
import { RECORD_TYPES, RecordTypeId } from './record-table';

/**
 * The classic group records of __consumer_offsets in the shapes the classic coordinator uses:
 *   OffsetCommit (types 0 and 1): key group, topic, partition; value offset, leaderEpoch (v3+),
 *     metadata, commitTimestamp, expireTimestamp (v1 only). Written as key type 1, value v3.
 *   GroupMetadata (type 2): key group; value protocolType, generation, protocol, leader,
 *     currentStateTimestamp (v2+), members. Written as value v3.
 * Both go through the declarative record table.
 */

export interface OffsetCommitKey {
  kind: 'offset';
  group: string;
  topic: string;
  partition: number;
}

export interface GroupMetadataKey {
  kind: 'group';
  group: string;
}

export type CoordinatorKey = OffsetCommitKey | GroupMetadataKey;

export interface OffsetCommitValue {
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: bigint;
  /** Only value v1 carries it; -1 otherwise. */
  expireTimestamp: bigint;
}

export interface StoredMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  subscription: Buffer;
  assignment: Buffer;
}

export interface GroupMetadataValue {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  currentStateTimestamp: bigint;
  members: StoredMember[];
}

interface WireMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeout: number;
  sessionTimeout: number;
  subscription: Buffer;
  assignment: Buffer;
}

export { RecordFormatError };

export function encodeOffsetCommitKey(group: string, topic: string, partition: number): Buffer {
  return encodeRecordKey(RecordTypeId.OffsetCommit, { group, topic, partition });
}

export function encodeGroupMetadataKey(group: string): Buffer {
  return encodeRecordKey(RecordTypeId.GroupMetadata, { group });
}

/** The key of a classic record (offset commit or group metadata); undefined for other types. */
export function decodeKey(buf: Buffer): CoordinatorKey | undefined {
  if (buf.length >= 2 && buf.readInt16BE(0) > RecordTypeId.GroupMetadata) return undefined;
  const decoded = decodeRecordKey<{ group: string; topic: string; partition: number }>(buf);
  if (!decoded) return undefined;
  const { type, key } = decoded;
  if (type.id === RecordTypeId.OffsetCommit || type.id === RecordTypeId.LegacyOffsetCommit) {
    return { kind: 'offset', group: key.group, topic: key.topic, partition: key.partition };
  }
  if (type.id === RecordTypeId.GroupMetadata) return { kind: 'group', group: key.group };
  return undefined;
}

export function encodeOffsetCommitValue(v: Omit<OffsetCommitValue, 'expireTimestamp'>): Buffer {
  return encodeRecordValue(RecordTypeId.OffsetCommit, { ...v, expireTimestamp: -1n });
}

export function decodeOffsetCommitValue(buf: Buffer): OffsetCommitValue {
  const { value } = decodeRecordValue<OffsetCommitValue>(RECORD_TYPES.get(RecordTypeId.OffsetCommit)!, buf);
  return { offset: value.offset, leaderEpoch: value.leaderEpoch, metadata: value.metadata, commitTimestamp: value.commitTimestamp, expireTimestamp: value.expireTimestamp };
}

export function encodeGroupMetadataValue(v: GroupMetadataValue): Buffer {
  return encodeRecordValue(RecordTypeId.GroupMetadata, {
    ...v,
    members: v.members.map((m): WireMember => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeout: m.rebalanceTimeoutMs,
      sessionTimeout: m.sessionTimeoutMs,
      subscription: m.subscription,
      assignment: m.assignment,
    })),
  });
}

export function decodeGroupMetadataValue(buf: Buffer): GroupMetadataValue {
  const { value } = decodeRecordValue<Omit<GroupMetadataValue, 'members'> & { members: WireMember[] }>(RECORD_TYPES.get(RecordTypeId.GroupMetadata)!, buf);
  return {
    protocolType: value.protocolType,
    generation: value.generation,
    protocol: value.protocol,
    leader: value.leader,
    currentStateTimestamp: value.currentStateTimestamp,
    members: value.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      sessionTimeoutMs: m.sessionTimeout,
      rebalanceTimeoutMs: m.rebalanceTimeout < 0 ? m.sessionTimeout : m.rebalanceTimeout,
      // Decoded bytes are views of the record: copy what outlives it.
      subscription: Buffer.from(m.subscription ?? Buffer.alloc(0)),
      assignment: Buffer.from(m.assignment ?? Buffer.alloc(0)),
    })),
  };
}
