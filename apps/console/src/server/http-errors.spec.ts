import { ErrorCode, KafkaError } from '@dms/kafka-client';
import { toApiError } from './http-errors';

describe('toApiError', () => {
  it.each([
    [ErrorCode.TOPIC_AUTHORIZATION_FAILED, 403],
    [ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 403],
    [ErrorCode.GROUP_AUTHORIZATION_FAILED, 403],
    [ErrorCode.SASL_AUTHENTICATION_FAILED, 401],
    [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 404],
    [ErrorCode.TOPIC_ALREADY_EXISTS, 409],
    [ErrorCode.NON_EMPTY_GROUP, 409],
    [ErrorCode.INVALID_CONFIG, 400],
    [ErrorCode.REQUEST_TIMED_OUT, 502],
  ])('maps Kafka error %i to HTTP %i, naming the error', (code, status) => {
    const e = toApiError(new KafkaError(code, 'because'));
    expect(e.status).toBe(status);
    expect(e.body.errorCode).toBe(code);
    expect(e.body.error).toBe(`${e.body.errorName}: because`);
  });

  it('answers bad input with 400, unreachable clusters with 502 and the rest with 500', () => {
    expect(toApiError(new RangeError('partition must be ...'))).toEqual({ status: 400, body: { error: 'partition must be ...' } });
    expect(toApiError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).status).toBe(502);
    expect(toApiError(Object.assign(new Error('body too large'), { statusCode: 413 })).status).toBe(413);
    expect(toApiError(new Error('boom'))).toEqual({ status: 500, body: { error: 'boom' } });
  });
});
