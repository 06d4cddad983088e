import { RecordInput } from './record-batch';

/** Transaction markers, the records of control batches (key: version, type; value: version, coordinatorEpoch). */
export type ControlRecordType = 'abort' | 'commit';

const CONTROL_TYPES: ControlRecordType[] = ['abort', 'commit'];

/** The record of an end-transaction marker, for buildRecordBatch({ control: true, transactional: true }). */
export function endTxnMarker(type: ControlRecordType, coordinatorEpoch: number): RecordInput {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(CONTROL_TYPES.indexOf(type), 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(coordinatorEpoch, 2);
  return { key, value };
}

/** The marker type of a control record's key, or null when it is not one we know. */
export function controlRecordType(key: Buffer | null): ControlRecordType | null {
  if (key === null || key.length < 4) return null;
  return CONTROL_TYPES[key.readInt16BE(2)] ?? null;
}
