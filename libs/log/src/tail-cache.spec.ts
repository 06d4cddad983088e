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
      // Room for about three batches: the tail holds the newest bytes only.
      const { log, reads, spyActive } = await openCounted(dir, { tailCacheBytes: 3 * one });
      for (const b of await batches(8)) await log.append(b, { leaderEpoch: 1 });
      spyActive();
      const file = await readFile(log.segmentList()[0]!.paths.log);
      const held = log.segmentList()[0]!.tailBytes;
      expect(held).toBeGreaterThan(one);
      expect(held).toBeLessThanOrEqual(3 * one);
      expect((await log.read(14n, 1 << 20, all)).records.equals(file.subarray(7 * one))).toBe(true);
      expect(reads.disk).toBe(0);
      expect((await log.read(0n, 1 << 20, all)).records.equals(file)).toBe(true); // below the tail
      expect(reads.disk).toBeGreaterThan(0);
      const before = reads.disk;
      expect((await log.read(8n, 1 << 20, all)).records.equals(file.subarray(4 * one))).toBe(true); // straddles its start
      expect(reads.disk).toBeGreaterThan(before);
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
      expect(active!.tailBytes).toBeGreaterThan(0);
      const keys = (await recordKeys((await log.read(6n, 1 << 20, all)).records)).map((k) => k.key);
      expect(keys).toEqual(['b03-0', 'b03-1', 'b04-0', 'b04-1']);
      // A read from the sealed segment stops at its end, as on disk.
      expect((await recordKeys((await log.read(0n, 1 << 20, all)).records)).length).toBe(6);
      await log.close();
    }));

  it('a broker-wide budget evicts the oldest blocks of any log first', () => {
    const budget = new TailCacheBudget(768);
    const a = new SegmentTail(4096, budget); // blocks of 256 bytes
    const b = new SegmentTail(4096, budget);
    a.add(0, Buffer.alloc(256, 1));
    b.add(0, Buffer.alloc(256, 2));
    a.add(256, Buffer.alloc(256, 3));
    expect(budget.stats()).toEqual({ blocks: 3, bytes: 768 });
    b.add(256, Buffer.alloc(256, 4)); // evicts a's first block, the oldest anywhere
    expect(budget.stats()).toEqual({ blocks: 3, bytes: 768 });
    expect(a.read(0, 100)).toBeUndefined();
    expect(a.read(256, 256)).toEqual(Buffer.alloc(256, 3));
    expect(b.read(200, 112)).toEqual(Buffer.concat([Buffer.alloc(56, 2), Buffer.alloc(56, 4)]));
    b.clear();
    expect(budget.stats()).toEqual({ blocks: 1, bytes: 256 });
    expect(b.read(0, 10)).toBeUndefined();
  });

  it('a budget smaller than one block keeps nothing (and does not spin)', () => {
    const t = new SegmentTail(4096, new TailCacheBudget(100));
    t.add(0, Buffer.alloc(50, 1));
    expect(t.read(0, 50)).toBeUndefined();
    expect(t.size).toBe(0);
  });

  it('a per-partition limit evicts its own oldest blocks; a gap restarts the tail', () => {
    const t = new SegmentTail(600); // blocks of 256 bytes
    t.add(0, Buffer.alloc(256, 1));
    t.add(256, Buffer.alloc(256, 2));
    t.add(512, Buffer.alloc(256, 3));
    expect(t.size).toBe(512);
    expect(t.read(100, 10)).toBeUndefined();
    expect(t.read(500, 100)).toEqual(Buffer.concat([Buffer.alloc(12, 2), Buffer.alloc(88, 3)]));
    expect(t.read(700, 100)).toBeUndefined(); // past what was written
    t.add(1000, Buffer.alloc(10, 4));
    expect(t.size).toBe(256);
    expect(t.read(600, 10)).toBeUndefined();
    expect(t.read(1000, 10)).toEqual(Buffer.alloc(10, 4));
  });

  it('appends share fixed-size blocks; a large one spans several', () => {
    const t = new SegmentTail(1 << 20); // blocks of 64 KiB
    for (let i = 0; i < 100; i++) t.add(i * 100, Buffer.alloc(100, i));
    expect(t.size).toBe(64 << 10);
    t.add(10_000, Buffer.alloc(200 << 10, 9));
    expect(t.size).toBe(4 * (64 << 10)); // 10,000 + 200 KiB bytes in four blocks
    expect(t.read(9_950, 100)).toEqual(Buffer.concat([Buffer.alloc(50, 99), Buffer.alloc(50, 9)]));
    expect(t.read(10_000, 200 << 10)!.equals(Buffer.alloc(200 << 10, 9))).toBe(true);
  });

  it('reuses evicted blocks: a steady stream of appends allocates nothing once the tail is full', () => {
    const budget = new TailCacheBudget(1 << 20);
    const tails = [new SegmentTail(256 << 10, budget), new SegmentTail(256 << 10, budget)]; // blocks of 16 KiB
    const pos = [0, 0];
    const write = (i: number, n: number, fill: number) => {
      tails[i]!.add(pos[i]!, Buffer.alloc(n, fill));
      pos[i]! += n;
    };
    for (let k = 0; k < 100; k++) write(k % 2, 10_000, k);
    const afterFill = budget.shelf.allocated;
    expect(afterFill).toBeLessThanOrEqual(2 * 17);
    for (let k = 0; k < 2_000; k++) write(k % 2, 3_000 + (k % 7) * 1_000, k);
    expect(budget.shelf.allocated).toBe(afterFill);
    // A roll gives its blocks back; the next segment's tail takes them.
    tails[0]!.clear();
    const fresh = new SegmentTail(256 << 10, budget);
    for (let k = 0; k < 20; k++) fresh.add(k * 10_000, Buffer.alloc(10_000, k));
    expect(budget.shelf.allocated).toBe(afterFill);
    expect(fresh.read(190_000, 10_000)).toEqual(Buffer.alloc(10_000, 19));
  });

  it('a read is a copy that later appends into reused blocks do not change', () => {
    const t = new SegmentTail(1024); // blocks of 256 bytes, four at most
    t.add(0, Buffer.alloc(300, 1));
    const got = t.read(0, 300)!;
    const inOne = t.read(10, 20)!;
    for (let i = 0; i < 20; i++) t.add(300 + i * 200, Buffer.alloc(200, 2 + i)); // evicts and reuses every block
    expect(t.read(0, 300)).toBeUndefined();
    expect(got).toEqual(Buffer.alloc(300, 1));
    expect(inOne).toEqual(Buffer.alloc(20, 1));
    expect(t.read(300 + 19 * 200, 200)).toEqual(Buffer.alloc(200, 21));
  });

  it('copies what it keeps instead of keeping the appended buffer alive', () => {
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

describe('pooled reads of the log', () => {
  it('lease a buffer for a tail read across blocks and for a disk read; the bytes are the file bytes', () =>
    withTempDir(async (dir) => {
      const { ReadBufferPool } = await import('./read-buffer-pool');
      // Tail blocks of 64 KiB: 40 batches of ~20 KiB span several blocks.
      const { log, reads, spyActive } = await openCounted(dir, { tailCacheBytes: 1 << 20 });
      try {
        const input = await batches(40, 20, 1000);
        for (const b of input) await log.append(b, { leaderEpoch: 0 });
        log.highWatermark = log.logEndOffset;
        const file = await readFile(log.segmentList()[0]!.paths.log);
        const pool = new ReadBufferPool();
        spyActive();
        // Across tail blocks, from memory: a leased copy, byte-identical to the file.
        const across = await log.read(0n, 200_000, { ...all, pool });
        expect(reads.disk).toBe(0);
        expect(across.records.length).toBeGreaterThan(64 << 10);
        expect(across.records.equals(file.subarray(0, across.records.length))).toBe(true);
        expect(pool.release(across.records)).toBe(true);
        // Without a pool the same read is a fresh buffer, not leased.
        const plain = await log.read(0n, 200_000, all);
        expect(plain.records.equals(across.records)).toBe(true);
        expect(pool.release(plain.records)).toBe(false);
      } finally {
        await log.close();
      }
    }));

  it('readHeld answers what the tail holds without a promise, the same bytes read() gives, and defers the rest to read()', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, { segmentBytes: 2048 });
      for (const b of await batches(12)) await log.append(b, { leaderEpoch: 1 });
      const active = log.segmentList().at(-1)!;
      expect(log.segmentList().length).toBeGreaterThan(1);
      const held = log.readHeld(active.baseOffset, 1 << 20, all);
      expect(held).toBeDefined();
      expect(held!.records.equals((await log.read(active.baseOffset, 1 << 20, all)).records)).toBe(true);
      expect(held!.logEndOffset).toBe(log.logEndOffset);
      // At the end: an empty answer, still without the disk.
      expect(log.readHeld(log.logEndOffset, 1 << 20, all)!.records.length).toBe(0);
      // Below the active segment only the disk has it.
      expect(log.readHeld(0n, 1 << 20, all)).toBeUndefined();
      expect((await log.read(0n, 1 << 20, all)).records.length).toBeGreaterThan(0);
      await log.close();
      expect(log.readHeld(active.baseOffset, 1 << 20, all)).toBeUndefined();
    }));
});
