import * as snappy from 'snappy';
import { compressFrameSync } from 'lz4-napi';
import * as zstd from '@mongodb-js/zstd';
import { CompressionType } from './batch-header';
import { compress, decompress, lz4OutputBound, zstdOutputBound } from './compression';
import { RecordsError } from './records-error';

const CODECS = [CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

function sample(size: number): Buffer {
  const buf = Buffer.alloc(size);
  let x = 12345;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    buf[i] = i % 3 === 0 ? x >>> 24 : 97 + (i % 11); // partly compressible
  }
  return buf;
}

describe('compression', () => {
  it.each(CODECS)('round-trips codec %s for empty, small and large inputs', async (type) => {
    for (const input of [Buffer.alloc(0), Buffer.from('hello kafka'), sample(300_000)]) {
      const packed = await compress(type, input);
      const out = await decompress(type, packed);
      expect(out.equals(input)).toBe(true);
    }
  });

  it('passes uncompressed data through', async () => {
    const b = Buffer.from('x');
    expect(await compress(CompressionType.None, b)).toBe(b);
    expect(await decompress(CompressionType.None, b)).toBe(b);
  });

  it('writes snappy in xerial framing with 32 KiB chunks, as the Java producer does', async () => {
    const input = sample(70_000);
    const packed = await compress(CompressionType.Snappy, input);
    expect(packed.subarray(0, 8).toString('hex')).toBe('82534e4150505900');
    expect(packed.readInt32BE(8)).toBe(1);
    expect(packed.readInt32BE(12)).toBe(1);
    let pos = 16;
    const chunks: Buffer[] = [];
    while (pos < packed.length) {
      const len = packed.readInt32BE(pos);
      chunks.push(snappy.uncompressSync(packed.subarray(pos + 4, pos + 4 + len), { asBuffer: true }) as Buffer);
      pos += 4 + len;
    }
    expect(chunks.map((c) => c.length)).toEqual([32768, 32768, 70_000 - 65536]);
    expect(Buffer.concat(chunks).equals(input)).toBe(true);
  });

  it('reads raw snappy blocks, as librdkafka writes them', async () => {
    const input = sample(50_000);
    const raw = snappy.compressSync(input);
    expect((await decompress(CompressionType.Snappy, raw)).equals(input)).toBe(true);
  });

  it('reads LZ4 frames and zstd frames written by the native libraries', async () => {
    const input = sample(100_000);
    expect((await decompress(CompressionType.Lz4, compressFrameSync(input))).equals(input)).toBe(true);
    expect((await decompress(CompressionType.Zstd, await zstd.compress(input, 3))).equals(input)).toBe(true);
  });

  it.each(CODECS)('caps the decompressed size for codec %s', async (type) => {
    const packed = await compress(type, Buffer.alloc(1_000_000));
    await expect(decompress(type, packed, 100_000)).rejects.toMatchObject({ name: 'RecordsError', reason: 'too-large' });
    // The pre-decode bound is conservative (LZ4 ~0.4%), so allow a little headroom here.
    expect((await decompress(type, packed, 1_010_000)).length).toBe(1_000_000);
  });

  it('rejects a snappy block whose preamble claims a huge length before decoding it', async () => {
    const hostile = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]); // claims 4 GiB
    await expect(decompress(CompressionType.Snappy, hostile)).rejects.toMatchObject({ reason: 'too-large' });
  });

  it('rejects a zstd frame declaring a huge content size before decoding it', async () => {
    // magic, FHD: 8-byte FCS + single segment, FCS = 2^40, one RLE block of 1 byte
    const hostile = Buffer.concat([
      Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xe0]),
      Buffer.from([0, 0, 0, 0, 0, 1, 0, 0]),
      Buffer.from([0x0b, 0x00, 0x00, 0x61]),
    ]);
    expect(zstdOutputBound(hostile)).toBeGreaterThan(2 ** 39);
    await expect(decompress(CompressionType.Zstd, hostile)).rejects.toMatchObject({ reason: 'too-large' });
  });

  it('bounds zstd RLE bombs from their block headers', async () => {
    // 3000 RLE blocks of 128 KiB each from ~12 KB of input: ~390 MB if decoded
    const blocks: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58])];
    for (let i = 0; i < 3000; i++) {
      const header = ((128 * 1024) << 3) | (1 << 1) | (i === 2999 ? 1 : 0);
      const b = Buffer.alloc(4);
      b.writeUIntLE(header, 0, 3);
      b[3] = 0x61;
      blocks.push(b);
    }
    const bomb = Buffer.concat(blocks);
    await expect(decompress(CompressionType.Zstd, bomb)).rejects.toMatchObject({ reason: 'too-large' });
  });

  it('bounds LZ4 frames from their block headers', () => {
    const input = Buffer.alloc(1_000_000);
    const frame = compressFrameSync(input);
    const bound = lz4OutputBound(frame);
    expect(bound).toBeGreaterThanOrEqual(input.length);
    expect(bound).toBeLessThan(input.length * 1.01);
  });

  it.each(CODECS)('turns corrupt %s input into RecordsError', async (type) => {
    const packed = await compress(type, sample(10_000));
    const garbage = [Buffer.alloc(0), Buffer.from('not compressed at all'), packed.subarray(0, packed.length >> 1)];
    for (const bad of garbage) {
      await expect(decompress(type, bad)).rejects.toBeInstanceOf(RecordsError);
    }
    const flipped = Buffer.from(packed);
    for (let i = 20; i < flipped.length; i += 97) flipped[i] ^= 0x5a;
    await expect(decompress(type, flipped)).rejects.toBeInstanceOf(RecordsError);
  });

  it('rejects unknown compression types', async () => {
    await expect(decompress(6 as CompressionType, Buffer.alloc(4))).rejects.toMatchObject({
      reason: 'unsupported-compression',
      kafkaErrorCode: 76,
    });
    await expect(compress(5 as CompressionType, Buffer.alloc(4))).rejects.toMatchObject({ reason: 'unsupported-compression' });
  });
});
