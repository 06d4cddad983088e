import type { CoordinatorRecord, CoordinatorShard, OperationResult, ReplayedRecord, ShardContext } from '@dms/coordinator';
import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { applyStateChange } from '../share-partition';
import type { SharePartitionSnapshot, StateBatch } from '../share-state';
import {
  decodeShareRecord,
  encodeShareKey,
  encodeShareSnapshot,
  encodeShareUpdate,
  shareCoordinatorKey,
  ShareRecordType,
  type SharePartitionKey,
} from './share-state-records';

export interface StoredShareState {
  key: SharePartitionKey;
  snapshot: SharePartitionSnapshot;
  stateEpoch: number;
  leaderEpoch: number;
  snapshotEpoch: number;
  /** ShareUpdate records since the last ShareSnapshot. */
  updates: number;
}

export interface WriteShareStateInput {
  key: SharePartitionKey;
  leaderEpoch: number;
  stateEpoch: number;
  /** -1 when unchanged. */
  startOffset: bigint;
  stateBatches: StateBatch[];
}

/**
 * The share-partition states of one __share_group_state partition (a coordinator shard, Kafka's
 * ShareCoordinatorShard): built only by replaying ShareSnapshot and ShareUpdate records. A write
 * is fenced by the share partition's leader epoch and state epoch, appended as a ShareUpdate (a
 * full ShareSnapshot every `updatesPerSnapshot` updates, so compaction can drop what came before)
 * and answered once durable.
 */
export class ShareStateShard implements CoordinatorShard {
  readonly states = new Map<string, StoredShareState>();

  constructor(readonly ctx: ShardContext, private readonly opts: { updatesPerSnapshot: number; onError?: (err: unknown, what: string) => void }) {}

  replay(record: CoordinatorRecord | ReplayedRecord): void {
    let r;
    try {
      r = decodeShareRecord(record.key, record.value);
    } catch (err) {
      this.opts.onError?.(err, `skipping an unreadable record of __share_group_state partition ${this.ctx.partition}`);
      return;
    }
    if (!r) return;
    const id = shareCoordinatorKey(r.key);
    if (r.value === null) {
      if (r.type === ShareRecordType.ShareSnapshot) this.states.delete(id);
      return;
    }
    if (r.type === ShareRecordType.ShareSnapshot) {
      const v = r.value;
      this.states.set(id, {
        key: r.key,
        snapshot: { startOffset: v.startOffset, stateBatches: v.stateBatches },
        stateEpoch: v.stateEpoch,
        leaderEpoch: v.leaderEpoch,
        snapshotEpoch: v.snapshotEpoch,
        updates: 0,
      });
      return;
    }
    const s = this.states.get(id);
    if (!s) return; // An update without its snapshot (deleted since): nothing to apply it to.
    const v = r.value;
    s.snapshot = applyStateChange(s.snapshot, { startOffset: v.startOffset, stateBatches: v.stateBatches });
    s.leaderEpoch = Math.max(s.leaderEpoch, v.leaderEpoch);
    s.updates += 1;
  }

  get(key: SharePartitionKey): StoredShareState | undefined {
    return this.states.get(shareCoordinatorKey(key));
  }

  /** All stored states of a group (DescribeShareGroupOffsets, deletes). */
  ofGroup(groupId: string): StoredShareState[] {
    return [...this.states.values()].filter((s) => s.key.groupId === groupId);
  }

  /** InitializeShareGroupState: a fresh snapshot at `startOffset` with `stateEpoch`. */
  initialize(key: SharePartitionKey, stateEpoch: number, startOffset: bigint): OperationResult<number> {
    const s = this.get(key);
    if (s && s.stateEpoch > stateEpoch) throw new KafkaError(ErrorCode.FENCED_STATE_EPOCH, `State epoch ${stateEpoch} is older than ${s.stateEpoch}.`);
    const value = encodeShareSnapshot({ snapshotEpoch: (s?.snapshotEpoch ?? -1) + 1, stateEpoch, leaderEpoch: -1, startOffset, stateBatches: [] });
    return { records: [{ key: encodeShareKey(0, key), value }], response: ErrorCode.NONE };
  }

  /** WriteShareGroupState: fenced by leader and state epochs. */
  write(input: WriteShareStateInput): OperationResult<number> {
    const s = this.get(input.key);
    if (s && input.leaderEpoch < s.leaderEpoch) {
      throw new KafkaError(ErrorCode.FENCED_LEADER_EPOCH, `Leader epoch ${input.leaderEpoch} of ${shareCoordinatorKey(input.key)} is older than ${s.leaderEpoch}.`);
    }
    if (s && input.stateEpoch < s.stateEpoch) {
      throw new KafkaError(ErrorCode.FENCED_STATE_EPOCH, `State epoch ${input.stateEpoch} of ${shareCoordinatorKey(input.key)} is older than ${s.stateEpoch}.`);
    }
    if (!s || s.updates + 1 >= this.opts.updatesPerSnapshot) {
      const merged = s ? applyStateChange(s.snapshot, input) : { startOffset: input.startOffset < 0n ? 0n : input.startOffset, stateBatches: input.stateBatches };
      const value = encodeShareSnapshot({
        snapshotEpoch: (s?.snapshotEpoch ?? -1) + 1,
        stateEpoch: Math.max(s?.stateEpoch ?? 0, input.stateEpoch),
        leaderEpoch: input.leaderEpoch,
        startOffset: merged.startOffset,
        stateBatches: merged.stateBatches,
      });
      return { records: [{ key: encodeShareKey(0, input.key), value }], response: ErrorCode.NONE };
    }
    const value = encodeShareUpdate({ snapshotEpoch: s.snapshotEpoch, leaderEpoch: input.leaderEpoch, startOffset: input.startOffset, stateBatches: input.stateBatches });
    return { records: [{ key: encodeShareKey(1, input.key), value }], response: ErrorCode.NONE };
  }

  /** DeleteShareGroupState: tombstones for the snapshot and the updates. */
  delete(key: SharePartitionKey): OperationResult<number> {
    if (!this.get(key)) return { records: [], response: ErrorCode.NONE };
    return { records: [{ key: encodeShareKey(0, key), value: null }, { key: encodeShareKey(1, key), value: null }], response: ErrorCode.NONE };
  }
}
