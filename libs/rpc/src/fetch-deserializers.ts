import type { AbortedTransaction, FetchPartition, FetchPartitionResult, FetchRequest, FetchResponse } from './generated/dms/storage/v1/storage';
import { EMPTY_BYTES, WireReader } from './wire-reader';

/**
 * Hand-written decoders of the consumer's Fetch messages (the gateway's request, decoded by the
 * broker once per fetch; the broker's answer, decoded by the gateway), as record-deserializers.ts
 * does for the replicated produce path: the generated decoders' objects, `records` as views of
 * the input, WireDecodeError on malformed input (decision 0041).
 */

const r = new WireReader(EMPTY_BYTES, '');

// FetchRequest -------------------------------------------------------------------------------

function readFetchPartition(): FetchPartition {
  const outer = r.enter();
  let topic = '';
  let partition = 0;
  let fetchOffset = 0n;
  let partitionMaxBytes = 0;
  let currentLeaderEpoch = 0;
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
        partitionMaxBytes = r.int32();
        break;
      case 40:
        currentLeaderEpoch = r.int32();
        break;
      default:
        r.skip(tag);
    }
  }
  r.leave(outer);
  return { topic, partition, fetchOffset, partitionMaxBytes, currentLeaderEpoch };
}

export function decodeFetchRequest(bytes: Uint8Array): FetchRequest {
  r.reset(bytes, 'FetchRequest');
  let correlationId = 0n;
  let maxWaitMs = 0;
  let minBytes = 0;
  let maxBytes = 0;
  let isolationLevel = 0;
  const partitions: FetchPartition[] = [];
  const traceContext: { [key: string]: string } = {};
  let wakeCorrelationId = 0n;
  while (r.pos < r.limit) {
    const tag = r.tag();
    switch (tag) {
      case 8:
        correlationId = r.uint64();
        break;
      case 16:
        maxWaitMs = r.int32();
        break;
      case 24:
        minBytes = r.int32();
        break;
      case 32:
        maxBytes = r.int32();
        break;
      case 40:
        isolationLevel = r.int32();
        break;
      case 50:
        partitions.push(readFetchPartition());
        break;
      case 58:
        r.stringMapEntry(traceContext);
        break;
      case 64:
        wakeCorrelationId = r.uint64();
        break;
      default:
        r.skip(tag);
    }
  }
  r.release();
  return { correlationId, maxWaitMs, minBytes, maxBytes, isolationLevel, partitions, traceContext, wakeCorrelationId };
}

// FetchResponse -----------------------------------------------------------------------------

function readAbortedTransaction(): AbortedTransaction {
  const outer = r.enter();
  let producerId = 0n;
  let firstOffset = 0n;
  while (r.pos < r.limit) {
    const tag = r.tag();
    switch (tag) {
      case 8:
        producerId = r.int64();
        break;
      case 16:
        firstOffset = r.int64();
        break;
      default:
        r.skip(tag);
    }
  }
  r.leave(outer);
  return { producerId, firstOffset };
}

function readFetchPartitionResult(): FetchPartitionResult {
  const outer = r.enter();
  let topic = '';
  let partition = 0;
  let errorCode = 0;
  let highWatermark = 0n;
  let lastStableOffset = 0n;
  let logStartOffset = 0n;
  let records = EMPTY_BYTES;
  const abortedTransactions: AbortedTransaction[] = [];
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
        lastStableOffset = r.int64();
        break;
      case 48:
        logStartOffset = r.int64();
        break;
      case 58:
        records = r.bytes();
        break;
      case 66:
        abortedTransactions.push(readAbortedTransaction());
        break;
      default:
        r.skip(tag);
    }
  }
  r.leave(outer);
  return { topic, partition, errorCode, highWatermark, lastStableOffset, logStartOffset, records, abortedTransactions };
}

export function decodeFetchResponse(bytes: Uint8Array): FetchResponse {
  r.reset(bytes, 'FetchResponse');
  let correlationId = 0n;
  const partitions: FetchPartitionResult[] = [];
  while (r.pos < r.limit) {
    const tag = r.tag();
    switch (tag) {
      case 8:
        correlationId = r.uint64();
        break;
      case 18:
        partitions.push(readFetchPartitionResult());
        break;
      default:
        r.skip(tag);
    }
  }
  r.release();
  return { correlationId, partitions };
}
