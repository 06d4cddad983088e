import type { Server } from '@grpc/grpc-js';
import { FetchRequest, type FetchResponse, type ProduceBatchRequest, type ProduceBatchResponse, type ReplicaFetchRequest, type ReplicaFetchResponse } from './generated/dms/storage/v1/storage';
import { frameCopy, framedOutput, frameOf, type GatherBuffer } from './grpc-framing';
import { LeanSession, type LeanMethod, type MessageStream } from './lean-stream-client';
import { serveLeanRoutes, type ServerMessageStream } from './lean-stream-server';
import { encodeProduceBatchRequest, encodeProduceBatchResponse, encodeReplicaFetchRequest, encodeReplicaFetchResponse } from './record-serializers';
import { StorageServiceService } from './storage-service-def';

/**
 * The hot StorageService streams (decision 0033): gateway → broker ProduceBatch, follower →
 * leader ReplicaFetch and gateway → broker Fetch (decision 0042), framed by us on Node's http2 with the exact-size encoders
 * writing straight behind the frame header (one allocation, one copy of the records per message).
 */
export type InternalStreamTransport = 'grpc' | 'framed';

export const INTERNAL_STREAM_TRANSPORTS: readonly InternalStreamTransport[] = ['grpc', 'framed'];

/** internal.stream.transport's default (decision 0033, revisited; the gateway's Fetch follows it since 0042). */
export const DEFAULT_INTERNAL_STREAM_TRANSPORT: InternalStreamTransport = 'framed';

const def = StorageServiceService;

export const PRODUCE_BATCH_METHOD: LeanMethod<ProduceBatchRequest, ProduceBatchResponse> = {
  path: def.produceBatch.path,
  encode: (m) => frameOf(encodeProduceBatchRequest(m, framedOutput)),
  decode: def.produceBatch.responseDeserialize,
};

export const REPLICA_FETCH_METHOD: LeanMethod<ReplicaFetchRequest, ReplicaFetchResponse> = {
  path: def.replicaFetch.path,
  encode: (m) => frameOf(encodeReplicaFetchRequest(m, framedOutput)),
  decode: def.replicaFetch.responseDeserialize,
};

/**
 * Consumer Fetch from the gateway (decision 0042): requests are small (the generated encoder,
 * framed by a copy); an answer spread over several http2 chunks is gathered into `gather`'s
 * buffer, and its partitions' records are views of it (the generated decoder reads `bytes` as
 * views). Either server transport answers it (internal.fetch.transport).
 */
export function fetchMethod(gather?: GatherBuffer): LeanMethod<FetchRequest, FetchResponse> {
  return {
    path: def.fetch.path,
    encode: (m) => frameCopy(FetchRequest.encode(m).finish()),
    decode: def.fetch.responseDeserialize,
    gather,
  };
}

export function openFetch(session: LeanSession, method: LeanMethod<FetchRequest, FetchResponse> = fetchMethod()): MessageStream<FetchRequest, FetchResponse> {
  return session.open(method);
}

export function openProduceBatch(session: LeanSession): MessageStream<ProduceBatchRequest, ProduceBatchResponse> {
  return session.open(PRODUCE_BATCH_METHOD);
}

export function openReplicaFetch(session: LeanSession): MessageStream<ReplicaFetchRequest, ReplicaFetchResponse> {
  return session.open(REPLICA_FETCH_METHOD);
}

export interface LeanStorageHandlers {
  produceBatch(call: ServerMessageStream<ProduceBatchRequest, ProduceBatchResponse>): void;
  replicaFetch(call: ServerMessageStream<ReplicaFetchRequest, ReplicaFetchResponse>): void;
}

/**
 * Serves ProduceBatch and ReplicaFetch with our framing on a bound grpc-js server's port (every
 * other method stays grpc-js). Callers may use either transport: the wire is gRPC both ways.
 */
export function serveLeanStorageStreams(server: Server, handlers: LeanStorageHandlers): void {
  serveLeanRoutes(server, [
    {
      path: def.produceBatch.path,
      decode: def.produceBatch.requestDeserialize,
      encode: (m: ProduceBatchResponse) => frameOf(encodeProduceBatchResponse(m, framedOutput)),
      handler: handlers.produceBatch,
    },
    {
      path: def.replicaFetch.path,
      decode: def.replicaFetch.requestDeserialize,
      encode: (m: ReplicaFetchResponse) => frameOf(encodeReplicaFetchResponse(m, framedOutput)),
      handler: handlers.replicaFetch,
    },
  ]);
}
