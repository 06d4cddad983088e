import type {
  AbortedTransaction,
  EpochEndOffset,
  FetchPartitionResult,
  FetchResponse,
  ProduceBatchRequest,
  ProducePartition,
  ProduceRequest,
  ReplicaFetchPartitionResult,
  ReplicaFetchResponse,
} from './generated/dms/storage/v1/storage';
import { assertInt64, assertUint64, delimitedSize, ExactWriter, int32Size, varint64Size } from './exact-size';
import { ScratchBuffer } from './scratch-buffer';

/**
 * Exact-size encoders of the gRPC messages that carry record batches (ProduceRequest,
 * FetchResponse, ReplicaFetchResponse). Each sizes the message, allocates once and copies the
 * record bytes once; the output is byte for byte what the generated encoders write (field order,
 * default fields omitted, negative int32 as ten bytes), which record-serializers.spec checks.
 * Nested message and string lengths found by the sizing pass wait in `lens` for the write pass.
 */

let lens: number[] = [];
let next = 0;

function remember(n: number): number {
  lens[next++] = n;
  return n;
}

const field = (len: number) => 1 + delimitedSize(len);
const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

function begin(): void {
  next = 0;
  if (lens.length > 4096) lens = [];
}

/** Where an encoder writes: a fresh buffer, or a caller's reused one (see ScratchBuffer). */
export type OutputBuffer = (size: number) => Buffer;

const fresh: OutputBuffer = (size) => Buffer.allocUnsafe(size);

function alloc(size: number, out: OutputBuffer = fresh): ExactWriter {
  next = 0;
  return new ExactWriter(out(size));
}

function stringSize(s: string): number {
  return s === '' ? 0 : field(remember(utf8(s)));
}

function writeString(w: ExactWriter, tag: number, s: string): void {
  if (s !== '') w.varint32(tag).string(s, lens[next++]!);
}

function int32Field(v: number): number {
  return v === 0 ? 0 : 1 + int32Size(v);
}

function int64Field(v: bigint, name: string): number {
  if (v === 0n) return 0;
  assertInt64(v, name);
  return 1 + varint64Size(v);
}

function writeInt32(w: ExactWriter, tag: number, v: number): void {
  if (v !== 0) w.varint32(tag).int32(v);
}

function writeInt64(w: ExactWriter, tag: number, v: bigint): void {
  if (v !== 0n) w.varint32(tag).varint64(v);
}

function correlationIdSize(v: bigint): number {
  if (v === 0n) return 0;
  assertUint64(v, 'message.correlationId');
  return 1 + varint64Size(v);
}

function bytesField(b: Uint8Array): number {
  return b.length === 0 ? 0 : field(b.length);
}

// ProduceRequest ------------------------------------------------------------------------------

function producePartitionSize(p: ProducePartition): number {
  const at = next++;
  const size = stringSize(p.topic) + int32Field(p.partition) + bytesField(p.records);
  lens[at] = size;
  return size;
}

function traceEntrySize(key: string, value: string): number {
  const at = next++;
  const size = stringSize(key) + stringSize(value);
  lens[at] = size;
  return size;
}

function produceRequestSize(m: ProduceRequest): number {
  const at = next++;
  let size = correlationIdSize(m.correlationId) + int32Field(m.acks) + int32Field(m.timeoutMs);
  for (const p of m.partitions) size += field(producePartitionSize(p));
  for (const k in m.traceContext) size += field(traceEntrySize(k, m.traceContext[k]!));
  lens[at] = size;
  return size;
}

function writeProduceRequest(w: ExactWriter, m: ProduceRequest): void {
  if (m.correlationId !== 0n) w.varint32(8).varint64(m.correlationId);
  writeInt32(w, 16, m.acks);
  writeInt32(w, 24, m.timeoutMs);
  for (const p of m.partitions) {
    w.varint32(34).varint32(lens[next++]!);
    writeString(w, 10, p.topic);
    writeInt32(w, 16, p.partition);
    if (p.records.length !== 0) w.varint32(26).bytes(p.records);
  }
  for (const k in m.traceContext) {
    w.varint32(42).varint32(lens[next++]!);
    writeString(w, 10, k);
    writeString(w, 18, m.traceContext[k]!);
  }
}

export function encodeProduceRequest(m: ProduceRequest): Buffer {
  begin();
  const w = alloc(produceRequestSize(m));
  next = 1; // past the top-level size
  writeProduceRequest(w, m);
  return w.done();
}

/** Many produce requests in one message: each is sized and written as in encodeProduceRequest. */
export function encodeProduceBatchRequest(m: ProduceBatchRequest): Buffer {
  begin();
  let size = 0;
  for (const r of m.requests) size += field(produceRequestSize(r));
  const w = alloc(size);
  for (const r of m.requests) {
    w.varint32(10).varint32(lens[next++]!);
    writeProduceRequest(w, r);
  }
  return w.done();
}

// FetchResponse -------------------------------------------------------------------------------

function abortedSize(t: AbortedTransaction): number {
  return int64Field(t.producerId, 'message.producerId') + int64Field(t.firstOffset, 'message.firstOffset');
}

function fetchPartitionSize(p: FetchPartitionResult): number {
  const at = next++;
  let size =
    stringSize(p.topic) + int32Field(p.partition) + int32Field(p.errorCode) +
    int64Field(p.highWatermark, 'message.highWatermark') + int64Field(p.lastStableOffset, 'message.lastStableOffset') +
    int64Field(p.logStartOffset, 'message.logStartOffset') + bytesField(p.records);
  for (const t of p.abortedTransactions) size += field(abortedSize(t));
  lens[at] = size;
  return size;
}

export function encodeFetchResponse(m: FetchResponse, out: OutputBuffer = fresh): Buffer {
  begin();
  let size = correlationIdSize(m.correlationId);
  for (const p of m.partitions) size += field(fetchPartitionSize(p));
  const w = alloc(size, out);
  if (m.correlationId !== 0n) w.varint32(8).varint64(m.correlationId);
  for (const p of m.partitions) {
    w.varint32(18).varint32(lens[next++]!);
    writeString(w, 10, p.topic);
    writeInt32(w, 16, p.partition);
    writeInt32(w, 24, p.errorCode);
    writeInt64(w, 32, p.highWatermark);
    writeInt64(w, 40, p.lastStableOffset);
    writeInt64(w, 48, p.logStartOffset);
    if (p.records.length !== 0) w.varint32(58).bytes(p.records);
    for (const t of p.abortedTransactions) {
      w.varint32(66).varint32(abortedSize(t));
      writeInt64(w, 8, t.producerId);
      writeInt64(w, 16, t.firstOffset);
    }
  }
  return w.done();
}

// ReplicaFetchResponse ------------------------------------------------------------------------

function epochEndSize(e: EpochEndOffset): number {
  return int32Field(e.epoch) + int64Field(e.endOffset, 'message.endOffset');
}

function replicaPartitionSize(p: ReplicaFetchPartitionResult): number {
  const at = next++;
  let size =
    stringSize(p.topic) + int32Field(p.partition) + int32Field(p.errorCode) +
    int64Field(p.highWatermark, 'message.highWatermark') + int64Field(p.logStartOffset, 'message.logStartOffset') + bytesField(p.records);
  if (p.divergingEpoch !== undefined) size += field(epochEndSize(p.divergingEpoch));
  lens[at] = size;
  return size;
}

export function encodeReplicaFetchResponse(m: ReplicaFetchResponse, out: OutputBuffer = fresh): Buffer {
  begin();
  let size = correlationIdSize(m.correlationId);
  for (const p of m.partitions) size += field(replicaPartitionSize(p));
  const w = alloc(size, out);
  if (m.correlationId !== 0n) w.varint32(8).varint64(m.correlationId);
  for (const p of m.partitions) {
    w.varint32(18).varint32(lens[next++]!);
    writeString(w, 10, p.topic);
    writeInt32(w, 16, p.partition);
    writeInt32(w, 24, p.errorCode);
    writeInt64(w, 32, p.highWatermark);
    writeInt64(w, 40, p.logStartOffset);
    if (p.records.length !== 0) w.varint32(50).bytes(p.records);
    if (p.divergingEpoch !== undefined) {
      w.varint32(58).varint32(epochEndSize(p.divergingEpoch));
      writeInt32(w, 8, p.divergingEpoch.epoch);
      writeInt64(w, 16, p.divergingEpoch.endOffset);
    }
  }
  return w.done();
}


// Server-side serialisers -----------------------------------------------------------------------

/** Answers up to this size are written into the process's scratch buffer; larger ones get their own. */
export const SCRATCH_MAX_BYTES = 16 << 20;

const scratch = new ScratchBuffer(SCRATCH_MAX_BYTES);
const intoScratch: OutputBuffer = (size) => scratch.take(size);

/**
 * encodeFetchResponse into the scratch buffer, for grpc-js's server, which copies a response
 * behind its frame header before it serialises the next (see ScratchBuffer). The result is only
 * valid until the next call of a scratch serialiser.
 */
export function serializeFetchResponse(m: FetchResponse): Buffer {
  return encodeFetchResponse(m, intoScratch);
}

/** encodeReplicaFetchResponse into the scratch buffer, as serializeFetchResponse. */
export function serializeReplicaFetchResponse(m: ReplicaFetchResponse): Buffer {
  return encodeReplicaFetchResponse(m, intoScratch);
}
