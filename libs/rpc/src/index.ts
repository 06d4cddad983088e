export * from './options';
export * from './server';
export * from './client';
export * from './tracing';
export * from './stream-mux';
export * from './status';
export * from './tls';
export * from './service-identity';
export * from './method-roles';
export * from './authorize';
export * from './internal-security';

// Storage is the data plane most code touches, so its names are top-level. The cluster and
// common packages come as namespaces too (their generated files repeat helper names such as
// MessageFns, which cannot all be star-exported side by side).
export * from './generated/dms/storage/v1/storage';
// Shadow the generated definition and client with the exact-size serialising (and hand-written decoding) ones.
export { StorageServiceClient, StorageServiceService, storageServiceReleasingFetchRecords } from './storage-service-def';
export * from './record-serializers';
export * from './record-deserializers';
export * from './fetch-deserializers';
export { WireDecodeError } from './wire-reader';
export {
  QueryByKey,
  QueryByOffset,
  QueryByTime,
  QueryRecord,
  QueryRecordHeader,
  QueryRequest,
  QueryResponse,
  QueryStats,
} from './generated/dms/storage/v1/query';
export * as storageV1 from './generated/dms/storage/v1/storage';
export * as clusterV1 from './generated/dms/cluster/v1/cluster';
export * as commonV1 from './generated/dms/common/v1/common';
export {
  ControllerServiceClient,
  ControllerServiceService,
  CreateTopicsRequest,
  CreateTopicsResponse,
  DeleteTopicsRequest,
  DeleteTopicsResponse,
  DescribeClusterRequest,
  DescribeClusterResponse,
  ReplicaAssignment,
  TopicResult,
  TopicSpec,
} from './generated/dms/cluster/v1/cluster';
export type { ControllerServiceServer } from './generated/dms/cluster/v1/cluster';
export { TopicPartition } from './generated/dms/common/v1/common';
export * as groupsV1 from './generated/dms/groups/v1/groups';
export { GroupCoordinatorServiceClient, GroupCoordinatorServiceService } from './generated/dms/groups/v1/groups';
export type { GroupCoordinatorServiceServer } from './generated/dms/groups/v1/groups';
export * as transactionsV1 from './generated/dms/transactions/v1/transactions';
export { TransactionCoordinatorServiceClient, TransactionCoordinatorServiceService } from './generated/dms/transactions/v1/transactions';
export type { TransactionCoordinatorServiceServer } from './generated/dms/transactions/v1/transactions';
export * from './deadline-sweep';
export * as shareV1 from './generated/dms/share/v1/share';
export {
  ShareGroupServiceClient,
  ShareGroupServiceService,
  SharePartitionServiceClient,
  SharePartitionServiceService,
  ShareStateServiceClient,
  ShareStateServiceService,
} from './generated/dms/share/v1/share';
export type { ShareGroupServiceServer, SharePartitionServiceServer, ShareStateServiceServer } from './generated/dms/share/v1/share';
export * from './grpc-framing';
export { LeanSession, type LeanMethod, type LeanSessionOptions, type MessageStream } from './lean-stream-client';
export { serveLeanRoutes, type LeanRoute, type ServerMessageStream } from './lean-stream-server';
export * from './lean-storage-streams';
export { serveLeanFetch, type FrameBuffers, type LeanFetchHandler } from './fetch-stream';
export { ReadBufferPool } from './read-buffer-pool';
