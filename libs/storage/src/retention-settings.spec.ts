import { KAFKA_TOPIC_DEFAULTS, logLifecycleSettings } from './retention-settings';

const broker = { segmentBytes: 1 << 20 };

describe('logLifecycleSettings', () => {
  it("falls back to Kafka's topic defaults and the broker's log.segment.bytes", () => {
    expect(logLifecycleSettings({}, broker)).toEqual({
      deletePolicy: true,
      retentionMs: KAFKA_TOPIC_DEFAULTS['retention.ms'],
      retentionBytes: -1,
      log: { segmentBytes: 1 << 20, segmentMs: 604_800_000, segmentJitterMs: 0, fileDeleteDelayMs: 60_000, flushMessages: Infinity, flushMs: Infinity },
    });
  });

  it('reads every key a topic sets', () => {
    const s = logLifecycleSettings({
      'cleanup.policy': 'compact,delete', 'retention.ms': '5000', 'retention.bytes': '1048576', 'segment.bytes': '4096',
      'segment.ms': '1000', 'segment.jitter.ms': '10', 'file.delete.delay.ms': '0', 'flush.messages': '100', 'flush.ms': '1000',
    }, broker);
    expect(s).toEqual({
      deletePolicy: true, retentionMs: 5000, retentionBytes: 1048576,
      log: { segmentBytes: 4096, segmentMs: 1000, segmentJitterMs: 10, fileDeleteDelayMs: 0, flushMessages: 100, flushMs: 1000 },
    });
  });

  it('reads -1 as unlimited, Long.MAX_VALUE as never, compact alone as no deletion', () => {
    const s = logLifecycleSettings({ 'cleanup.policy': 'compact', 'retention.ms': '-1', 'flush.messages': '9223372036854775807', 'flush.ms': '9223372036854775807' }, broker);
    expect(s.deletePolicy).toBe(false);
    expect(s.retentionMs).toBe(-1);
    expect(s.log.flushMessages).toBe(Infinity);
    expect(s.log.flushMs).toBe(Infinity);
  });

  it('ignores values the log cannot take (the controller refuses them) in favour of the default', () => {
    const s = logLifecycleSettings({ 'segment.bytes': '4294967296', 'segment.ms': '0', 'retention.ms': 'soon', 'flush.messages': '0' }, broker);
    expect(s.log.segmentBytes).toBe(1 << 20);
    expect(s.log.segmentMs).toBe(604_800_000);
    expect(s.retentionMs).toBe(KAFKA_TOPIC_DEFAULTS['retention.ms']);
    expect(s.log.flushMessages).toBe(Infinity);
  });

  it('rolls a compacted log by max.compaction.lag.ms when that is shorter than segment.ms (Kafka maxSegmentMs)', () => {
    expect(logLifecycleSettings({ 'cleanup.policy': 'compact', 'max.compaction.lag.ms': '60000' }, broker).log.segmentMs).toBe(60_000);
    expect(logLifecycleSettings({ 'cleanup.policy': 'compact,delete', 'max.compaction.lag.ms': '60000', 'segment.ms': '1000' }, broker).log.segmentMs).toBe(1_000);
    expect(logLifecycleSettings({ 'cleanup.policy': 'delete', 'max.compaction.lag.ms': '60000' }, broker).log.segmentMs).toBe(7 * 24 * 3_600_000);
    expect(logLifecycleSettings({ 'cleanup.policy': 'compact' }, broker).log.segmentMs).toBe(7 * 24 * 3_600_000);
  });
});
