import { buildRecordBatch, CompressionType, decodeRecordBatches } from '@dms/kafka-codec';
import { PartitionLog } from '../partition-log';
import { withTempDir } from '../testing/test-batches';
import { keyHash } from './key-hash';
import { SegmentKeyIndex } from './segment-key-index';
import { indexSegmentRange } from './segment-reader';

const CODECS = [CompressionType.None, CompressionType.None, CompressionType.Lz4, CompressionType.None, CompressionType.Zstd];

/** What the index must say, from the decoded log: hash -> offsets of the batches holding it. */
async function expectedBatches(log: PartitionLog): Promise<Map<number, bigint[]>> {
  const seg = log.segmentList()[0]!;
  const out = new Map<number, bigint[]>();
  for (const b of await decodeRecordBatches(await seg.read(0, seg.writtenSize))) {
    if (b.header.isControl) continue;
    for (const h of new Set(b.records.filter((r) => r.key !== null).map((r) => keyHash(r.key!)))) out.set(h, [...(out.get(h) ?? []), b.header.baseOffset]);
  }
  return out;
}

function answers(idx: SegmentKeyIndex, hashes: Iterable<number>): Map<number, bigint[]> {
  const out = new Map<number, bigint[]>();
  for (const h of hashes) out.set(h, idx.lookup(h).map((b) => b.baseOffset));
  return out;
}

describe('indexSegmentRange (tail, pooled file reads, mixed codecs)', () => {
  it('indexes the same whether the bytes come from a small in-memory tail, the file, or both, step by step or at once', () =>
    withTempDir(async (dir) => {
      // A 16 KiB tail in 1 KiB blocks: steps read views of one block, copies across blocks, and the file.
      const log = await PartitionLog.open(dir, { segmentBytes: 64 << 20, tailCacheBytes: 16 << 10 });
      const stepped = new SegmentKeyIndex(0n);
      const seg = log.segmentList()[0]!;
      for (let b = 0; b < 300; b++) {
        const n = 1 + (b % 9);
        const records = Array.from({ length: n }, (_, i) => ({ key: i === 0 && b % 4 === 0 ? null : `k-${(b * 3 + i) % 37}`, value: 'v'.repeat(50 + ((b * 13) % 400)) }));
        await log.append(await buildRecordBatch({ compression: CODECS[b % CODECS.length], records }), { leaderEpoch: 0 });
        if (b % 7 === 6) await indexSegmentRange(seg, stepped, Math.min(seg.writtenSize, stepped.coverage.size + 3000));
      }
      for (let guard = 0; stepped.coverage.size < seg.writtenSize && guard < 1000; guard++) {
        await indexSegmentRange(seg, stepped, Math.min(seg.writtenSize, stepped.coverage.size + 5000));
      }
      const whole = new SegmentKeyIndex(0n);
      await indexSegmentRange(seg, whole, seg.writtenSize);
      const expected = await expectedBatches(log);
      expect(answers(stepped, expected.keys())).toEqual(expected);
      expect(answers(whole, expected.keys())).toEqual(expected);
      expect(stepped.coverage).toEqual(whole.coverage);
      expect(stepped.coverage.size).toBe(seg.writtenSize);
      expect(stepped.encode()).toEqual(whole.encode());
      await log.close();
    }));
});
