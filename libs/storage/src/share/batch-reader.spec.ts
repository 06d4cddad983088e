import { buildRecordBatch } from '@dms/kafka-codec';
import { splitBatches } from './batch-reader';

async function batchAt(baseOffset: bigint, n: number): Promise<Buffer> {
  const b = await buildRecordBatch({ records: Array.from({ length: n }, (_, i) => ({ value: `v${i}` })) });
  b.writeBigInt64BE(baseOffset, 0);
  return b;
}

describe('splitBatches', () => {
  it('gives each whole batch with its offset range and leaves a torn tail out', async () => {
    const a = await batchAt(10n, 3);
    const b = await batchAt(13n, 2);
    const buf = Buffer.concat([a, b, b.subarray(0, 20)]);
    expect(splitBatches(buf).map((x) => [x.baseOffset, x.lastOffset, x.bytes.length])).toEqual([[10n, 12n, a.length], [13n, 14n, b.length]]);
  });

  it('reads nothing from an empty or truncated buffer', async () => {
    expect(splitBatches(Buffer.alloc(0))).toEqual([]);
    expect(splitBatches((await batchAt(0n, 1)).subarray(0, 30))).toEqual([]);
  });
});
