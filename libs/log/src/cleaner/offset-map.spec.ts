import { OFFSET_MAP_ENTRY_BYTES, OffsetMap } from './offset-map';

const k = (s: string) => Buffer.from(s);

describe('OffsetMap', () => {
  it('keeps the last offset put per key and answers -1 for unknown keys', () => {
    const m = new OffsetMap(1 << 20);
    expect(m.get(k('a'))).toBe(-1n);
    m.put(k('a'), 1n);
    m.put(k('b'), 2n);
    m.put(k('a'), 3n);
    expect(m.get(k('a'))).toBe(3n);
    expect(m.get(k('b'))).toBe(2n);
    expect(m.get(k('c'))).toBe(-1n);
    expect(m.size).toBe(2);
    expect(m.latestOffset).toBe(3n);
    m.clear();
    expect(m.size).toBe(0);
    expect(m.get(k('a'))).toBe(-1n);
    expect(m.latestOffset).toBe(-1n);
  });

  it('grows past its first table and keeps every key', () => {
    const m = new OffsetMap(1 << 22);
    for (let i = 0; i < 20_000; i++) m.put(k(`key-${i}`), BigInt(i));
    for (let i = 0; i < 20_000; i += 997) expect(m.get(k(`key-${i}`))).toBe(BigInt(i));
    expect(m.size).toBe(20_000);
  });

  it('is bounded by its byte budget: full at 90 % of its slots', () => {
    const m = new OffsetMap(100 * OFFSET_MAP_ENTRY_BYTES);
    expect(m.capacity).toBe(90);
    for (let i = 0; i < 90; i++) m.put(k(`k${i}`), BigInt(i));
    expect(m.isFull).toBe(true);
    // Updating a known key never needs a new slot.
    m.put(k('k5'), 500n);
    expect(m.get(k('k5'))).toBe(500n);
    for (let i = 0; i < 90; i++) if (i !== 5) expect(m.get(k(`k${i}`))).toBe(BigInt(i));
  });
});
