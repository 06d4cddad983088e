import { ErrorCode } from '@dms/kafka-errors';
import type { CoordinatorRecord } from '@dms/coordinator';
import type { Group } from './classic/group';
import type { GroupShard } from './group-shard';
import { encodeGroupMetadataKey, encodeOffsetCommitKey } from './records';
import { writeErrorCode } from './write-errors';
import type { DescribedGroup, ListGroupsResult } from './types';

/** DescribeGroups, ListGroups and DeleteGroups over one shard's groups. Ownership is checked by the caller. */
export class GroupAdmin {
  constructor(private readonly shard: GroupShard) {}

  describe(groupId: string): DescribedGroup {
    // A KIP-848 consumer group is not a classic group: DescribeGroups finds no such group, as
    // Kafka answers (ConsumerGroupDescribe describes it). Its offsets' entry is no group either.
    if (this.shard.consumer.groups.get(groupId)) return { errorCode: ErrorCode.NONE, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
    const g = this.shard.group(groupId);
    if (!g) return { errorCode: ErrorCode.NONE, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
    const stable = g.state === 'Stable';
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      groupState: g.state,
      protocolType: g.protocolType ?? '',
      protocolData: stable ? g.protocolName ?? '' : '',
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId ?? undefined,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? m.metadataFor(g.protocolName) : Buffer.alloc(0),
        memberAssignment: stable ? m.assignment : Buffer.alloc(0),
      })),
    };
  }

  /** The shard's groups whose state passes the filter (lower-cased state names; empty: all). */
  list(wanted: Set<string>): ListGroupsResult['groups'] {
    const groups: ListGroupsResult['groups'] = [];
    const consumerGroups = this.shard.consumer.groups;
    for (const g of this.shard.groups.values()) {
      // The offsets of a consumer group are kept under its id; the group is listed below.
      if (consumerGroups.get(g.groupId)) continue;
      if (wanted.size > 0 && !wanted.has(g.state.toLowerCase())) continue;
      groups.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state });
    }
    for (const g of consumerGroups.groups.values()) {
      if (wanted.size > 0 && !wanted.has(g.state.toLowerCase())) continue;
      groups.push({ groupId: g.groupId, protocolType: 'consumer', groupState: g.state, groupType: 'consumer' });
    }
    return groups;
  }

  async delete(groupId: string): Promise<number> {
    if (this.shard.consumer.groups.get(groupId)) return this.shard.consumer.deleteGroup(groupId);
    const g = this.shard.group(groupId);
    if (!g || g.state === 'Dead') return ErrorCode.GROUP_ID_NOT_FOUND;
    if (!g.isEmpty() || g.state !== 'Empty') return ErrorCode.NON_EMPTY_GROUP;
    return this.removeGroup(g);
  }

  /**
   * Tombstones for every offset (those of open transactions too, so a reload drops them as this
   * does) and the group itself; replaying them removes the group. The group answers as Dead
   * while they are written, and is Empty again when they could not be.
   */
  async removeGroup(g: Group): Promise<number> {
    const previous = g.state;
    g.markDead();
    try {
      await this.shard.write(() => ({ records: groupTombstones(g), response: undefined }));
      return ErrorCode.NONE;
    } catch (err) {
      if (g.state === 'Dead' && this.shard.group(g.groupId) === g) g.revertDeath(previous);
      return writeErrorCode(err, (e) => this.shard.deps.onError?.(e, 'group delete failed'));
    }
  }
}

export function groupTombstones(g: Group): CoordinatorRecord[] {
  const partitions = new Map([...g.offsets.values(), ...g.pendingTxnOffsets.partitions()].map((o) => [`${o.topic}\0${o.partition}`, o]));
  const records: CoordinatorRecord[] = [...partitions.values()].map((o) => ({ key: encodeOffsetCommitKey(g.groupId, o.topic, o.partition), value: null }));
  records.push({ key: encodeGroupMetadataKey(g.groupId), value: null });
  return records;
}
