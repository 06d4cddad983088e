import { GrowingHashes } from './growing-hashes';
import { SegmentKeyIndex } from './segment-key-index';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

describe('GrowingHashes (the active index in typed arrays)', () => {
  it('answers like a map of arrays through growth, rehashes and colliding slots, and sorts by (hash, ordinal)', () => {
    const next = rng(7);
    const g = new GrowingHashes();
    const ref = new Map<number, number[]>();
    // Hashes that share their low bits (one slot region), repeats within an ordinal, the extremes.
    const pool = [0, 0xffffffff, ...Array.from({ length: 3000 }, (_, i) => ((i << 20) | 0x5) >>> 0), ...Array.from({ length: 40_000 }, () => next())];
    for (let ordinal = 0; ordinal < 5000; ordinal++) {
      const n = 1 + (next() % 20);
      for (let i = 0; i < n; i++) {
        const h = pool[next() % pool.length]!;
        g.add(h, ordinal);
        if (next() % 4 === 0) g.add(h, ordinal); // a key repeated in the batch
        const list = ref.get(h);
        if (!list) ref.set(h, [ordinal]);
        else if (list[list.length - 1] !== ordinal) list.push(ordinal);
      }
    }
    let postings = 0;
    const got = new Map<number, number[]>();
    for (const [h, list] of ref) {
      const ordinals: number[] = [];
      g.forEach(h, (o) => ordinals.push(o));
      got.set(h, ordinals);
      postings += list.length;
    }
    expect(got).toEqual(ref);
    expect(g.postings).toBe(postings);
    const none: number[] = [];
    g.forEach(0x12345678, (o) => none.push(o));
    expect(none).toEqual(ref.get(0x12345678) ?? []);

    const sorted = g.sorted();
    expect(sorted.length).toBe(postings * 8);
    const want = [...ref].sort((a, b) => a[0] - b[0]).flatMap(([h, list]) => list.map((o) => `${h}:${o}`));
    const have = Array.from({ length: postings }, (_, i) => `${sorted.readUInt32BE(i * 8)}:${sorted.readUInt32BE(i * 8 + 4)}`);
    expect(have).toEqual(want);
  });

  it('a SegmentKeyIndex encoded, decoded and grown again (thawed) answers as the one built in one go', () => {
    const batch = (i: number) => ({ position: i * 100, size: 100, baseOffset: BigInt(i * 10), lastOffset: BigInt(i * 10 + 9), maxTimestamp: 1_700_000_000_000n + BigInt(i) });
    const hashesOf = (i: number) => [i % 7, (i * 31) % 11, 0xfffffff0 + (i % 3)];
    const whole = new SegmentKeyIndex(5n);
    for (let i = 0; i < 200; i++) whole.add(batch(i), hashesOf(i));
    const part = new SegmentKeyIndex(5n);
    for (let i = 0; i < 120; i++) part.add(batch(i), hashesOf(i));
    const decoded = SegmentKeyIndex.decode(part.encode(), 5n) as SegmentKeyIndex;
    for (let i = 120; i < 200; i++) decoded.add(batch(i), hashesOf(i));
    expect(decoded.entries).toBe(whole.entries);
    for (let h = 0; h < 11; h++) expect(decoded.lookup(h)).toEqual(whole.lookup(h));
    for (const h of [0xfffffff0, 0xfffffff1, 0xfffffff2]) expect(decoded.lookup(h)).toEqual(whole.lookup(h));
    expect(decoded.encode().subarray(48)).toEqual(whole.encode().subarray(48));
  });
});
