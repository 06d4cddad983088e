import { ErrorCode } from '@dms/kafka-errors';
import type { GroupShard } from './group-shard';
import { encodeOffsetCommitKey } from './records';

/**
 * Offset expiry of one shard (Kafka's offsets.retention.minutes): offsets of groups that have
 * been empty that long (or, for groups without a protocol, offsets committed that long ago) are
 * tombstoned, and groups left empty with no offsets are removed.
 */
export class OffsetExpiry {
  constructor(private readonly shard: GroupShard) {}

  async expire(): Promise<void> {
    const now = this.shard.now();
    const retention = BigInt(this.shard.config.offsetsRetentionMs);
    for (const g of [...this.shard.groups.values()]) {
      if (g.state !== 'Empty' || !this.shard.ctx.active()) continue;
      // The offsets of a consumer group (KIP-848) expire only while it has no members.
      if ((this.shard.consumer.groups.get(g.groupId)?.members.size ?? 0) > 0) continue;
      // Offsets of an open transaction decide later whether the group keeps offsets.
      if (g.pendingTxnOffsets.size > 0) continue;
      const expired = [...g.offsets.values()].filter((o) => (g.protocolType ? g.currentStateTimestamp : o.commitTimestamp) + retention <= now);
      if (expired.length === g.offsets.size) {
        if (g.currentStateTimestamp + retention <= now || g.offsets.size > 0) await this.shard.admin.removeGroup(g);
        continue;
      }
      if (expired.length === 0) continue;
      const records = expired.map((o) => ({ key: encodeOffsetCommitKey(g.groupId, o.topic, o.partition), value: null }));
      await this.shard.write(() => ({ records, response: ErrorCode.NONE })).catch(() => undefined);
    }
  }
}
