import { BATCH, buildRecordBatch, CompressionType, decodeRecordBatches, RecordsError } from '@dms/kafka-codec';
import { keyHash } from './key-hash';
import { KeyScanner } from './key-scan';
import { SegmentKeyIndex } from './segment-key-index';

/** A small deterministic generator (the spec must fail the same way twice). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const CODECS = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

function randomKey(next: () => number): Buffer | null {
  const r = next();
  if (r < 0.15) return null;
  if (r < 0.2) return Buffer.alloc(0);
  if (r < 0.3) return Buffer.alloc(100 + Math.floor(next() * 300), Math.floor(next() * 256)); // multi-byte length varints
  if (r < 0.4) return Buffer.from([0, 255, Math.floor(next() * 256)]);
  return Buffer.from(`user-${Math.floor(next() * 20)}`); // repeats within a batch
}

describe('KeyScanner (keys hashed straight from batch bytes)', () => {
  it('files each data batch with exactly the distinct hashes of its non-null keys, in every codec', async () => {
    const next = rng(11);
    const scanner = new KeyScanner();
    const index = new SegmentKeyIndex(0n);
    const expected: { position: number; size: number; hashes: Set<number>; baseOffset: bigint; lastOffset: bigint; maxTimestamp: bigint }[] = [];
    let position = 0;
    let offset = 0n;
    for (let b = 0; b < 60; b++) {
      const count = 1 + Math.floor(next() * 40);
      const compression = CODECS[b % CODECS.length]!;
      const batch = await buildRecordBatch({
        baseOffset: offset,
        compression,
        records: Array.from({ length: count }, (_, i) => ({ key: randomKey(next), value: `v${i}`.repeat(1 + Math.floor(next() * 20)), timestamp: 1_700_000_000_000n + BigInt(b * 100 + i) })),
      });
      // Placed inside a larger buffer, as batches sit in a read chunk.
      const chunk = Buffer.concat([Buffer.alloc(7, 0xaa), batch, Buffer.alloc(5, 0xbb)]);
      await scanner.indexAny(index, chunk, 7, batch.length, position);
      const [decoded] = await decodeRecordBatches(batch);
      const hashes = new Set(decoded!.records.filter((r) => r.key !== null).map((r) => keyHash(r.key!)));
      expected.push({ position, size: batch.length, hashes, baseOffset: offset, lastOffset: offset + BigInt(count - 1), maxTimestamp: decoded!.header.maxTimestamp });
      position += batch.length;
      offset += BigInt(count);
    }
    expect(index.batches).toBe(expected.length);
    expect(index.entries).toBe(expected.reduce((n, e) => n + e.hashes.size, 0));
    const all = new Set(expected.flatMap((e) => [...e.hashes]));
    for (const form of ['growing', 'frozen'] as const) {
      if (form === 'frozen') index.freeze();
      for (const h of all) {
        const want = expected.filter((e) => e.hashes.has(h)).map(({ position, size, baseOffset, lastOffset, maxTimestamp }) => ({ position, size, baseOffset, lastOffset, maxTimestamp }));
        expect(index.lookup(h)).toEqual(want);
      }
    }
  });

  it('skips control batches and leaves the index unchanged when a batch is malformed', async () => {
    const scanner = new KeyScanner();
    const index = new SegmentKeyIndex(0n);
    const control = await buildRecordBatch({ control: true, transactional: true, producerId: 5n, records: [{ key: Buffer.from([0, 0, 0, 0]), value: Buffer.from([0, 0, 0, 0, 0, 0]) }] });
    scanner.indexPlain(index, control, 0, control.length, 0);
    expect(index.batches).toBe(0);

    const good = await buildRecordBatch({ records: [{ key: 'a', value: 'x' }, { key: 'b', value: 'y' }] });
    // The second record's key length claims more bytes than the record holds.
    const badKey = Buffer.from(good);
    const secondKeyLength = badKey.lastIndexOf(Buffer.from('b')) - 1;
    badKey[secondKeyLength] = 0x7e; // zigzag 63
    expect(() => scanner.indexPlain(index, badKey, 0, badKey.length, 0)).toThrow(RecordsError);
    // One record more than the bytes hold.
    const badCount = Buffer.from(good);
    badCount.writeInt32BE(3, BATCH.recordCount);
    expect(() => scanner.indexPlain(index, badCount, 0, badCount.length, 0)).toThrow(RecordsError);
    // One record fewer: bytes left over.
    const extra = Buffer.from(good);
    extra.writeInt32BE(1, BATCH.recordCount);
    expect(() => scanner.indexPlain(index, extra, 0, extra.length, 0)).toThrow(RecordsError);
    expect(index.batches).toBe(0);
    expect(index.entries).toBe(0);

    // The scratch state does not leak into the next batch.
    scanner.indexPlain(index, good, 0, good.length, 0);
    expect(index.entries).toBe(2);
    expect(index.lookup(keyHash(Buffer.from('a')))).toHaveLength(1);
  });
});
