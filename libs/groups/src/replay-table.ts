import { ErrorCode } from '@dms/kafka-errors';
import { isReplayMarker, type ReplayEntry, type ReplayRecord } from './coordinator-log';
import type { GroupShard } from './group-shard';
import { Group, Member } from './classic/group';
import {
  decodeGroupMetadataValue, decodeOffsetCommitValue, decodeRecordKey, decodeRecordValue, RecordTypeId, type RecordType,
} from './records';

type Handler = (shard: GroupShard, key: Record<string, unknown>, record: ReplayRecord, logOffset: bigint, type: RecordType) => void;

/**
 * Replay: from record type to what it does to the shard. Types this build declares but does not
 * serve yet (share groups' partition and target-assignment records) are read and left alone, so their records
 * survive in the log untouched until their state machines replay them.
 */
const HANDLERS = new Map<number, Handler>([
  [RecordTypeId.LegacyOffsetCommit, (s, k, r, o) => replayOffsetCommit(s, k as OffsetKey, r, o)],
  [RecordTypeId.OffsetCommit, (s, k, r, o) => replayOffsetCommit(s, k as OffsetKey, r, o)],
  [RecordTypeId.GroupMetadata, (s, k, r) => replayGroupMetadata(s, (k as { group: string }).group, r)],
  [RecordTypeId.ConsumerGroupMetadata, (s, k, r, _o, t) => s.consumer.groups.replayGroupMetadata(groupOf(k), valueOf(t, r))],
  [RecordTypeId.ConsumerGroupMemberMetadata, (s, k, r, _o, t) => s.consumer.groups.replayMemberMetadata(groupOf(k), memberOf(k), valueOf(t, r))],
  [RecordTypeId.ConsumerGroupTargetAssignmentMetadata, (s, k, r, _o, t) => s.consumer.groups.replayTargetEpoch(groupOf(k), valueOf(t, r))],
  [RecordTypeId.ConsumerGroupTargetAssignmentMember, (s, k, r, _o, t) => s.consumer.groups.replayTargetMember(groupOf(k), memberOf(k), valueOf(t, r))],
  [RecordTypeId.ConsumerGroupCurrentMemberAssignment, (s, k, r, _o, t) => s.consumer.groups.replayCurrentAssignment(groupOf(k), memberOf(k), valueOf(t, r))],
  [RecordTypeId.ShareGroupMetadata, (s, k, r, _o, t) => s.share.replayGroupEpoch(groupOf(k), valueOf(t, r))],
  [RecordTypeId.ShareGroupMemberMetadata, (s, k, r, _o, t) => s.share.replayMember(groupOf(k), memberOf(k), valueOf(t, r))],
  [RecordTypeId.ShareGroupCurrentMemberAssignment, (s, k, r, _o, t) => s.share.replayAssignment(groupOf(k), memberOf(k), valueOf(t, r))],
  [RecordTypeId.ConsumerGroupRegularExpression, (s, k, r, _o, t) => s.consumer.groups.replayRegex(groupOf(k), k.regularExpression as string, valueOf(t, r))],
]);

const groupOf = (k: Record<string, unknown>) => k.groupId as string;
const memberOf = (k: Record<string, unknown>) => k.memberId as string;
const valueOf = (t: RecordType, r: ReplayRecord): any => (r.value ? decodeRecordValue(t, r.value).value : null);

type OffsetKey = { group: string; topic: string; partition: number };

/** Applies one entry of the log (record or transaction marker) to the shard. Throws on unreadable records. */
export function replayEntry(shard: GroupShard, entry: ReplayEntry): void {
  const logOffset = isReplayMarker(entry) ? entry.offset : entry.offset ?? shard.position;
  shard.position = logOffset + 1n;
  if (isReplayMarker(entry)) {
    replayMarker(shard, entry.producerId, entry.marker === 'commit', entry.offset);
    return;
  }
  const decoded = decodeRecordKey(entry.key);
  if (!decoded) return;
  HANDLERS.get(decoded.type.id)?.(shard, decoded.key, entry, logOffset, decoded.type);
}

/**
 * A plain commit sets the offset (a tombstone deletes it, and what open transactions would have
 * committed there); a transactional one waits, per producer, for its transaction's marker.
 */
function replayOffsetCommit(shard: GroupShard, key: OffsetKey, r: ReplayRecord, logOffset: bigint): void {
  const value = r.value ? decodeOffsetCommitValue(r.value) : null;
  if (r.transactional && r.producerId !== undefined && r.producerId >= 0n) {
    if (!value) return;
    const { expireTimestamp: _expire, ...o } = value;
    shard.getOrAddGroup(key.group).pendingTxnOffsets.add(r.producerId, { ...o, topic: key.topic, partition: key.partition, logOffset });
    return;
  }
  if (!value) {
    const g = shard.group(key.group);
    g?.pendingTxnOffsets.remove(key.topic, key.partition);
    g?.deleteOffset(key.topic, key.partition);
    return;
  }
  const { expireTimestamp: _expire, ...o } = value;
  shard.getOrAddGroup(key.group).setOffset(key.topic, key.partition, { ...o, logOffset });
}

/**
 * A classic group's metadata (written by the live coordinator with replay=false, so this runs
 * at load): the group as it was at its last persisted generation. A tombstone removes the group,
 * keeping a bare one while offsets remain.
 */
function replayGroupMetadata(shard: GroupShard, groupId: string, r: ReplayRecord): void {
  if (r.transactional) return;
  const previous = shard.group(groupId);
  if (!r.value) {
    shard.withMetadata.delete(groupId);
    if (!previous) return;
    shard.groups.delete(groupId);
    shard.classic.rebalance.dispose(previous, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (previous.offsets.size > 0 || previous.pendingTxnOffsets.size > 0) carryOffsets(previous, shard.addGroup(groupId));
    return;
  }
  const meta = decodeGroupMetadataValue(r.value);
  const group = new Group(groupId, shard.partition, shard.now(), meta.members.length > 0 ? 'Stable' : 'Empty');
  group.protocolType = meta.protocolType || null;
  group.protocolName = meta.protocol;
  group.generationId = meta.generation;
  group.leaderId = meta.leader;
  if (meta.currentStateTimestamp >= 0n) group.currentStateTimestamp = meta.currentStateTimestamp;
  for (const m of meta.members) {
    const member = new Member(
      m.memberId, m.groupInstanceId, m.clientId, m.clientHost, m.sessionTimeoutMs, m.rebalanceTimeoutMs,
      meta.protocolType, [{ name: meta.protocol ?? '', metadata: m.subscription }],
    );
    member.assignment = m.assignment;
    group.members.set(m.memberId, member);
    if (m.groupInstanceId) group.staticMembers.set(m.groupInstanceId, m.memberId);
  }
  if (previous) {
    shard.classic.rebalance.dispose(previous, ErrorCode.NOT_COORDINATOR);
    carryOffsets(previous, group);
  }
  shard.groups.set(groupId, group);
  shard.withMetadata.add(groupId);
  if (shard.isLoaded) shard.classic.rebalance.startSessions(group);
}

function carryOffsets(from: Group, to: Group): void {
  for (const { topic, partition, ...o } of from.offsets.values()) to.setOffset(topic, partition, o);
  to.pendingTxnOffsets = from.pendingTxnOffsets;
}

/** A COMMIT or ABORT marker ends the producer's pending offsets written before it. */
function replayMarker(shard: GroupShard, producerId: bigint, committed: boolean, offset: bigint): void {
  for (const g of shard.groups.values()) {
    if (g.pendingTxnOffsets.hasProducer(producerId)) g.completeTxn(producerId, committed, offset);
  }
}
