/**
 * The records Kafka writes to __transaction_state (transaction-coordinator's TransactionLogKey
 * and TransactionLogValue schemas), each starting with its int16 version:
 *   key v0:   transactional_id string
 *   value v0: producer_id int64, producer_epoch int16, transaction_timeout_ms int32,
 *             transaction_status int8, transaction_partitions nullable [topic string,
 *             partition_ids [int32]], transaction_last_update_timestamp_ms int64,
 *             transaction_start_timestamp_ms int64
 *   value v1: the same fields, flexible (compact strings and arrays, tagged fields):
 *             tag 0 previous_producer_id int64, tag 1 next_producer_id int64,
 *             tag 2 client_transaction_version int16
 * A null value is a tombstone (an expired transactional id).
 */
import { Reader } from '@dms/kafka-codec';

/** Kafka's TransactionState ids as stored in transaction_status. */
export enum TxnState {
  Empty = 0,
  Ongoing = 1,
  PrepareCommit = 2,
  PrepareAbort = 3,
  CompleteCommit = 4,
  CompleteAbort = 5,
  Dead = 6,
  PrepareEpochFence = 7,
}

/** The state names DescribeTransactions and ListTransactions use (Kafka's TransactionState.stateName). */
export const TXN_STATE_NAMES: Readonly<Record<TxnState, string>> = {
  [TxnState.Empty]: 'Empty',
  [TxnState.Ongoing]: 'Ongoing',
  [TxnState.PrepareCommit]: 'PrepareCommit',
  [TxnState.PrepareAbort]: 'PrepareAbort',
  [TxnState.CompleteCommit]: 'CompleteCommit',
  [TxnState.CompleteAbort]: 'CompleteAbort',
  [TxnState.Dead]: 'Dead',
  [TxnState.PrepareEpochFence]: 'PrepareEpochFence',
};

export interface TxnTopicPartitions {
  topic: string;
  partitionIds: number[];
}

export interface TransactionLogValue {
  producerId: bigint;
  /** v1 tagged field; -1 otherwise. */
  previousProducerId: bigint;
  /** v1 tagged field; -1 otherwise. */
  nextProducerId: bigint;
  producerEpoch: number;
  transactionTimeoutMs: number;
  state: TxnState;
  /** Null is written (as Kafka does) when the transaction holds no partitions. */
  partitions: TxnTopicPartitions[];
  lastUpdateTimestampMs: number;
  startTimestampMs: number;
  /** v1 tagged field; 0 otherwise. */
  clientTransactionVersion: number;
}

export class TransactionRecordError extends Error {
  override readonly name = 'TransactionRecordError';
}

/** A growing byte sink (records are small and written rarely). */
class Out {
  private readonly parts: Buffer[] = [];
  private fixed(size: number, write: (b: Buffer) => void): this {
    const b = Buffer.alloc(size);
    write(b);
    this.parts.push(b);
    return this;
  }
  int8 = (v: number) => this.fixed(1, (b) => b.writeInt8(v));
  int16 = (v: number) => this.fixed(2, (b) => b.writeInt16BE(v));
  int32 = (v: number) => this.fixed(4, (b) => b.writeInt32BE(v));
  int64 = (v: bigint) => this.fixed(8, (b) => b.writeBigInt64BE(v));
  uvarint(v: number): this {
    const bytes: number[] = [];
    while (v >= 0x80) {
      bytes.push((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    bytes.push(v);
    this.parts.push(Buffer.from(bytes));
    return this;
  }
  string(v: string, compact: boolean): this {
    const s = Buffer.from(v, 'utf8');
    if (compact) this.uvarint(s.length + 1);
    else this.int16(s.length);
    this.parts.push(s);
    return this;
  }
  /** Array length; null as -1 (or 0 when compact). */
  arrayLength(n: number | null, compact: boolean): this {
    return compact ? this.uvarint(n === null ? 0 : n + 1) : this.int32(n === null ? -1 : n);
  }
  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export function encodeTransactionLogKey(transactionalId: string): Buffer {
  return new Out().int16(0).string(transactionalId, false).done();
}

/** The transactional id of a key; undefined for a key version this topic does not hold. */
export function decodeTransactionLogKey(key: Buffer): string | undefined {
  try {
    const r = new Reader(key);
    if (r.int16() !== 0) return undefined;
    return r.string() ?? undefined;
  } catch (e) {
    throw new TransactionRecordError(`malformed TransactionLogKey: ${(e as Error).message}`);
  }
}

export function encodeTransactionLogValue(v: TransactionLogValue, version: 0 | 1 = 0): Buffer {
  const compact = version >= 1;
  const out = new Out().int16(version).int64(v.producerId).int16(v.producerEpoch).int32(v.transactionTimeoutMs).int8(v.state);
  out.arrayLength(v.partitions.length === 0 ? null : v.partitions.length, compact);
  for (const tp of v.partitions) {
    out.string(tp.topic, compact).arrayLength(tp.partitionIds.length, compact);
    for (const p of tp.partitionIds) out.int32(p);
    if (compact) out.uvarint(0);
  }
  out.int64(BigInt(v.lastUpdateTimestampMs)).int64(BigInt(v.startTimestampMs));
  if (compact) {
    const tags: [number, Buffer][] = [];
    const int64 = (n: bigint) => new Out().int64(n).done();
    if (v.previousProducerId !== -1n) tags.push([0, int64(v.previousProducerId)]);
    if (v.nextProducerId !== -1n) tags.push([1, int64(v.nextProducerId)]);
    if (v.clientTransactionVersion !== 0) tags.push([2, new Out().int16(v.clientTransactionVersion).done()]);
    out.uvarint(tags.length);
    for (const [tag, data] of tags) out.uvarint(tag).uvarint(data.length).raw(data);
  }
  return out.done();
}

export function decodeTransactionLogValue(value: Buffer): TransactionLogValue {
  try {
    const r = new Reader(value);
    const version = r.int16();
    if (version < 0 || version > 1) throw new TransactionRecordError(`unknown TransactionLogValue version ${version}`);
    const compact = version >= 1;
    const producerId = r.int64();
    const producerEpoch = r.int16();
    const transactionTimeoutMs = r.int32();
    const state = r.int8();
    if (!(state in TxnState)) throw new TransactionRecordError(`unknown transaction status ${state}`);
    const partitions: TxnTopicPartitions[] = [];
    const n = r.arrayLength(compact);
    for (let i = 0; i < n; i++) {
      const topic = (compact ? r.compactString() : r.string()) ?? '';
      const m = r.arrayLength(compact);
      const partitionIds: number[] = [];
      for (let j = 0; j < m; j++) partitionIds.push(r.int32());
      if (compact) r.skipTaggedFields();
      partitions.push({ topic, partitionIds });
    }
    const lastUpdateTimestampMs = Number(r.int64());
    const startTimestampMs = Number(r.int64());
    const v: TransactionLogValue = {
      producerId, previousProducerId: -1n, nextProducerId: -1n, producerEpoch, transactionTimeoutMs, state, partitions,
      lastUpdateTimestampMs, startTimestampMs, clientTransactionVersion: 0,
    };
    if (compact) {
      const count = r.uvarint();
      for (let i = 0; i < count; i++) {
        const tag = r.uvarint();
        const size = r.uvarint();
        const at = r.take(size);
        const field = new Reader(r.buf, at, at + size);
        if (tag === 0) v.previousProducerId = field.int64();
        else if (tag === 1) v.nextProducerId = field.int64();
        else if (tag === 2) v.clientTransactionVersion = field.int16();
      }
    }
    return v;
  } catch (e) {
    if (e instanceof TransactionRecordError) throw e;
    throw new TransactionRecordError(`malformed TransactionLogValue: ${(e as Error).message}`);
  }
}
