import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { validateTopicConfigs, validateTopicName } from './topic-validation';

function codeOf(fn: () => void): number {
  try {
    fn();
    return ErrorCode.NONE;
  } catch (e) {
    return e instanceof KafkaError ? e.code : -999;
  }
}

describe('topic name validation', () => {
  it.each(['a', 'orders', 'A.b_c-1', 'x'.repeat(249), '...', '.a'])('accepts %p', (name) => {
    expect(codeOf(() => validateTopicName(name))).toBe(ErrorCode.NONE);
  });
  it.each(['', '.', '..', 'x'.repeat(250), 'a/b', 'a b', 'ü', 'a:b', 'a\u0000'])('rejects %p with 17', (name) => {
    expect(codeOf(() => validateTopicName(name))).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
  });
});

describe('topic config validation', () => {
  it('accepts common configs with valid values', () => {
    expect(
      codeOf(() =>
        validateTopicConfigs({
          'cleanup.policy': 'compact,delete',
          'retention.ms': '-1',
          'retention.bytes': '1073741824',
          'segment.bytes': '1048576',
          'min.insync.replicas': '2',
          'message.timestamp.type': 'LogAppendTime',
          'max.message.bytes': '1000000',
          'compression.type': 'zstd',
          'segment.ms': '3600000',
        }),
      ),
    ).toBe(ErrorCode.NONE);
  });
  it.each([
    [{ 'no.such.config': '1' }],
    [{ 'cleanup.policy': 'forever' }],
    [{ 'retention.ms': 'soon' }],
    [{ 'retention.ms': '-2' }],
    [{ 'segment.bytes': '10' }],
    [{ 'min.insync.replicas': '0' }],
    [{ 'message.timestamp.type': 'Now' }],
    [{ 'compression.type': 'brotli' }],
    [{ 'max.message.bytes': '99999999999' }],
  ])('rejects %p with 40', (configs) => {
    expect(codeOf(() => validateTopicConfigs(configs))).toBe(ErrorCode.INVALID_CONFIG);
  });
});
