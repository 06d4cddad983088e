import { keyDigest } from './key-digest';

const hex = (key: Buffer) => {
  const out = new Uint32Array(4);
  keyDigest(key, 0, key.length, out);
  return Buffer.from(out.buffer).toString('hex');
};

describe('keyDigest', () => {
  it('is deterministic and tells apart keys of every tail length and single-bit changes', () => {
    const seen = new Set<string>();
    const base = Buffer.alloc(48, 0x61);
    for (let len = 0; len <= 48; len++) {
      const key = base.subarray(0, len);
      expect(hex(key)).toBe(hex(Buffer.from(key)));
      // The same key inside a larger buffer digests the same.
      const inside = Buffer.concat([Buffer.from('prefix'), key, Buffer.from('suffix')]);
      const out = new Uint32Array(4);
      keyDigest(inside, 6, len, out);
      expect(Buffer.from(out.buffer).toString('hex')).toBe(hex(key));
      seen.add(hex(key));
      for (let bit = 0; bit < len * 8; bit += 5) {
        const flipped = Buffer.from(key);
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        seen.add(hex(flipped));
      }
    }
    let expected = 0;
    for (let len = 0; len <= 48; len++) expected += 1 + Math.ceil((len * 8) / 5);
    expect(seen.size).toBe(expected);
  });

  it('spreads 500,000 similar keys without a collision, even in the first 32 bits used to place them', () => {
    const full = new Set<string>();
    const first = new Set<number>();
    const out = new Uint32Array(4);
    for (let i = 0; i < 500_000; i++) {
      const key = Buffer.from(`user-${i}`);
      keyDigest(key, 0, key.length, out);
      full.add(`${out[0]}:${out[1]}:${out[2]}:${out[3]}`);
      first.add(out[0]!);
    }
    expect(full.size).toBe(500_000);
    // 500k values in 2^32: about 29 birthday collisions expected; a poor mix gives thousands.
    expect(500_000 - first.size).toBeLessThan(200);
  });
});
