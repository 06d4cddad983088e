import { decodeMessage, encodeMessage } from '@dms/kafka-codec';
import { message, V, type FieldDescriptor } from '@dms/kafka-schema';
import type { RecordState, StateBatch } from '../share-state';

/**
 * The records of __share_group_state, declared from Kafka's share-coordinator formats: type 0
 * ShareSnapshot (the whole state of one share partition) and type 1 ShareUpdate (a change on top
 * of the last snapshot), both keyed by (group, topic id, partition) so compaction keeps the last
 * snapshot and the updates after it. Key = int16 type + version-0 struct; value = int16 version +
 * struct (flexible); a null value deletes the share partition's state.
 */
const f = (name: string, type: FieldDescriptor['type'], extra: Partial<FieldDescriptor> = {}): FieldDescriptor =>
  ({ name, type, versions: V(0), ...extra }) as FieldDescriptor;

const stateBatches = f('stateBatches', 'struct', {
  array: true,
  struct: 'StateBatch',
  fields: [f('firstOffset', 'int64'), f('lastOffset', 'int64'), f('deliveryState', 'int8'), f('deliveryCount', 'int16')],
});

const keyDescriptor = (name: string) => message({
  name, kind: 'data', validVersions: V(0, 0), flexibleVersions: null,
  fields: [f('groupId', 'string'), f('topicId', 'uuid'), f('partition', 'int32')],
});

const snapshotKey = keyDescriptor('ShareSnapshotKey');
const updateKey = keyDescriptor('ShareUpdateKey');

const snapshotValue = message({
  name: 'ShareSnapshotValue', kind: 'data', validVersions: V(0, 0), flexibleVersions: V(0),
  fields: [f('snapshotEpoch', 'int32'), f('stateEpoch', 'int32'), f('leaderEpoch', 'int32'), f('startOffset', 'int64'), stateBatches],
});

const updateValue = message({
  name: 'ShareUpdateValue', kind: 'data', validVersions: V(0, 0), flexibleVersions: V(0),
  fields: [
    f('snapshotEpoch', 'int32'),
    f('leaderEpoch', 'int32'),
    f('startOffset', 'int64'),
    f('deliveryCompleteCount', 'int32', { tag: 0, taggedVersions: V(0), default: -1 }),
    stateBatches,
  ],
});

export const ShareRecordType = { ShareSnapshot: 0, ShareUpdate: 1 } as const;

export interface SharePartitionKey {
  groupId: string;
  topicId: string;
  partition: number;
}

export interface ShareSnapshotValue {
  snapshotEpoch: number;
  stateEpoch: number;
  leaderEpoch: number;
  startOffset: bigint;
  stateBatches: StateBatch[];
}

export interface ShareUpdateValue {
  snapshotEpoch: number;
  leaderEpoch: number;
  /** -1 when unchanged. */
  startOffset: bigint;
  stateBatches: StateBatch[];
}

export type DecodedShareRecord =
  | { type: 0; key: SharePartitionKey; value: ShareSnapshotValue | null }
  | { type: 1; key: SharePartitionKey; value: ShareUpdateValue | null };

/** Kafka's SharePartitionKey.asCoordinatorKey: what places a share partition's state. */
export function shareCoordinatorKey(k: SharePartitionKey): string {
  return `${k.groupId}:${k.topicId}:${k.partition}`;
}

function prefixed(prefix: number, body: Buffer): Buffer {
  const out = Buffer.alloc(2 + body.length);
  out.writeInt16BE(prefix);
  body.copy(out, 2);
  return out;
}

export function encodeShareKey(type: 0 | 1, k: SharePartitionKey): Buffer {
  return prefixed(type, encodeMessage(type === 0 ? snapshotKey : updateKey, 0, k));
}

export function encodeShareSnapshot(v: ShareSnapshotValue): Buffer {
  return prefixed(0, encodeMessage(snapshotValue, 0, v));
}

export function encodeShareUpdate(v: ShareUpdateValue): Buffer {
  return prefixed(0, encodeMessage(updateValue, 0, { ...v, deliveryCompleteCount: -1 }));
}

const toBatches = (list: { firstOffset: bigint; lastOffset: bigint; deliveryState: number; deliveryCount: number }[]): StateBatch[] =>
  list.map((b) => ({ firstOffset: b.firstOffset, lastOffset: b.lastOffset, deliveryState: b.deliveryState as RecordState, deliveryCount: b.deliveryCount }));

/** A record of __share_group_state, or undefined for a type this build does not know. Throws on a malformed one. */
export function decodeShareRecord(key: Buffer, value: Buffer | null): DecodedShareRecord | undefined {
  if (key.length < 2) throw new Error('share state record key truncated');
  const type = key.readInt16BE(0);
  if (type !== 0 && type !== 1) return undefined;
  const k = decodeMessage<SharePartitionKey>(type === 0 ? snapshotKey : updateKey, 0, key, 2);
  if (value === null) return { type, key: k, value: null };
  if (value.length < 2 || value.readInt16BE(0) !== 0) throw new Error(`unsupported share state value version ${value.length >= 2 ? value.readInt16BE(0) : '?'}`);
  if (type === 0) {
    const v = decodeMessage<ShareSnapshotValue>(snapshotValue, 0, value, 2);
    return { type, key: k, value: { ...v, stateBatches: toBatches(v.stateBatches) } };
  }
  const v = decodeMessage<ShareUpdateValue>(updateValue, 0, value, 2);
  return { type, key: k, value: { snapshotEpoch: v.snapshotEpoch, leaderEpoch: v.leaderEpoch, startOffset: v.startOffset, stateBatches: toBatches(v.stateBatches) } };
}
