import { longestGapMs, verify } from './verify';

describe('chaos verdict', () => {
  it('finds lost, out-of-order and duplicate records', () => {
    const acked = [0, 1, 2, 3].map((seq) => ({ partition: 0, seq })).concat([{ partition: 1, seq: 0 }]);
    const read = new Map([
      [0, ['0:0', '0:2', '0:1', '0:2']],
      [1, ['1:0']],
    ]);
    expect(verify(acked, read)).toEqual({
      mode: 'at-least-once', passed: false, acknowledged: 5, read: 5, lost: 1, lostSamples: ['0:3'], outOfOrder: 1, duplicates: 1,
    });
  });

  it('tolerates duplicates at least once, and fails on any in idempotent mode', () => {
    const acked = [0, 1, 2].map((seq) => ({ partition: 0, seq }));
    const duplicated = new Map([[0, ['0:0', '0:1', '0:1', '0:2']]]);
    expect(verify(acked, duplicated)).toMatchObject({ passed: true, duplicates: 1 });
    expect(verify(acked, duplicated, 'idempotent')).toMatchObject({ mode: 'idempotent', passed: false, duplicates: 1, lost: 0, outOfOrder: 0 });
    // An unacknowledged write that made it once (its answer was lost) is fine either way.
    const clean = new Map([[0, ['0:0', '0:1', '0:2', '0:3']]]);
    expect(verify(acked, clean, 'idempotent')).toMatchObject({ passed: true, duplicates: 0 });
    // Reordered or lost: failed in both modes.
    expect(verify(acked, new Map([[0, ['0:0', '0:2', '0:1']]]), 'idempotent')).toMatchObject({ passed: false, outOfOrder: 1 });
    expect(verify(acked, new Map([[0, ['0:0', '0:2']]]), 'idempotent')).toMatchObject({ passed: false, lost: 1 });
  });

  it('accepts a clean history', () => {
    const acked = [{ partition: 2, seq: 0 }, { partition: 2, seq: 1 }];
    expect(verify(acked, new Map([[2, ['2:0', '2:1', '2:2']]]))).toMatchObject({ passed: true, lost: 0, outOfOrder: 0, duplicates: 0 });
  });

  it('measures the longest gap between acknowledgements in a window', () => {
    expect(longestGapMs([[100, 200, 900, 1000]], 150, 1000)).toBe(700);
    expect(longestGapMs([[100], [120, 130]], 100, 500)).toBe(400);
  });
});
