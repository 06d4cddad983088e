import { LeaderEpochCache } from './leader-epoch-cache';
import { LogError } from './log-error';

describe('LeaderEpochCache', () => {
  it('assigns only new epochs and replaces conflicting entries', () => {
    const c = new LeaderEpochCache();
    expect(c.assign(1, 0n)).toBe(true);
    expect(c.assign(1, 5n)).toBe(false);
    expect(c.assign(3, 10n)).toBe(true);
    expect(c.assign(4, 10n)).toBe(true); // epoch 3 started where 4 starts: it held nothing
    expect(c.entries).toEqual([
      { epoch: 1, startOffset: 0n },
      { epoch: 4, startOffset: 10n },
    ]);
  });

  it('answers OffsetForLeaderEpoch like Kafka', () => {
    const c = new LeaderEpochCache([
      { epoch: 2, startOffset: 0n },
      { epoch: 5, startOffset: 10n },
      { epoch: 7, startOffset: 30n },
    ]);
    expect(c.endOffsetFor(7, 42n)).toEqual({ epoch: 7, endOffset: 42n });
    expect(c.endOffsetFor(2, 42n)).toEqual({ epoch: 2, endOffset: 10n });
    expect(c.endOffsetFor(6, 42n)).toEqual({ epoch: 5, endOffset: 30n });
    expect(c.endOffsetFor(1, 42n)).toEqual({ epoch: 1, endOffset: 0n });
    expect(c.endOffsetFor(8, 42n)).toEqual({ epoch: -1, endOffset: -1n });
    expect(c.endOffsetFor(-1, 42n)).toEqual({ epoch: -1, endOffset: -1n });
  });

  it('truncates from the end and from the start', () => {
    const c = new LeaderEpochCache([
      { epoch: 2, startOffset: 0n },
      { epoch: 5, startOffset: 10n },
      { epoch: 7, startOffset: 30n },
    ]);
    expect(c.truncateFromEnd(30n)).toBe(true);
    expect(c.truncateFromStart(12n)).toBe(true);
    expect(c.entries).toEqual([{ epoch: 5, startOffset: 12n }]);
    expect(c.truncateFromStart(12n)).toBe(false);
  });

  it('round-trips the checkpoint text and rejects malformed ones', () => {
    const c = new LeaderEpochCache([
      { epoch: 0, startOffset: 0n },
      { epoch: 3, startOffset: 123456789012n },
    ]);
    const text = c.encodeCheckpoint();
    expect(text).toBe('0\n2\n0 0\n3 123456789012\n');
    expect(LeaderEpochCache.parseCheckpoint(text)).toEqual(c.entries);
    expect(LeaderEpochCache.parseCheckpoint('0\n0\n')).toEqual([]);
    for (const bad of ['1\n0\n', '0\n2\n0 0\n', '0\n1\nx y\n', '']) {
      expect(() => LeaderEpochCache.parseCheckpoint(bad)).toThrow(LogError);
    }
  });
});
