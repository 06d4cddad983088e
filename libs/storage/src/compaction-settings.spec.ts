import { COMPACTION_DEFAULTS, topicCompaction } from './compaction-settings';

describe('topicCompaction', () => {
  it('reads cleanup.policy as Kafka does', () => {
    expect(topicCompaction({}).compact).toBe(false);
    expect(topicCompaction({ 'cleanup.policy': 'delete' }).compact).toBe(false);
    expect(topicCompaction({ 'cleanup.policy': 'compact' }).compact).toBe(true);
    expect(topicCompaction({ 'cleanup.policy': 'compact,delete' }).compact).toBe(true);
    expect(topicCompaction({ 'cleanup.policy': 'delete, compact' }).compact).toBe(true);
  });

  it("takes Kafka's defaults for absent or unreadable keys and the topic's values otherwise", () => {
    expect(topicCompaction({}).settings).toEqual(COMPACTION_DEFAULTS);
    expect(COMPACTION_DEFAULTS).toMatchObject({ minCleanableDirtyRatio: 0.5, deleteRetentionMs: 86_400_000, minCompactionLagMs: 0 });
    const s = topicCompaction({
      'min.cleanable.dirty.ratio': '0.1',
      'min.compaction.lag.ms': '5000',
      'max.compaction.lag.ms': '9223372036854775807',
      'delete.retention.ms': '100',
      'segment.bytes': '4096',
      'file.delete.delay.ms': 'soon',
    }).settings;
    expect(s).toEqual({
      minCleanableDirtyRatio: 0.1,
      minCompactionLagMs: 5000,
      maxCompactionLagMs: Number.MAX_SAFE_INTEGER, // Long.MAX_VALUE: no lag bound
      deleteRetentionMs: 100,
      segmentBytes: 4096,
      fileDeleteDelayMs: 60_000,
    });
  });
});
