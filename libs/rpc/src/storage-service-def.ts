import { makeGenericClientConstructor, type ChannelCredentials, type ClientOptions } from '@grpc/grpc-js';
import * as generated from './generated/dms/storage/v1/storage';
import {
  encodeFetchResponse,
  encodeProduceBatchRequest,
  encodeProduceBatchResponse,
  encodeProduceRequest,
  encodeProduceResponse,
  encodeReplicaFetchRequest,
  encodeReplicaFetchResponse,
} from './record-serializers';

/**
 * The generated StorageService definition with exact-size serialisers for the messages that
 * carry record batches and the small ones sent once per replicated append (grpc-js calls requestSerialize on the client, responseSerialize on the
 * server). Everything else, decoding included (`bytes` fields decode as views, no copy), is the
 * generated code. `@dms/rpc` exports these under the generated names, so servers and clients
 * pick them up without change.
 */
export const StorageServiceService: typeof generated.StorageServiceService = {
  ...generated.StorageServiceService,
  produce: { ...generated.StorageServiceService.produce, requestSerialize: encodeProduceRequest, responseSerialize: encodeProduceResponse },
  produceBatch: { ...generated.StorageServiceService.produceBatch, requestSerialize: encodeProduceBatchRequest, responseSerialize: encodeProduceBatchResponse },
  fetch: { ...generated.StorageServiceService.fetch, responseSerialize: encodeFetchResponse },
  replicaFetch: { ...generated.StorageServiceService.replicaFetch, requestSerialize: encodeReplicaFetchRequest, responseSerialize: encodeReplicaFetchResponse },
};
export type StorageServiceService = typeof generated.StorageServiceService;

export const StorageServiceClient = makeGenericClientConstructor(StorageServiceService, 'dms.storage.v1.StorageService') as unknown as {
  new (address: string, credentials: ChannelCredentials, options?: Partial<ClientOptions>): generated.StorageServiceClient;
  service: typeof generated.StorageServiceService;
  serviceName: string;
};
export type StorageServiceClient = generated.StorageServiceClient;
