import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { applyIncremental, replaceAll } from './alter';
import { AlterConfigOp } from './types';
import { validateDynamicBrokerConfigs, validateTopicConfigs } from './validate';

function codeOf(fn: () => unknown): number {
  try {
    fn();
    return ErrorCode.NONE;
  } catch (e) {
    return e instanceof KafkaError ? e.code : -1;
  }
}

describe('incremental operations', () => {
  const { SET, DELETE, APPEND, SUBTRACT } = AlterConfigOp;

  it('sets and deletes keys, leaving the others', () => {
    const next = applyIncremental({ 'retention.ms': '1', 'segment.ms': '2' }, [
      { name: 'retention.ms', op: SET, value: '5' },
      { name: 'segment.ms', op: DELETE, value: null },
      { name: 'flush.ms', op: DELETE, value: null },
    ], 'topic');
    expect(next).toEqual({ 'retention.ms': '5' });
  });

  it('appends to and subtracts from list keys, starting from the effective value', () => {
    expect(applyIncremental({}, [{ name: 'cleanup.policy', op: APPEND, value: 'compact' }], 'topic')).toEqual({ 'cleanup.policy': 'delete,compact' });
    expect(applyIncremental({ 'cleanup.policy': 'compact,delete' }, [{ name: 'cleanup.policy', op: SUBTRACT, value: 'delete' }], 'topic')).toEqual({ 'cleanup.policy': 'compact' });
    expect(applyIncremental({ 'cleanup.policy': 'compact' }, [{ name: 'cleanup.policy', op: APPEND, value: 'compact' }], 'topic')).toEqual({ 'cleanup.policy': 'compact' });
    expect(applyIncremental({}, [{ name: 'cleanup.policy', op: APPEND, value: 'compact' }], 'topic', () => 'compact')).toEqual({ 'cleanup.policy': 'compact' });
  });

  it('refuses APPEND/SUBTRACT on non-list keys, duplicate keys and unknown operations', () => {
    expect(codeOf(() => applyIncremental({}, [{ name: 'retention.ms', op: APPEND, value: '1' }], 'topic'))).toBe(ErrorCode.INVALID_CONFIG);
    expect(codeOf(() => applyIncremental({}, [{ name: 'retention.ms', op: SET, value: '1' }, { name: 'retention.ms', op: DELETE, value: null }], 'topic'))).toBe(ErrorCode.INVALID_REQUEST);
    expect(codeOf(() => applyIncremental({}, [{ name: 'retention.ms', op: 9, value: '1' }], 'topic'))).toBe(ErrorCode.INVALID_REQUEST);
    expect(codeOf(() => applyIncremental({}, [{ name: 'retention.ms', op: SET, value: null }], 'topic'))).toBe(ErrorCode.INVALID_CONFIG);
  });

  it('replaces the whole set, null values unsetting', () => {
    expect(replaceAll([{ name: 'retention.ms', value: '1' }, { name: 'segment.ms', value: null }])).toEqual({ 'retention.ms': '1' });
  });
});

describe('validation', () => {
  it('accepts implemented keys and unimplemented keys at their default', () => {
    expect(codeOf(() => validateTopicConfigs({ 'flush.ms': '1000', 'flush.messages': '1', preallocate: 'false', 'segment.index.bytes': '10485760' }))).toBe(ErrorCode.NONE);
  });

  it('refuses unimplemented keys at another value, naming the key', () => {
    expect(() => validateTopicConfigs({ preallocate: 'true' })).toThrow(/preallocate is not supported by DMS/);
    expect(codeOf(() => validateTopicConfigs({ 'remote.storage.enable': 'true' }))).toBe(ErrorCode.INVALID_CONFIG);
    expect(codeOf(() => validateTopicConfigs({ 'segment.index.bytes': '4096' }))).toBe(ErrorCode.INVALID_CONFIG);
  });

  it('refuses unknown keys and values out of range', () => {
    expect(() => validateTopicConfigs({ 'no.such': '1' })).toThrow(/no.such/);
    expect(codeOf(() => validateTopicConfigs({ 'segment.bytes': '1024' }))).toBe(ErrorCode.INVALID_CONFIG);
    expect(codeOf(() => validateTopicConfigs({ 'min.cleanable.dirty.ratio': '1.5' }))).toBe(ErrorCode.INVALID_CONFIG);
    expect(codeOf(() => validateTopicConfigs({ 'compression.zstd.level': '23' }))).toBe(ErrorCode.INVALID_CONFIG);
  });

  it('refuses read-only and unknown broker keys dynamically', () => {
    expect(codeOf(() => validateDynamicBrokerConfigs({ 'log.retention.ms': '1000', 'log.cleanup.policy': 'compact' }))).toBe(ErrorCode.NONE);
    expect(() => validateDynamicBrokerConfigs({ 'num.partitions': '3' })).toThrow(/num.partitions/);
    expect(codeOf(() => validateDynamicBrokerConfigs({ 'log.dirs': '/x' }))).toBe(ErrorCode.INVALID_CONFIG);
    expect(codeOf(() => validateDynamicBrokerConfigs({ 'min.insync.replicas': '0' }))).toBe(ErrorCode.INVALID_CONFIG);
  });

  it('accepts the replication throttles (rates per broker, replica lists per topic)', () => {
    expect(codeOf(() => validateDynamicBrokerConfigs({ 'leader.replication.throttled.rate': '1048576', 'follower.replication.throttled.rate': '0' }))).toBe(ErrorCode.NONE);
    expect(codeOf(() => validateDynamicBrokerConfigs({ 'leader.replication.throttled.rate': '-1' }))).toBe(ErrorCode.INVALID_CONFIG);
    expect(codeOf(() => validateDynamicBrokerConfigs({ 'replication.quota.window.num': '5' }))).toBe(ErrorCode.INVALID_CONFIG);
    expect(codeOf(() => validateTopicConfigs({ 'leader.replication.throttled.replicas': '0:1,1:2', 'follower.replication.throttled.replicas': '*' }))).toBe(ErrorCode.NONE);
    expect(codeOf(() => validateTopicConfigs({ 'follower.replication.throttled.replicas': '0-1' }))).toBe(ErrorCode.INVALID_CONFIG);
  });

  it('takes the self-balancer\'s keys on the cluster default only, validated', () => {
    expect(codeOf(() => validateDynamicBrokerConfigs({ 'auto.balance.enable': 'false', 'auto.balance.interval.ms': '500', 'auto.balance.network.inbound.threshold.percent': '25' }))).toBe(ErrorCode.NONE);
    expect(() => validateDynamicBrokerConfigs({ 'auto.balance.enable': 'true' }, true)).toThrow(/only at the default cluster level .*auto.balance.enable/);
    expect(codeOf(() => validateDynamicBrokerConfigs({ 'auto.balance.enable': 'true' }, true))).toBe(ErrorCode.INVALID_CONFIG);
    // Other cluster-wide keys may still be set per broker.
    expect(codeOf(() => validateDynamicBrokerConfigs({ 'leader.replication.throttled.rate': '1000' }, true))).toBe(ErrorCode.NONE);
    expect(() => validateDynamicBrokerConfigs({ 'auto.balance.enable': 'yes' })).toThrow(/Invalid value yes for configuration auto.balance.enable/);
    expect(() => validateDynamicBrokerConfigs({ 'auto.balance.interval.ms': '50' })).toThrow(/auto.balance.interval.ms: Value must be at least 100/);
    expect(codeOf(() => validateDynamicBrokerConfigs({ 'auto.balance.max.concurrent.moves': '-1' }))).toBe(ErrorCode.INVALID_CONFIG);
    expect(codeOf(() => validateDynamicBrokerConfigs({ 'auto.balance.disk.threshold.percent': '1001' }))).toBe(ErrorCode.INVALID_CONFIG);
    expect(codeOf(() => validateDynamicBrokerConfigs({ 'auto.balance.throttle.bytes.per.second': 'fast' }))).toBe(ErrorCode.INVALID_CONFIG);
  });
});
