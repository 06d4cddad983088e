import { ErrorCode, errorName, isRetriable, KafkaError } from './index';

describe('kafka errors', () => {
  it('maps names and codes both ways', () => {
    expect(ErrorCode.NONE).toBe(0);
    expect(ErrorCode.UNKNOWN_SERVER_ERROR).toBe(-1);
    expect(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).toBe(3);
    expect(ErrorCode.UNSUPPORTED_VERSION).toBe(35);
    expect(errorName(35)).toBe('UNSUPPORTED_VERSION');
    expect(errorName(9999)).toBe('UNKNOWN_9999');
    for (const [name, code] of Object.entries(ErrorCode)) expect(errorName(code)).toBe(name);
  });

  it('knows which codes are retriable', () => {
    expect(isRetriable(ErrorCode.NOT_LEADER_OR_FOLLOWER)).toBe(true);
    expect(isRetriable(ErrorCode.LEADER_NOT_AVAILABLE)).toBe(true);
    expect(isRetriable(ErrorCode.NONE)).toBe(false);
    expect(isRetriable(ErrorCode.TOPIC_AUTHORIZATION_FAILED)).toBe(false);
    // Kafka 4.3: the 31 retriable codes up to 128 plus SHARE_SESSION_LIMIT_REACHED (133).
    expect(Object.values(ErrorCode).filter(isRetriable)).toHaveLength(32);
    expect(isRetriable(ErrorCode.SHARE_SESSION_LIMIT_REACHED)).toBe(true);
    expect(isRetriable(ErrorCode.REBOOTSTRAP_REQUIRED)).toBe(false);
  });

  it('KafkaError carries the code', () => {
    const err = new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe(3);
    expect(err.message).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(err.retriable).toBe(true);
    expect(new KafkaError(87, 'bad record').message).toBe('bad record');
  });
});
