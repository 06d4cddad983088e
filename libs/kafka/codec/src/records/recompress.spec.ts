import { BATCH, CompressionType, batchCrcMatches, readBatchHeader } from './batch-header';
import { buildRecordBatch, decodeRecordBatch } from './record-batch';
import { recompressBatch } from './recompress';

const codecs = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

describe('recompressBatch', () => {
  it('moves a batch between every pair of codecs keeping every record and header field', async () => {
    const records = Array.from({ length: 20 }, (_, i) => ({
      key: i % 3 === 0 ? null : `k${i}`,
      value: i === 5 ? null : `value ${i} `.repeat(20),
      headers: [{ key: 'h', value: `v${i}` }, { key: 'empty', value: null }],
      timestamp: 1_700_000_000_000 + (i % 4) * 7 - 5,
    }));
    for (const from of codecs) {
      const original = await buildRecordBatch({
        compression: from, records, producerId: 42n, producerEpoch: 3, baseSequence: 17, partitionLeaderEpoch: 9,
      });
      const before = await decodeRecordBatch(original);
      for (const to of codecs) {
        const moved = await recompressBatch(original, to);
        expect(batchCrcMatches(moved, 0)).toBe(true);
        const after = await decodeRecordBatch(moved);
        expect(after.header.compression).toBe(to);
        const { crc: _a, sizeInBytes: _b, attributes: _c, ...rest } = after.header;
        const { crc: _d, sizeInBytes: _e, attributes: _f, ...restBefore } = before.header;
        expect({ ...rest, compression: 0 }).toEqual({ ...restBefore, compression: 0 });
        expect(after.records).toEqual(before.records);
        if (to === from) expect(moved.equals(original)).toBe(true);
      }
    }
  });

  it('keeps the timestamp type and transactional bits and only rewrites the codec bits', async () => {
    const original = await buildRecordBatch({ compression: CompressionType.Gzip, transactional: true, records: [{ value: 'x' }] });
    const moved = await recompressBatch(original, CompressionType.Zstd);
    expect(readBatchHeader(moved).attributes).toBe((readBatchHeader(original).attributes & ~7) | CompressionType.Zstd);
    expect(moved.readInt32BE(BATCH.batchLength) + 12).toBe(moved.length);
  });
});
