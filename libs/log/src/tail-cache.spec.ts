import { readFile } from 'node:fs/promises';
import { PartitionLog } from './partition-log';
import { SegmentTail, TailCacheBudget } from './tail-cache';
import { recordKeys, testBatch, withTempDir } from './testing/test-batches';

const all = { upperBound: 1n << 62n, minOneBatch: true };

/** A log whose disk reads are counted: the in-memory tail must answer the others. */
async function openCounted(dir: string, config: Parameters<typeof PartitionLog.open>[1] = {}) {
  const log = await PartitionLog.open(dir, config);
  const reads = { disk: 0 };
  const spyActive = () => {
    for (const seg of log.segmentList()) {
      const withLog = (seg as unknown as { withLog: (fn: unknown) => Promise<unknown> }).withLog.bind(seg);
      (seg as unknown as { withLog: unknown }).withLog = (fn: unknown) => {
        reads.disk++;
        return withLog(fn);
      };
    }
  };
  return { log, reads, spyActive };
}

async function batches(n: number, records = 2, valueBytes = 100, prefix = 'b') {
  return Promise.all(Array.from({ length: n }, (_, i) => testBatch({ records, valueBytes, tag: `${prefix}${String(i).padStart(2, '0')}` })));
}

describe('in-memory tail of a log', () => {
  it('answers reads inside the tail from memory with exactly the bytes on disk', () =>
    withTempDir(async (dir) => {
      const { log, reads, spyActive } = await openCounted(dir);
      for (const b of await batches(10)) await log.append(b, { leaderEpoch: 1 });
      spyActive();
      const fromMemory = await log.read(0n, 1 << 20, all);
      const mid = await log.read(7n, 1 << 20, all); // inside the batch 6..7
      expect(reads.disk).toBe(0);
      const file = await readFile(log.segmentList()[0]!.paths.log);
      expect(fromMemory.records.equals(file)).toBe(true);
      const size = file.length / 10;
      expect(mid.records.equals(file.subarray(3 * size))).toBe(true);
      // upperBound (a consumer's high watermark): whole batches below it only.
      const bounded = await log.read(2n, 1 << 20, { upperBound: 6n, minOneBatch: true });
      expect(bounded.records.equals(file.subarray(size, 3 * size))).toBe(true);
      expect(reads.disk).toBe(0);
      await log.close();
    }));

  it('applies maxBytes and minOneBatch exactly as a disk read does', () =>
    withTempDir(async (dir) => {
      const { log, reads, spyActive } = await openCounted(dir);
      for (const b of await batches(6)) await log.append(b, { leaderEpoch: 1 });
      spyActive();
      const file = await readFile(log.segmentList()[0]!.paths.log);
      const size = file.length / 6;
      expect((await log.read(0n, 2 * size + 5, all)).records.equals(file.subarray(0, 2 * size))).toBe(true);
      expect((await log.read(0n, size - 1, all)).records.equals(file.subarray(0, size))).toBe(true);
      expect((await log.read(0n, size - 1, { ...all, minOneBatch: false })).records.length).toBe(0);
      expect(reads.disk).toBe(0);
      await log.close();
    }));

  it('reads outside the tail and straddling its start go to disk, with the same answer', () =>
    withTempDir(async (dir) => {
      const one = (await testBatch({ records: 2, valueBytes: 100, tag: 'b00' })).length;
      // Room for 3 batches: one write per append, so the tail holds the last three.
      const { log, reads, spyActive } = await openCounted(dir, { tailCacheBytes: 3 * one });
      for (const b of await batches(8)) await log.append(b, { leaderEpoch: 1 });
      spyActive();
      const file = await readFile(log.segmentList()[0]!.paths.log);
      expect(log.segmentList()[0]!.tailBytes).toBe(3 * one);
      expect((await log.read(10n, 1 << 20, all)).records.equals(file.subarray(5 * one))).toBe(true);
      const memoryReads = reads.disk;
      expect((await log.read(0n, 1 << 20, all)).records.equals(file)).toBe(true); // below the tail
      expect((await log.read(8n, 1 << 20, all)).records.equals(file.subarray(4 * one))).toBe(true); // straddles it
      expect(reads.disk).toBeGreaterThan(memoryReads);
      await log.close();
    }));

  it('drops the tail on truncation and serves the truncated log correctly after', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, {});
      for (const b of await batches(6, 2, 100, 'x')) await log.appendWithOffsets(await stamp(b, log.logEndOffset));
      await log.truncateTo(6n);
      expect(log.segmentList()[0]!.tailBytes).toBe(0);
      for (const b of await batches(2, 2, 100, 'y')) await log.append(b, { leaderEpoch: 2 });
      const keys = (await recordKeys((await log.read(0n, 1 << 20, all)).records)).map((k) => `${k.offset}:${k.key}`);
      expect(keys).toEqual(['0:x00-0', '1:x00-1', '2:x01-0', '3:x01-1', '4:x02-0', '5:x02-1', '6:y00-0', '7:y00-1', '8:y01-0', '9:y01-1']);
      expect((await log.read(0n, 1 << 20, all)).records.equals(await readFile(log.segmentList()[0]!.paths.log))).toBe(true);
      await log.resetTo(100n);
      expect(log.segmentList()[0]!.tailBytes).toBe(0);
      await log.close();
    }));

  it('starts a fresh tail on roll; the sealed segment holds no memory', () =>
    withTempDir(async (dir) => {
      const one = (await testBatch({ records: 2, valueBytes: 100, tag: 'b00' })).length;
      const log = await PartitionLog.open(dir, { segmentBytes: 3 * one });
      const bs = await batches(5);
      for (const b of bs) await log.append(b, { leaderEpoch: 1 });
      const [sealed, active] = log.segmentList();
      expect(sealed!.tailBytes).toBe(0);
      expect(active!.tailBytes).toBe(2 * one);
      const keys = (await recordKeys((await log.read(6n, 1 << 20, all)).records)).map((k) => k.key);
      expect(keys).toEqual(['b03-0', 'b03-1', 'b04-0', 'b04-1']);
      // A read from the sealed segment stops at its end, as on disk.
      expect((await recordKeys((await log.read(0n, 1 << 20, all)).records)).length).toBe(6);
      await log.close();
    }));

  it('a broker-wide budget evicts the oldest chunks of any log first', () => {
    const budget = new TailCacheBudget(300);
    const a = new SegmentTail(1000, budget);
    const b = new SegmentTail(1000, budget);
    a.add(0, Buffer.alloc(100, 1));
    b.add(0, Buffer.alloc(100, 2));
    a.add(100, Buffer.alloc(100, 3));
    expect(budget.stats()).toEqual({ chunks: 3, bytes: 300 });
    b.add(100, Buffer.alloc(100, 4)); // evicts a's first chunk, the oldest anywhere
    expect(budget.stats()).toEqual({ chunks: 3, bytes: 300 });
    expect(a.read(0, 100)).toBeUndefined();
    expect(a.read(100, 100)).toEqual(Buffer.alloc(100, 3));
    expect(b.read(0, 200)).toEqual(Buffer.concat([Buffer.alloc(100, 2), Buffer.alloc(100, 4)]));
    b.clear();
    expect(budget.stats()).toEqual({ chunks: 1, bytes: 100 });
    expect(b.read(0, 10)).toBeUndefined();
  });

  it('a per-partition limit evicts its own oldest chunks; a gap restarts the tail', () => {
    const t = new SegmentTail(250);
    t.add(0, Buffer.alloc(100, 1));
    t.add(100, Buffer.alloc(100, 2));
    t.add(200, Buffer.alloc(100, 3));
    expect(t.size).toBe(200);
    expect(t.read(50, 100)).toBeUndefined();
    expect(t.read(150, 100)).toEqual(Buffer.concat([Buffer.alloc(50, 2), Buffer.alloc(50, 3)]));
    expect(t.read(250, 100)).toBeUndefined(); // past what was written
    t.add(500, Buffer.alloc(10, 4));
    expect(t.size).toBe(10);
    expect(t.read(200, 10)).toBeUndefined();
    expect(t.read(500, 10)).toEqual(Buffer.alloc(10, 4));
  });

  it('copies a small slice of a large buffer instead of keeping the whole buffer alive', () => {
    const t = new SegmentTail(1 << 20);
    const big = Buffer.alloc(1 << 20, 7);
    const slice = big.subarray(10, 110);
    t.add(0, slice);
    const got = t.read(0, 100)!;
    expect(got.equals(slice)).toBe(true);
    expect(got.buffer).not.toBe(big.buffer);
  });
});

/** A batch as a leader would have written it at `offset` (for appendWithOffsets). */
async function stamp(batch: Buffer, offset: bigint): Promise<Buffer> {
  const { BATCH, rewriteBatchCrc } = await import('@dms/kafka-codec');
  batch.writeBigInt64BE(offset, BATCH.baseOffset);
  batch.writeInt32BE(1, BATCH.partitionLeaderEpoch);
  rewriteBatchCrc(batch, 0);
  return batch;
}
