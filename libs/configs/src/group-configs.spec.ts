import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { describeGroup } from './describe';
import { applyIncremental } from './alter';
import { DEFAULT_GROUP_CONFIG_BOUNDS, groupConfigOverrides, validateGroupConfigs } from './group-configs';
import { AlterConfigOp, ConfigSource } from './types';

function refusal(fn: () => void): { code: number; message: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof KafkaError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('group configs', () => {
  it('accepts the keys Kafka has within the broker bounds', () => {
    expect(() => validateGroupConfigs({
      'consumer.session.timeout.ms': '50000', 'consumer.heartbeat.interval.ms': '6000', 'share.record.lock.duration.ms': '15000',
      'share.delivery.count.limit': '3', 'share.auto.offset.reset': 'earliest', 'share.isolation.level': 'read_committed',
    })).not.toThrow();
  });

  it('refuses an unknown key, a malformed value and a value outside the broker bounds with INVALID_CONFIG', () => {
    expect(refusal(() => validateGroupConfigs({ 'session.timeout.ms': '1' }))).toEqual({ code: ErrorCode.INVALID_CONFIG, message: 'Unknown group config name: session.timeout.ms' });
    expect(refusal(() => validateGroupConfigs({ 'share.auto.offset.reset': 'none' })).code).toBe(ErrorCode.INVALID_CONFIG);
    expect(refusal(() => validateGroupConfigs({ 'share.delivery.count.limit': 'x' })).code).toBe(ErrorCode.INVALID_CONFIG);
    expect(refusal(() => validateGroupConfigs({ 'share.record.lock.duration.ms': '14999' }))).toEqual({
      code: ErrorCode.INVALID_CONFIG, message: 'share.record.lock.duration.ms must be greater than or equal to group.share.min.record.lock.duration.ms',
    });
    expect(refusal(() => validateGroupConfigs({ 'consumer.session.timeout.ms': '60001' })).message)
      .toBe('consumer.session.timeout.ms must be less than or equal to group.consumer.max.session.timeout.ms');
    expect(refusal(() => validateGroupConfigs({ 'share.delivery.count.limit': '11' })).message)
      .toBe('share.delivery.count.limit must be less than or equal to group.share.max.delivery.count.limit');
  });

  it('checks against the bounds it is given and keeps the heartbeat below the session timeout', () => {
    const bounds = { ...DEFAULT_GROUP_CONFIG_BOUNDS, 'group.share.min.record.lock.duration.ms': 1000 };
    expect(() => validateGroupConfigs({ 'share.record.lock.duration.ms': '2000' }, bounds)).not.toThrow();
    const wide = { ...DEFAULT_GROUP_CONFIG_BOUNDS, 'group.share.max.heartbeat.interval.ms': 60000 };
    expect(refusal(() => validateGroupConfigs({ 'share.heartbeat.interval.ms': '45000' }, wide)).message)
      .toBe('share.heartbeat.interval.ms must be less than share.session.timeout.ms');
  });

  it('describes every key: the group\'s own with GROUP_CONFIG, the rest with their defaults', () => {
    const d = describeGroup({ 'share.record.lock.duration.ms': '15000' }, { keys: null, includeSynonyms: true, includeDocumentation: false });
    expect(d.find((c) => c.name === 'share.record.lock.duration.ms')).toMatchObject({ value: '15000', configSource: ConfigSource.GROUP_CONFIG });
    expect(d.find((c) => c.name === 'share.delivery.count.limit')).toMatchObject({ value: '5', configSource: ConfigSource.DEFAULT_CONFIG });
    expect(describeGroup({}, { keys: ['share.auto.offset.reset', 'nope'], includeSynonyms: false, includeDocumentation: false }).map((c) => c.name))
      .toEqual(['share.auto.offset.reset']);
  });

  it('applies incremental changes and reads the overrides back typed', () => {
    const next = applyIncremental({ 'share.delivery.count.limit': '3' }, [
      { name: 'share.record.lock.duration.ms', op: AlterConfigOp.SET, value: '20000' },
      { name: 'share.delivery.count.limit', op: AlterConfigOp.DELETE, value: null },
    ], 'group');
    expect(next).toEqual({ 'share.record.lock.duration.ms': '20000' });
    expect(groupConfigOverrides({ ...next, 'share.auto.offset.reset': 'earliest', 'consumer.session.timeout.ms': 'bad' }))
      .toEqual({ shareRecordLockDurationMs: 20000, shareAutoOffsetReset: 'earliest' });
  });
});
