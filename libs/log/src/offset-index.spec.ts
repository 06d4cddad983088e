import { OffsetIndex } from './offset-index';
import { TimeIndex } from './time-index';

describe('OffsetIndex', () => {
  const idx = new OffsetIndex(100n);
  idx.append(104n, 500);
  idx.append(110n, 1200);
  idx.append(130n, 4000);

  it('gives the position of the last indexed batch at or below an offset', () => {
    expect(idx.lookup(50n)).toBe(0);
    expect(idx.lookup(103n)).toBe(0);
    expect(idx.lookup(104n)).toBe(500);
    expect(idx.lookup(129n)).toBe(1200);
    expect(idx.lookup(130n)).toBe(4000);
    expect(idx.lookup(1n << 40n)).toBe(4000);
  });

  it('encodes Kafka entries and refuses files it cannot trust', () => {
    const bytes = idx.encode(0, idx.count);
    expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0, 0, 0, 4, 0, 0, 1, 0xf4]));
    expect(OffsetIndex.decode(100n, bytes, 5000)?.lookup(111n)).toBe(1200);
    expect(OffsetIndex.decode(100n, bytes.subarray(0, 12), 5000)).toBeUndefined(); // torn entry
    expect(OffsetIndex.decode(100n, bytes, 3000)).toBeUndefined(); // points past the log
    const swapped = Buffer.concat([bytes.subarray(8, 16), bytes.subarray(0, 8)]);
    expect(OffsetIndex.decode(100n, swapped, 5000)).toBeUndefined(); // not increasing
  });
});

describe('TimeIndex', () => {
  it('keeps only growing timestamps and looks up the last entry at or below a time', () => {
    const t = new TimeIndex(0n);
    expect(t.maybeAppend(1000n, 3n)).toBe(true);
    expect(t.maybeAppend(1000n, 5n)).toBe(false);
    expect(t.maybeAppend(2000n, 9n)).toBe(true);
    expect(t.lookup(999n)).toBeUndefined();
    expect(t.lookup(1500n)).toBe(3n);
    expect(t.lookup(2000n)).toBe(9n);
    const bytes = t.encode(0, t.count);
    expect(bytes.length).toBe(24);
    expect(TimeIndex.decode(0n, bytes, 10n)?.last()).toEqual({ timestamp: 2000n, offset: 9n });
    expect(TimeIndex.decode(0n, bytes, 9n)).toBeUndefined();
  });
});
