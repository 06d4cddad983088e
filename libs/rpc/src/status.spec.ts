import { Metadata, status } from '@grpc/grpc-js';
import type { handleUnaryCall } from '@grpc/grpc-js';
import { ErrorCode } from '@dms/kafka-errors';
import type { ListOffsetsRequest, ListOffsetsResponse } from './generated/dms/storage/v1/storage';
import { unary } from './client';
import { grpcError, isRetriableGrpc, kafkaErrorCodeFromGrpc, kafkaStatusError } from './status';
import { startTestStorage } from './test-server';

describe('gRPC status to Kafka error code', () => {
  it.each([
    [status.OK, ErrorCode.NONE],
    [status.UNAVAILABLE, ErrorCode.NOT_LEADER_OR_FOLLOWER],
    [status.DEADLINE_EXCEEDED, ErrorCode.REQUEST_TIMED_OUT],
    [status.CANCELLED, ErrorCode.NETWORK_EXCEPTION],
    [status.RESOURCE_EXHAUSTED, ErrorCode.MESSAGE_TOO_LARGE],
    [status.NOT_FOUND, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    [status.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST],
    [status.UNIMPLEMENTED, ErrorCode.UNSUPPORTED_VERSION],
    [status.INTERNAL, ErrorCode.UNKNOWN_SERVER_ERROR],
    [status.UNKNOWN, ErrorCode.UNKNOWN_SERVER_ERROR],
  ])('grpc %s -> kafka %s', (code, kafka) => {
    expect(kafkaErrorCodeFromGrpc(grpcError(code, 'x'))).toBe(kafka);
  });

  it('treats non-gRPC errors as UNKNOWN_SERVER_ERROR and ignores junk trailers', () => {
    expect(kafkaErrorCodeFromGrpc(new Error('x'))).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
    expect(kafkaErrorCodeFromGrpc(null)).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
    const md = new Metadata();
    md.set('dms-kafka-error-code', 'nope');
    expect(kafkaErrorCodeFromGrpc({ code: status.UNAVAILABLE, metadata: md })).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  });

  it('classifies retriable statuses', () => {
    expect(isRetriableGrpc(grpcError(status.UNAVAILABLE, 'x'))).toBe(true);
    expect(isRetriableGrpc(grpcError(status.INVALID_ARGUMENT, 'x'))).toBe(false);
  });

  it('carries an exact Kafka code from a server handler to the client', async () => {
    const listOffsets: handleUnaryCall<ListOffsetsRequest, ListOffsetsResponse> = (_call, cb) =>
      cb(kafkaStatusError(ErrorCode.NOT_CONTROLLER, 'not the controller'));
    const s = await startTestStorage({ listOffsets });
    try {
      const err = await unary(s.client.listOffsets.bind(s.client), { isolationLevel: 0, partitions: [], traceContext: {} }, { timeoutMs: 5000 }).catch(
        (e: unknown) => e,
      );
      expect((err as { code: number }).code).toBe(status.UNAVAILABLE);
      expect(kafkaErrorCodeFromGrpc(err)).toBe(ErrorCode.NOT_CONTROLLER);
    } finally {
      await s.stop();
    }
  });
});
