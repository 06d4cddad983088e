import type {
  AbortedTransaction,
  EpochEndOffset,
  FetchPartitionResult,
  FetchResponse,
  ProduceBatchRequest,
  ProduceBatchResponse,
  ProducePartition,
  ProducePartitionResult,
  ProduceRequest,
  ProduceResponse,
  RecordError,
  ReplicaFetchPartition,
  ReplicaFetchPartitionResult,
  ReplicaFetchRequest,
  ReplicaFetchResponse,
} from './generated/dms/storage/v1/storage';
import { delimitedSize, ExactWriter, int32Size, int64Size, uint64Size } from './exact-size';
import { ScratchBuffer } from './scratch-buffer';

/**
 * Exact-size encoders of the gRPC messages that carry record batches (ProduceRequest,
 * FetchResponse, ReplicaFetchResponse) and of the small ones sent once per replicated append
 * (ReplicaFetchRequest, ProduceResponse and ProduceBatchResponse), whose generated encoders'
 * growing writer and BigInt conversions cost more than the message. Each sizes the message, allocates once and copies the
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

// The last string measured and its UTF-8 length: a message's partitions mostly share one topic
// name, and consecutive messages often too, so most lookups skip Buffer.byteLength.
let lastString = '';
let lastLength = 0;

function utf8(s: string): number {
  if (s !== lastString) {
    lastLength = Buffer.byteLength(s, 'utf8');
    lastString = s;
  }
  return lastLength;
}

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
  return v === 0n ? 0 : 1 + int64Size(v, name);
}

function writeInt32(w: ExactWriter, tag: number, v: number): void {
  if (v !== 0) w.varint32(tag).int32(v);
}

function writeInt64(w: ExactWriter, tag: number, v: bigint): void {
  if (v !== 0n) w.varint32(tag).varint64(v);
}

function correlationIdSize(v: bigint): number {
  return v === 0n ? 0 : 1 + uint64Size(v, 'message.correlationId');
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
export function encodeProduceBatchRequest(m: ProduceBatchRequest, out: OutputBuffer = fresh): Buffer {
  begin();
  let size = 0;
  for (const r of m.requests) size += field(produceRequestSize(r));
  const w = alloc(size, out);
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

// ReplicaFetchRequest (the follower's fetch, one per answer it applied) ----------------------

function replicaFetchPartitionSize(p: ReplicaFetchPartition): number {
  const at = next++;
  let size =
    stringSize(p.topic) + int32Field(p.partition) + int64Field(p.fetchOffset, 'message.fetchOffset') +
    int32Field(p.lastFetchedEpoch) + int32Field(p.currentLeaderEpoch) + int32Field(p.partitionMaxBytes);
  // optional: present (even when 0) unless undefined
  if (p.logStartOffset !== undefined) size += 1 + int64Size(p.logStartOffset, 'message.logStartOffset');
  lens[at] = size;
  return size;
}

export function encodeReplicaFetchRequest(m: ReplicaFetchRequest, out: OutputBuffer = fresh): Buffer {
  begin();
  let size = correlationIdSize(m.correlationId) + int32Field(m.replicaId) + int32Field(m.maxWaitMs) + int32Field(m.maxBytes);
  for (const p of m.partitions) size += field(replicaFetchPartitionSize(p));
  const w = alloc(size, out);
  if (m.correlationId !== 0n) w.varint32(8).varint64(m.correlationId);
  writeInt32(w, 16, m.replicaId);
  writeInt32(w, 24, m.maxWaitMs);
  writeInt32(w, 32, m.maxBytes);
  for (const p of m.partitions) {
    w.varint32(42).varint32(lens[next++]!);
    writeString(w, 10, p.topic);
    writeInt32(w, 16, p.partition);
    writeInt64(w, 24, p.fetchOffset);
    writeInt32(w, 32, p.lastFetchedEpoch);
    writeInt32(w, 40, p.currentLeaderEpoch);
    writeInt32(w, 48, p.partitionMaxBytes);
    if (p.logStartOffset !== undefined) w.varint32(56).varint64(p.logStartOffset);
  }
  return w.done();
}

// ProduceResponse / ProduceBatchResponse (the leader's answers) -------------------------------

function recordErrorSize(e: RecordError): number {
  const at = next++;
  const size = int32Field(e.batchIndex) + stringSize(e.message);
  lens[at] = size;
  return size;
}

function producePartitionResultSize(p: ProducePartitionResult): number {
  const at = next++;
  let size =
    stringSize(p.topic) + int32Field(p.partition) + int32Field(p.errorCode) + stringSize(p.errorMessage) +
    int64Field(p.baseOffset, 'message.baseOffset') + int64Field(p.logAppendTimeMs, 'message.logAppendTimeMs') +
    int64Field(p.logStartOffset, 'message.logStartOffset') + (p.appended ? 2 : 0);
  for (const e of p.recordErrors) size += field(recordErrorSize(e));
  lens[at] = size;
  return size;
}

function produceResponseSize(m: ProduceResponse): number {
  const at = next++;
  let size = correlationIdSize(m.correlationId);
  for (const p of m.partitions) size += field(producePartitionResultSize(p));
  lens[at] = size;
  return size;
}

function writeProduceResponse(w: ExactWriter, m: ProduceResponse): void {
  if (m.correlationId !== 0n) w.varint32(8).varint64(m.correlationId);
  for (const p of m.partitions) {
    w.varint32(18).varint32(lens[next++]!);
    writeString(w, 10, p.topic);
    writeInt32(w, 16, p.partition);
    writeInt32(w, 24, p.errorCode);
    writeString(w, 34, p.errorMessage);
    writeInt64(w, 40, p.baseOffset);
    writeInt64(w, 48, p.logAppendTimeMs);
    writeInt64(w, 56, p.logStartOffset);
    for (const e of p.recordErrors) {
      w.varint32(66).varint32(lens[next++]!);
      writeInt32(w, 8, e.batchIndex);
      writeString(w, 18, e.message);
    }
    if (p.appended) w.varint32(72).varint32(1);
  }
}

export function encodeProduceResponse(m: ProduceResponse): Buffer {
  begin();
  const w = alloc(produceResponseSize(m));
  next = 1; // past the top-level size
  writeProduceResponse(w, m);
  return w.done();
}

/** Many produce answers in one message, each as in encodeProduceResponse. */
export function encodeProduceBatchResponse(m: ProduceBatchResponse, out: OutputBuffer = fresh): Buffer {
  begin();
  let size = 0;
  for (const r of m.responses) size += field(produceResponseSize(r));
  const w = alloc(size, out);
  for (const r of m.responses) {
    w.varint32(10).varint32(lens[next++]!);
    writeProduceResponse(w, r);
  }
  return w.done();
}
