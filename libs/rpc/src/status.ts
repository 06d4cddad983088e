import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { ErrorCode } from '@dms/kafka-errors';

/** Trailer a server sets when it knows the exact Kafka error (see kafkaStatusError). */
export const KAFKA_ERROR_CODE_TRAILER = 'dms-kafka-error-code';

/**
 * Transport failures between our services, seen from the Kafka edge. UNAVAILABLE means the broker
 * is down or moving: NOT_LEADER_OR_FOLLOWER makes clients refresh metadata and retry, which is
 * what they should do when leadership may have moved.
 */
const grpcToKafka: ReadonlyMap<GrpcStatus, number> = new Map([
  [GrpcStatus.OK, ErrorCode.NONE],
  [GrpcStatus.UNAVAILABLE, ErrorCode.NOT_LEADER_OR_FOLLOWER],
  [GrpcStatus.DEADLINE_EXCEEDED, ErrorCode.REQUEST_TIMED_OUT],
  [GrpcStatus.CANCELLED, ErrorCode.NETWORK_EXCEPTION],
  // grpc-js reports messages over the size limit as RESOURCE_EXHAUSTED.
  [GrpcStatus.RESOURCE_EXHAUSTED, ErrorCode.MESSAGE_TOO_LARGE],
  [GrpcStatus.NOT_FOUND, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
  [GrpcStatus.ALREADY_EXISTS, ErrorCode.TOPIC_ALREADY_EXISTS],
  [GrpcStatus.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST],
  [GrpcStatus.OUT_OF_RANGE, ErrorCode.OFFSET_OUT_OF_RANGE],
  [GrpcStatus.PERMISSION_DENIED, ErrorCode.CLUSTER_AUTHORIZATION_FAILED],
  [GrpcStatus.UNAUTHENTICATED, ErrorCode.SASL_AUTHENTICATION_FAILED],
  [GrpcStatus.UNIMPLEMENTED, ErrorCode.UNSUPPORTED_VERSION],
  [GrpcStatus.DATA_LOSS, ErrorCode.KAFKA_STORAGE_ERROR],
]);

/** Reverse direction, for servers that fail a whole call with a Kafka code. */
const kafkaToGrpc: ReadonlyMap<number, GrpcStatus> = new Map([
  [ErrorCode.NOT_LEADER_OR_FOLLOWER, GrpcStatus.UNAVAILABLE],
  [ErrorCode.LEADER_NOT_AVAILABLE, GrpcStatus.UNAVAILABLE],
  [ErrorCode.NOT_CONTROLLER, GrpcStatus.UNAVAILABLE],
  [ErrorCode.REQUEST_TIMED_OUT, GrpcStatus.DEADLINE_EXCEEDED],
  [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, GrpcStatus.NOT_FOUND],
  [ErrorCode.TOPIC_ALREADY_EXISTS, GrpcStatus.ALREADY_EXISTS],
  [ErrorCode.INVALID_REQUEST, GrpcStatus.INVALID_ARGUMENT],
  [ErrorCode.OFFSET_OUT_OF_RANGE, GrpcStatus.OUT_OF_RANGE],
  [ErrorCode.MESSAGE_TOO_LARGE, GrpcStatus.RESOURCE_EXHAUSTED],
]);

function isServiceErrorLike(err: unknown): err is Partial<ServiceError> & { code: number } {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'number';
}

/**
 * The Kafka error code for a failed gRPC call (or any error): an explicit trailer wins, then the
 * status table; anything else is UNKNOWN_SERVER_ERROR.
 */
export function kafkaErrorCodeFromGrpc(err: unknown): number {
  if (!isServiceErrorLike(err)) return ErrorCode.UNKNOWN_SERVER_ERROR;
  const trailer = err.metadata instanceof Metadata ? err.metadata.get(KAFKA_ERROR_CODE_TRAILER)[0] : undefined;
  if (trailer !== undefined) {
    const n = Number(String(trailer));
    if (Number.isInteger(n) && n >= -1 && n <= 32767) return n;
  }
  return grpcToKafka.get(err.code as GrpcStatus) ?? ErrorCode.UNKNOWN_SERVER_ERROR;
}

/** A ServiceError for a handler's callback that carries an exact Kafka code to the caller. */
export function kafkaStatusError(kafkaCode: number, message: string): ServiceError {
  const metadata = new Metadata();
  metadata.set(KAFKA_ERROR_CODE_TRAILER, String(kafkaCode));
  const code = kafkaToGrpc.get(kafkaCode) ?? GrpcStatus.INTERNAL;
  return Object.assign(new Error(message), { code, details: message, metadata });
}

/** Whether a gRPC failure is worth retrying on a fresh stream or connection. */
export function isRetriableGrpc(err: unknown): boolean {
  if (!isServiceErrorLike(err)) return false;
  return err.code === GrpcStatus.UNAVAILABLE || err.code === GrpcStatus.DEADLINE_EXCEEDED || err.code === GrpcStatus.CANCELLED;
}

/** Builds a ServiceError-shaped error (our own failures look like transport ones to callers). */
export function grpcError(code: GrpcStatus, details: string, cause?: unknown): ServiceError {
  const err = new Error(`${GrpcStatus[code]}: ${details}`, cause === undefined ? undefined : { cause });
  return Object.assign(err, { code, details, metadata: new Metadata() });
}
