import { BROKER_CONFIG_DEFS } from './broker-configs';
import { describeBroker, describeTopic } from './describe';
import { effectiveTopicConfigs, resolveTopicKey, type BrokerConfigLayers } from './resolve';
import { IMPLEMENTED_TOPIC_CONFIGS, TOPIC_CONFIG_DEFS, TOPIC_CONFIGS } from './topic-configs';
import { ConfigSource, ConfigType } from './types';

const layers = (l: Partial<BrokerConfigLayers> = {}): BrokerConfigLayers => ({ perBroker: {}, clusterDefault: {}, static: {}, ...l });

describe('the tables', () => {
  it('declares every key once, with a default that passes its own validator', () => {
    for (const defs of [TOPIC_CONFIG_DEFS, BROKER_CONFIG_DEFS]) {
      const names = defs.map((d) => d.name);
      expect(new Set(names).size).toBe(names.length);
      for (const d of defs) if (d.default !== null && d.default !== '') expect([d.name, d.validate(d.default)]).toEqual([d.name, undefined]);
    }
  });

  it('marks as implemented exactly the keys DMS honours', () => {
    expect([...IMPLEMENTED_TOPIC_CONFIGS].sort()).toEqual([
      'cleanup.policy', 'compression.gzip.level', 'compression.lz4.level', 'compression.type', 'compression.zstd.level',
      'delete.retention.ms', 'dms.message.key.index.enable', 'file.delete.delay.ms', 'flush.messages', 'flush.ms', 'follower.replication.throttled.replicas',
      'index.interval.bytes', 'leader.replication.throttled.replicas',
      'max.compaction.lag.ms', 'max.message.bytes', 'message.timestamp.after.max.ms', 'message.timestamp.before.max.ms',
      'message.timestamp.type', 'min.cleanable.dirty.ratio', 'min.compaction.lag.ms', 'min.insync.replicas',
      'retention.bytes', 'retention.ms', 'segment.bytes', 'segment.jitter.ms', 'segment.ms', 'unclean.leader.election.enable',
    ]);
  });

  it('names a broker key of the broker table for every synonym of an implemented topic key', () => {
    const broker = new Set(BROKER_CONFIG_DEFS.map((d) => d.name));
    for (const d of TOPIC_CONFIG_DEFS.filter((x) => x.implemented)) {
      for (const s of d.brokerSynonyms) expect([d.name, broker.has(s.name)]).toEqual([d.name, true]);
    }
  });
});

describe('precedence', () => {
  it('takes topic > per-broker > cluster default > static > default', () => {
    const all = layers({ perBroker: { 'log.retention.ms': '3' }, clusterDefault: { 'log.retention.ms': '4' }, static: { 'log.retention.ms': '5' } });
    expect(resolveTopicKey('retention.ms', { 'retention.ms': '2' }, all)).toEqual({ name: 'retention.ms', value: '2', source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
    expect(resolveTopicKey('retention.ms', {}, all)).toEqual({ name: 'retention.ms', value: '3', source: ConfigSource.DYNAMIC_BROKER_CONFIG });
    expect(resolveTopicKey('retention.ms', {}, layers({ clusterDefault: { 'log.retention.ms': '4' }, static: { 'log.retention.ms': '5' } })).source)
      .toBe(ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
    expect(resolveTopicKey('retention.ms', {}, layers({ static: { 'log.retention.ms': '5' } })).source).toBe(ConfigSource.STATIC_BROKER_CONFIG);
    expect(resolveTopicKey('retention.ms', {}, layers())).toEqual({ name: 'retention.ms', value: '604800000', source: ConfigSource.DEFAULT_CONFIG });
  });

  it('converts hours and minutes synonyms to milliseconds, the ms key winning over both', () => {
    expect(resolveTopicKey('retention.ms', {}, layers({ static: { 'log.retention.hours': '1' } })).value).toBe('3600000');
    expect(resolveTopicKey('retention.ms', {}, layers({ static: { 'log.retention.minutes': '2', 'log.retention.hours': '1' } })).value).toBe('120000');
    expect(resolveTopicKey('retention.ms', {}, layers({ static: { 'log.retention.hours': '1' }, clusterDefault: { 'log.retention.ms': '7' } })).value).toBe('7');
    expect(resolveTopicKey('retention.ms', {}, layers({ static: { 'log.retention.hours': '-1' } })).value).toBe('-1');
    expect(resolveTopicKey('segment.ms', {}, layers({ static: { 'log.roll.hours': '2' } })).value).toBe('7200000');
  });

  it('builds a complete effective map: every implemented key has a value', () => {
    const eff = effectiveTopicConfigs({ 'cleanup.policy': 'compact' }, layers({ clusterDefault: { 'log.segment.bytes': '2097152' }, static: { 'message.max.bytes': '2000000' } }));
    for (const k of IMPLEMENTED_TOPIC_CONFIGS) expect(typeof eff[k]).toBe('string');
    expect(eff['cleanup.policy']).toBe('compact');
    expect(eff['segment.bytes']).toBe('2097152');
    expect(eff['max.message.bytes']).toBe('2000000');
    expect(eff['flush.ms']).toBe('9223372036854775807');
    expect(eff['message.timestamp.after.max.ms']).toBe('3600000');
    expect(eff['min.cleanable.dirty.ratio']).toBe('0.5');
  });
});

describe('describe', () => {
  it('lists every topic key with synonyms, type and documentation when asked', () => {
    const out = describeTopic({ 'retention.ms': '1000' }, layers({ clusterDefault: { 'log.retention.ms': '5000' } }), { keys: null, includeSynonyms: true, includeDocumentation: true });
    expect(out.map((c) => c.name)).toEqual(TOPIC_CONFIG_DEFS.map((d) => d.name));
    const r = out.find((c) => c.name === 'retention.ms')!;
    expect(r).toMatchObject({ value: '1000', configSource: ConfigSource.DYNAMIC_TOPIC_CONFIG, configType: ConfigType.LONG, readOnly: false, isSensitive: false });
    expect(r.synonyms.map((s) => [s.name, s.source])).toEqual([
      ['retention.ms', ConfigSource.DYNAMIC_TOPIC_CONFIG],
      ['log.retention.ms', ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG],
      ['log.retention.hours', ConfigSource.DEFAULT_CONFIG],
    ]);
    expect(out.find((c) => c.name === 'preallocate')!.documentation).toMatch(/not supported by DMS/i);
  });

  it('hides sensitive broker values and marks read-only keys', () => {
    const out = describeBroker(layers({ static: { 'ssl.key.password': 'secret', 'num.partitions': '3' } }), { keys: null, includeSynonyms: true, includeDocumentation: false });
    const pw = out.find((c) => c.name === 'ssl.key.password')!;
    expect(pw).toMatchObject({ value: null, isSensitive: true, configSource: ConfigSource.STATIC_BROKER_CONFIG });
    expect(pw.synonyms.every((s) => s.value === null)).toBe(true);
    expect(out.find((c) => c.name === 'num.partitions')).toMatchObject({ value: '3', readOnly: true, configSource: ConfigSource.STATIC_BROKER_CONFIG });
    expect(out.find((c) => c.name === 'log.retention.ms')).toMatchObject({ value: null, readOnly: false, configSource: ConfigSource.DEFAULT_CONFIG });
  });

  it('filters by the requested keys and skips unknown ones', () => {
    expect(describeTopic({}, layers(), { keys: ['segment.bytes', 'nope'], includeSynonyms: false, includeDocumentation: false }).map((c) => c.name)).toEqual(['segment.bytes']);
    expect(TOPIC_CONFIGS.get('nope')).toBeUndefined();
  });
});
