import { status as GrpcStatus } from '@grpc/grpc-js';
import { ErrorCode } from '@dms/kafka-errors';
import { callFailureCode } from './group-port';

describe('group coordinator call failures', () => {
  it.each([
    [GrpcStatus.INTERNAL, ErrorCode.UNKNOWN_SERVER_ERROR],
    [GrpcStatus.UNAVAILABLE, ErrorCode.COORDINATOR_NOT_AVAILABLE],
    [GrpcStatus.DEADLINE_EXCEEDED, ErrorCode.COORDINATOR_NOT_AVAILABLE],
    [GrpcStatus.CANCELLED, ErrorCode.COORDINATOR_NOT_AVAILABLE],
  ])('gRPC status %i answers Kafka error %i', (grpcCode, kafkaCode) => {
    expect(callFailureCode(Object.assign(new Error('x'), { code: grpcCode }))).toBe(kafkaCode);
  });

  it('answers COORDINATOR_NOT_AVAILABLE for failures without a gRPC status', () => {
    expect(callFailureCode(new Error('socket closed'))).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(callFailureCode(undefined)).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });
});
