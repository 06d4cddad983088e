import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAt } from './file-io';
import { ReadBufferPool } from './read-buffer-pool';

describe('ReadBufferPool', () => {
  it('never hands out a buffer while a lease on it is open', () => {
    const pool = new ReadBufferPool();
    const live = new Set<ArrayBufferLike>();
    const held: Buffer[] = [];
    // Random acquire/release traffic over a few size classes: every acquired buffer is distinct
    // from every buffer still held, and the pool reuses released ones.
    let s = 7;
    const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
    let reused = 0;
    const seen = new Set<ArrayBufferLike>();
    for (let i = 0; i < 2000; i++) {
      if (held.length > 0 && rand() < 0.5) {
        const b = held.splice(Math.floor(rand() * held.length), 1)[0]!;
        live.delete(b.buffer);
        // Released through a sub-range view, as a read's answer cut to whole batches is.
        expect(pool.release(b.subarray(1, Math.max(1, b.length >> 1)))).toBe(true);
      } else {
        const len = [20_000, 65_536, 100_000, 1 << 20][Math.floor(rand() * 4)]!;
        const b = pool.acquire(len);
        expect(b.length).toBe(len);
        expect(live.has(b.buffer)).toBe(false);
        if (seen.has(b.buffer)) reused++;
        seen.add(b.buffer);
        live.add(b.buffer);
        held.push(b);
      }
    }
    expect(reused).toBeGreaterThan(100);
    expect(pool.stats().leased).toBe(held.length);
  });

  it('takes back only its own leases, once', () => {
    const pool = new ReadBufferPool();
    const a = pool.acquire(100_000);
    expect(pool.release(Buffer.alloc(100_000))).toBe(false); // not from the pool
    expect(pool.release(a)).toBe(true);
    expect(pool.release(a)).toBe(false); // a second release is ignored...
    const b = pool.acquire(100_000);
    expect(b.buffer).toBe(a.buffer); // ...so the reused buffer stays leased to its new holder
    expect(pool.release(a.subarray(0, 10))).toBe(true); // (b's lease: the same buffer)
    const c = pool.acquire(100_000);
    const d = pool.acquire(100_000);
    expect(c.buffer === d.buffer).toBe(false);
  });

  it('does not pool small or huge reads, and keeps at most maxFreeBytes free', () => {
    const pool = new ReadBufferPool(1 << 20, 16 << 10, 4 << 20);
    expect(pool.release(pool.acquire(100))).toBe(false);
    expect(pool.release(pool.acquire(5 << 20))).toBe(false);
    const bufs = Array.from({ length: 4 }, () => pool.acquire(300_000));
    for (const b of bufs) pool.release(b);
    expect(pool.stats()).toEqual({ leased: 0, freeBytes: 1 << 20, reused: 0 }); // two of 512 KiB kept, two dropped
  });

  it('readAt fills a leased buffer with the file bytes and gives it back when the read fails', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'read-pool-'));
    try {
      const data = Buffer.alloc(300_000);
      for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
      await writeFile(join(dir, 'f'), data);
      const pool = new ReadBufferPool();
      const fh = await open(join(dir, 'f'), 'r');
      const first = await readAt(fh, 1000, 200_000, pool);
      expect(first.equals(data.subarray(1000, 201_000))).toBe(true);
      // Past the end: the bytes present, in the leased buffer.
      const tail = await readAt(fh, 250_000, 100_000, pool);
      expect(tail.equals(data.subarray(250_000))).toBe(true);
      expect(pool.stats().leased).toBe(2);
      pool.release(first);
      pool.release(tail);
      await fh.close();
      await expect(readAt(fh, 0, 100_000, pool)).rejects.toThrow();
      expect(pool.stats().leased).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
