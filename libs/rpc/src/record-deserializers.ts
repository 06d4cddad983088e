import type {
  EpochEndOffset,
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
import { EMPTY_BYTES, WireReader } from './wire-reader';

/**
 * Hand-written decoders of the messages on the replicated produce path (ProduceBatch both ways,
 * ReplicaFetch both ways) and of the ones they nest (ProduceRequest, ProduceResponse; the
 * consumer's Fetch messages are in fetch-deserializers.ts). Each returns the object the
 * generated decoder returns: the same fields in the same order, defaults for absent fields, the
 * last value of a repeated scalar or nested message, unknown fields and fields sent with another
 * wire type skipped, `records` as a view of the input. What differs is the cost (no BinaryReader
 * and DataView per message, no BigInt through a DataView for offsets below 2^53, topic names
 * found by their bytes instead of decoded) and malformed input: a field that runs past its
 * nested message, a tag with field number 0, an unmatched end-group tag or a varint longer than
 * ten bytes throw a WireDecodeError naming the message, where the generated decoders read on or
 * stop silently. record-deserializers.spec compares both on every edge (decision 0041).
 */

// One reader for every call: decoding is synchronous and never re-enters. It lets go of the
// input when a message is done (a failed one is held until the next call).
const r = new WireReader(EMPTY_BYTES, '');

function begin(bytes: Uint8Array, what: string): WireReader {
  r.reset(bytes, what);
  return r;
}

// ProduceBatchRequest -------------------------------------------------------------------------

function readProducePartition(): ProducePartition {
  const outer = r.enter();
  let topic = '';
  let partition = 0;
  let records = EMPTY_BYTES;
  while (r.pos < r.limit) {
    const tag = r.tag();
    switch (tag) {
      case 10:
        topic = r.cachedString();
        break;
      case 16:
        partition = r.int32();
        break;
      case 26:
        records = r.bytes();
        break;
      default:
        r.skip(tag);
    }
  }
  r.leave(outer);
  return { topic, partition, records };
}

/** The fields of a ProduceRequest up to r.limit. */
function readProduceRequestFields(): ProduceRequest {
  let correlationId = 0n;
  let acks = 0;
  let timeoutMs = 0;
  const partitions: ProducePartition[] = [];
  const traceContext: { [key: string]: string } = {};
  while (r.pos < r.limit) {
    const tag = r.tag();
    switch (tag) {
      case 8:
        correlationId = r.uint64();
        break;
      case 16:
        acks = r.int32();
        break;
      case 24:
        timeoutMs = r.int32();
        break;
      case 34:
        partitions.push(readProducePartition());
        break;
      case 42:
        r.stringMapEntry(traceContext);
        break;
      default:
        r.skip(tag);
    }
  }
  return { correlationId, acks, timeoutMs, partitions, traceContext };
}

export function decodeProduceRequest(bytes: Uint8Array): ProduceRequest {
  begin(bytes, 'ProduceRequest');
  const m = readProduceRequestFields();
  r.release();
  return m;
}

/** The messages of a batch wrapper (its one field, 1: repeated message), each read by `read`. */
function readBatchOf<T>(read: () => T): T[] {
  const out: T[] = [];
  while (r.pos < r.limit) {
    const tag = r.tag();
    if (tag === 10) {
      const outer = r.enter();
      out.push(read());
      r.leave(outer);
    } else {
      r.skip(tag);
    }
  }
  r.release();
  return out;
}

export function decodeProduceBatchRequest(bytes: Uint8Array): ProduceBatchRequest {
  begin(bytes, 'ProduceBatchRequest');
  return { requests: readBatchOf(readProduceRequestFields) };
}

// ProduceBatchResponse ------------------------------------------------------------------------

function readRecordError(): RecordError {
  const outer = r.enter();
  let batchIndex = 0;
  let message = '';
  while (r.pos < r.limit) {
    const tag = r.tag();
    switch (tag) {
      case 8:
        batchIndex = r.int32();
        break;
      case 18:
        message = r.string();
        break;
      default:
        r.skip(tag);
    }
  }
  r.leave(outer);
  return { batchIndex, message };
}

function readProducePartitionResult(): ProducePartitionResult {
  const outer = r.enter();
  let topic = '';
  let partition = 0;
  let errorCode = 0;
  let errorMessage = '';
  let baseOffset = 0n;
  let logAppendTimeMs = 0n;
  let logStartOffset = 0n;
  const recordErrors: RecordError[] = [];
  let appended = false;
  while (r.pos < r.limit) {
    const tag = r.tag();
    switch (tag) {
      case 10:
        topic = r.cachedString();
        break;
      case 16:
        partition = r.int32();
        break;
      case 24:
        errorCode = r.int32();
        break;
      case 34:
        errorMessage = r.string();
        break;
      case 40:
        baseOffset = r.int64();
        break;
      case 48:
        logAppendTimeMs = r.int64();
        break;
      case 56:
        logStartOffset = r.int64();
        break;
      case 66:
        recordErrors.push(readRecordError());
        break;
      case 72:
        appended = r.bool();
        break;
      default:
        r.skip(tag);
    }
  }
  r.leave(outer);
  return { topic, partition, errorCode, errorMessage, baseOffset, logAppendTimeMs, logStartOffset, recordErrors, appended };
}

function readProduceResponseFields(): ProduceResponse {
  let correlationId = 0n;
  const partitions: ProducePartitionResult[] = [];
  while (r.pos < r.limit) {
    const tag = r.tag();
    switch (tag) {
      case 8:
        correlationId = r.uint64();
        break;
      case 18:
        partitions.push(readProducePartitionResult());
        break;
      default:
        r.skip(tag);
    }
  }
  return { correlationId, partitions };
}

export function decodeProduceResponse(bytes: Uint8Array): ProduceResponse {
  begin(bytes, 'ProduceResponse');
  const m = readProduceResponseFields();
  r.release();
  return m;
}

export function decodeProduceBatchResponse(bytes: Uint8Array): ProduceBatchResponse {
  begin(bytes, 'ProduceBatchResponse');
  return { responses: readBatchOf(readProduceResponseFields) };
}

// ReplicaFetchRequest -------------------------------------------------------------------------

function readReplicaFetchPartition(): ReplicaFetchPartition {
  const outer = r.enter();
  let topic = '';
  let partition = 0;
  let fetchOffset = 0n;
  let lastFetchedEpoch = 0;
  let currentLeaderEpoch = 0;
  let partitionMaxBytes = 0;
  let logStartOffset: bigint | undefined = undefined;
  while (r.pos < r.limit) {
    const tag = r.tag();
    switch (tag) {
      case 10:
        topic = r.cachedString();
        break;
      case 16:
        partition = r.int32();
        break;
      case 24:
        fetchOffset = r.int64();
        break;
      case 32:
        lastFetchedEpoch = r.int32();
        break;
      case 40:
        currentLeaderEpoch = r.int32();
        break;
      case 48:
        partitionMaxBytes = r.int32();
        break;
      case 56:
        logStartOffset = r.int64();
        break;
      default:
        r.skip(tag);
    }
  }
  r.leave(outer);
  return { topic, partition, fetchOffset, lastFetchedEpoch, currentLeaderEpoch, partitionMaxBytes, logStartOffset };
}

export function decodeReplicaFetchRequest(bytes: Uint8Array): ReplicaFetchRequest {
  begin(bytes, 'ReplicaFetchRequest');
  let correlationId = 0n;
  let replicaId = 0;
  let maxWaitMs = 0;
  let maxBytes = 0;
  const partitions: ReplicaFetchPartition[] = [];
  while (r.pos < r.limit) {
    const tag = r.tag();
    switch (tag) {
      case 8:
        correlationId = r.uint64();
        break;
      case 16:
        replicaId = r.int32();
        break;
      case 24:
        maxWaitMs = r.int32();
        break;
      case 32:
        maxBytes = r.int32();
        break;
      case 42:
        partitions.push(readReplicaFetchPartition());
        break;
      default:
        r.skip(tag);
    }
  }
  r.release();
  return { correlationId, replicaId, maxWaitMs, maxBytes, partitions };
}

// ReplicaFetchResponse ------------------------------------------------------------------------

function readEpochEndOffset(): EpochEndOffset {
  const outer = r.enter();
  let epoch = 0;
  let endOffset = 0n;
  while (r.pos < r.limit) {
    const tag = r.tag();
    switch (tag) {
      case 8:
        epoch = r.int32();
        break;
      case 16:
        endOffset = r.int64();
        break;
      default:
        r.skip(tag);
    }
  }
  r.leave(outer);
  return { epoch, endOffset };
}

function readReplicaFetchPartitionResult(): ReplicaFetchPartitionResult {
  const outer = r.enter();
  let topic = '';
  let partition = 0;
  let errorCode = 0;
  let highWatermark = 0n;
  let logStartOffset = 0n;
  let records = EMPTY_BYTES;
  let divergingEpoch: EpochEndOffset | undefined = undefined;
  while (r.pos < r.limit) {
    const tag = r.tag();
    switch (tag) {
      case 10:
        topic = r.cachedString();
        break;
      case 16:
        partition = r.int32();
        break;
      case 24:
        errorCode = r.int32();
        break;
      case 32:
        highWatermark = r.int64();
        break;
      case 40:
        logStartOffset = r.int64();
        break;
      case 50:
        records = r.bytes();
        break;
      case 58:
        divergingEpoch = readEpochEndOffset();
        break;
      default:
        r.skip(tag);
    }
  }
  r.leave(outer);
  return { topic, partition, errorCode, highWatermark, logStartOffset, records, divergingEpoch };
}

export function decodeReplicaFetchResponse(bytes: Uint8Array): ReplicaFetchResponse {
  begin(bytes, 'ReplicaFetchResponse');
  let correlationId = 0n;
  const partitions: ReplicaFetchPartitionResult[] = [];
  while (r.pos < r.limit) {
    const tag = r.tag();
    switch (tag) {
      case 8:
        correlationId = r.uint64();
        break;
      case 18:
        partitions.push(readReplicaFetchPartitionResult());
        break;
      default:
        r.skip(tag);
    }
  }
  r.release();
  return { correlationId, partitions };
}
