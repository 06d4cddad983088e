import { makeGenericClientConstructor, type ChannelCredentials, type ClientOptions } from '@grpc/grpc-js';
import * as generated from './generated/dms/storage/v1/storage';
import { decodeFetchRequest, decodeFetchResponse } from './fetch-deserializers';
import {
  decodeProduceBatchRequest,
  decodeProduceBatchResponse,
  decodeProduceRequest,
  decodeProduceResponse,
  decodeReplicaFetchRequest,
  decodeReplicaFetchResponse,
} from './record-deserializers';
import {
  encodeProduceBatchRequest,
  encodeProduceBatchResponse,
  encodeProduceRequest,
  encodeProduceResponse,
  encodeReplicaFetchRequest,
  serializeFetchResponse,
  serializeReplicaFetchResponse,
} from './record-serializers';

/**
 * The generated StorageService definition with exact-size serialisers for the messages that
 * carry record batches and the small ones sent once per replicated append (grpc-js calls
 * requestSerialize on the client, responseSerialize on the server; the server's fetch answer
 * serialisers write into one reused buffer, which grpc-js copies out synchronously), and
 * hand-written decoders for the same messages and FetchRequest (record-deserializers.ts,
 * fetch-deserializers.ts: the generated decoders'
 * objects, `records` as views of the received message). Everything else is the generated code. `@dms/rpc` exports these under the generated names, so servers and clients
 * pick them up without change.
 */
export const StorageServiceService: typeof generated.StorageServiceService = {
  ...generated.StorageServiceService,
  produce: {
    ...generated.StorageServiceService.produce,
    requestSerialize: encodeProduceRequest,
    requestDeserialize: decodeProduceRequest,
    responseSerialize: encodeProduceResponse,
    responseDeserialize: decodeProduceResponse,
  },
  produceBatch: {
    ...generated.StorageServiceService.produceBatch,
    requestSerialize: encodeProduceBatchRequest,
    requestDeserialize: decodeProduceBatchRequest,
    responseSerialize: encodeProduceBatchResponse,
    responseDeserialize: decodeProduceBatchResponse,
  },
  fetch: {
    ...generated.StorageServiceService.fetch,
    requestDeserialize: decodeFetchRequest,
    responseSerialize: serializeFetchResponse,
    responseDeserialize: decodeFetchResponse,
  },
  replicaFetch: {
    ...generated.StorageServiceService.replicaFetch,
    requestSerialize: encodeReplicaFetchRequest,
    requestDeserialize: decodeReplicaFetchRequest,
    responseSerialize: serializeReplicaFetchResponse,
    responseDeserialize: decodeReplicaFetchResponse,
  },
};
export type StorageServiceService = typeof generated.StorageServiceService;

export const StorageServiceClient = makeGenericClientConstructor(StorageServiceService, 'dms.storage.v1.StorageService') as unknown as {
  new (address: string, credentials: ChannelCredentials, options?: Partial<ClientOptions>): generated.StorageServiceClient;
  service: typeof generated.StorageServiceService;
  serviceName: string;
};
export type StorageServiceClient = generated.StorageServiceClient;

/**
 * The StorageService definition for a server whose fetch answers carry leased read buffers:
 * each answer's record buffers are handed to `release` right after serialisation has copied
 * them (grpc-js serialises a response once, synchronously, before it frames it). An answer that
 * is never serialised (its stream was cancelled) never releases.
 */
export function storageServiceReleasingFetchRecords(release: (records: Uint8Array) => void): StorageServiceService {
  return {
    ...StorageServiceService,
    fetch: {
      ...StorageServiceService.fetch,
      responseSerialize: (m: generated.FetchResponse) => {
        const out = serializeFetchResponse(m);
        for (const p of m.partitions) release(p.records);
        return out;
      },
    },
  };
}
