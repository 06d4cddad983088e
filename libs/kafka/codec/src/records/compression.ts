import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import * as snappy from 'snappy';
import { compressFrame, decompressFrame } from 'lz4-napi';
import * as zstd from '@mongodb-js/zstd';
import { CompressionType } from './batch-header';
import { RecordsError } from './records-error';

/**
 * The four codecs Kafka batches may carry. Decompression is bounded: before any native
 * decoder runs we derive an upper bound of its output from the compressed framing (snappy
 * length preambles, LZ4 and zstd block headers) or let zlib enforce it, so a small hostile
 * batch cannot make the process allocate gigabytes.
 */

export const DEFAULT_MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024;

const gzipAsync = promisify(zlib.gzip);
const gunzipAsync = promisify(zlib.gunzip);

export function compressionName(type: CompressionType): string {
  return CompressionType[type] ?? `unknown(${type})`;
}

export async function compress(type: CompressionType, buf: Buffer): Promise<Buffer> {
  switch (type) {
    case CompressionType.None:
      return buf;
    case CompressionType.Gzip:
      return gzipAsync(buf);
    case CompressionType.Snappy:
      return compressSnappyXerial(buf);
    case CompressionType.Lz4:
      return compressFrame(buf);
    case CompressionType.Zstd:
      return zstd.compress(buf);
    default:
      throw new RecordsError('unsupported-compression', `unsupported compression type ${type}`);
  }
}

export async function decompress(
  type: CompressionType,
  buf: Buffer,
  maxBytes = DEFAULT_MAX_DECOMPRESSED_BYTES,
): Promise<Buffer> {
  let out: Buffer;
  switch (type) {
    case CompressionType.None:
      out = buf;
      break;
    case CompressionType.Gzip:
      out = await native('gzip', () => gunzipAsync(buf, { maxOutputLength: Math.max(1, maxBytes) }));
      break;
    case CompressionType.Snappy:
      out = await decompressSnappy(buf, maxBytes);
      break;
    case CompressionType.Lz4:
      checkBound('lz4', lz4OutputBound(buf, maxBytes), maxBytes);
      out = await native('lz4', () => decompressFrame(buf));
      break;
    case CompressionType.Zstd:
      checkBound('zstd', zstdOutputBound(buf, maxBytes), maxBytes);
      out = await native('zstd', () => zstd.decompress(buf));
      break;
    default:
      throw new RecordsError('unsupported-compression', `unsupported compression type ${type}`);
  }
  checkBound(compressionName(type), out.length, maxBytes);
  return out;
}

async function native(codec: string, run: () => Promise<Buffer>): Promise<Buffer> {
  try {
    return await run();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new RecordsError('too-large', `${codec} output exceeds the decompression limit`, { cause: err });
    }
    throw new RecordsError('corrupt', `${codec} data is corrupt: ${(err as Error).message}`, { cause: err });
  }
}

function checkBound(codec: string, bound: number, maxBytes: number): void {
  if (bound > maxBytes) {
    throw new RecordsError('too-large', `${codec} output would exceed ${maxBytes} bytes`);
  }
}

// ---- snappy ---------------------------------------------------------------------------

/** 0x82 'SNAPPY' 0x00: the stream header snappy-java writes (and kafkajs-snappy, sarama read). */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;
/** snappy-java's default block size, which the Java producer uses. */
const XERIAL_BLOCK_SIZE = 32 * 1024;

/**
 * We write the xerial framing the Java producer writes rather than librdkafka's raw block:
 * every client reads xerial (librdkafka, sarama, franz-go and kafkajs-snappy detect the
 * header), whereas old snappy-java readers only accept raw blocks through a fallback path.
 */
async function compressSnappyXerial(buf: Buffer): Promise<Buffer> {
  const blocks: Promise<Buffer>[] = [];
  for (let at = 0; at < buf.length; at += XERIAL_BLOCK_SIZE) {
    blocks.push(snappy.compress(buf.subarray(at, at + XERIAL_BLOCK_SIZE)));
  }
  const compressed = await Promise.all(blocks);
  let size = XERIAL_HEADER_SIZE;
  for (const c of compressed) size += 4 + c.length;
  const out = Buffer.allocUnsafe(size);
  XERIAL_MAGIC.copy(out, 0);
  out.writeInt32BE(1, 8); // version
  out.writeInt32BE(1, 12); // minimum compatible version
  let pos = XERIAL_HEADER_SIZE;
  for (const c of compressed) {
    out.writeInt32BE(c.length, pos);
    c.copy(out, pos + 4);
    pos += 4 + c.length;
  }
  return out;
}

function isXerial(buf: Buffer): boolean {
  return buf.length >= XERIAL_HEADER_SIZE && XERIAL_MAGIC.equals(buf.subarray(0, XERIAL_MAGIC.length));
}

/** The uncompressed length a raw snappy block declares in its varint preamble. */
function snappyDeclaredLength(block: Buffer): number {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= block.length) break;
    const b = block[i];
    value += (b & 0x7f) * 2 ** (7 * i);
    if (!(b & 0x80)) return value;
  }
  throw new RecordsError('corrupt', 'snappy block has a bad length preamble');
}

async function decompressSnappy(buf: Buffer, maxBytes: number): Promise<Buffer> {
  const blocks: Buffer[] = [];
  if (isXerial(buf)) {
    let pos = XERIAL_HEADER_SIZE;
    while (pos < buf.length) {
      if (buf.length - pos < 4) throw new RecordsError('corrupt', 'xerial snappy chunk length is truncated');
      const len = buf.readInt32BE(pos);
      pos += 4;
      if (len < 0 || len > buf.length - pos) throw new RecordsError('corrupt', `xerial snappy chunk length ${len} is invalid`);
      blocks.push(buf.subarray(pos, pos + len));
      pos += len;
    }
  } else {
    blocks.push(buf);
  }
  let total = 0;
  for (const block of blocks) total += snappyDeclaredLength(block);
  checkBound('snappy', total, maxBytes);
  const parts = await Promise.all(
    blocks.map((block) => native('snappy', async () => (await snappy.uncompress(block, { asBuffer: true })) as Buffer)),
  );
  return parts.length === 1 ? parts[0] : Buffer.concat(parts, total);
}

// ---- lz4 ------------------------------------------------------------------------------

const LZ4_FRAME_MAGIC = 0x184d2204;
const LZ4_MAX_RATIO = 255;
const LZ4_BLOCK_MAX = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024];

function isSkippableFrame(magic: number): boolean {
  return magic >>> 4 === 0x184d2a5;
}

/**
 * Upper bound of what an LZ4 frame stream decodes to, from its block headers: a stored block
 * yields its size, a compressed one at most the frame's block maximum and 255 times its size.
 */
export function lz4OutputBound(buf: Buffer, maxBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): number {
  const bad = (why: string) => new RecordsError('corrupt', `lz4 frame: ${why}`);
  let pos = 0;
  let bound = 0;
  let frames = 0;
  while (buf.length - pos >= 4) {
    const magic = buf.readUInt32LE(pos);
    if (isSkippableFrame(magic)) {
      if (buf.length - pos < 8) throw bad('truncated skippable frame');
      pos += 8 + buf.readUInt32LE(pos + 4);
      continue;
    }
    if (magic !== LZ4_FRAME_MAGIC) {
      if (frames === 0) throw bad('bad magic');
      break; // the decoder stops at the first non-frame, as we do
    }
    if (buf.length - pos < 7) throw bad('truncated header');
    const flg = buf[pos + 4];
    const bd = buf[pos + 5];
    if (flg >> 6 !== 1) throw bad('unsupported version');
    const blockMax = LZ4_BLOCK_MAX[(bd >> 4) & 7];
    if (!blockMax) throw bad('bad block size');
    const blockChecksum = (flg & 0x10) !== 0;
    const hasContentSize = (flg & 0x08) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    const hasDictId = (flg & 0x01) !== 0;
    pos += 6;
    if (hasContentSize) {
      if (buf.length - pos < 8) throw bad('truncated header');
      const contentSize = buf.readBigUInt64LE(pos);
      if (contentSize > BigInt(maxBytes)) return Number.MAX_SAFE_INTEGER;
      pos += 8;
    }
    if (hasDictId) pos += 4;
    pos += 1; // header checksum
    for (;;) {
      if (buf.length - pos < 4) throw bad('truncated block');
      const word = buf.readUInt32LE(pos);
      pos += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      if (size > blockMax) throw bad('block larger than the frame maximum');
      // A compressed block expands at most 255-fold (a match-length extension byte adds 255).
      bound += word & 0x80000000 ? size : Math.min(blockMax, size * LZ4_MAX_RATIO);
      pos += size + (blockChecksum ? 4 : 0);
      if (pos > buf.length) throw bad('truncated block');
      if (bound > maxBytes) return bound;
    }
    pos += contentChecksum ? 4 : 0;
    frames++;
  }
  if (frames === 0) throw bad('no frame');
  return bound;
}

// ---- zstd -----------------------------------------------------------------------------

const ZSTD_MAGIC = 0xfd2fb528;
const ZSTD_BLOCK_MAX = 128 * 1024;
const ZSTD_DICT_ID_SIZE = [0, 1, 2, 4];

/**
 * Upper bound of what a zstd stream decodes to, from its block headers (raw and RLE blocks
 * state their size, a compressed block yields at most 128 KiB), tightened by a declared
 * frame content size, which the decoder verifies.
 */
export function zstdOutputBound(buf: Buffer, maxBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): number {
  const bad = (why: string) => new RecordsError('corrupt', `zstd frame: ${why}`);
  let pos = 0;
  let bound = 0;
  if (buf.length === 0) throw bad('empty input');
  while (pos < buf.length) {
    if (buf.length - pos < 4) throw bad('trailing bytes');
    const magic = buf.readUInt32LE(pos);
    if (isSkippableFrame(magic)) {
      if (buf.length - pos < 8) throw bad('truncated skippable frame');
      pos += 8 + buf.readUInt32LE(pos + 4);
      continue;
    }
    if (magic !== ZSTD_MAGIC) throw bad('bad magic');
    if (buf.length - pos < 5) throw bad('truncated header');
    const fhd = buf[pos + 4];
    pos += 5;
    const fcsFlag = fhd >> 6;
    const singleSegment = (fhd & 0x20) !== 0;
    const checksum = (fhd & 0x04) !== 0;
    if (fhd & 0x08) throw bad('reserved bit set');
    if (!singleSegment) pos += 1; // window descriptor
    pos += ZSTD_DICT_ID_SIZE[fhd & 3];
    const fcsSize = fcsFlag === 0 ? (singleSegment ? 1 : 0) : 1 << fcsFlag;
    if (buf.length - pos < fcsSize) throw bad('truncated header');
    let contentSize = -1;
    if (fcsSize === 1) contentSize = buf[pos];
    else if (fcsSize === 2) contentSize = buf.readUInt16LE(pos) + 256;
    else if (fcsSize === 4) contentSize = buf.readUInt32LE(pos);
    else if (fcsSize === 8) {
      const big = buf.readBigUInt64LE(pos);
      contentSize = big > BigInt(maxBytes) ? Number.MAX_SAFE_INTEGER : Number(big);
    }
    if (contentSize > maxBytes) return contentSize;
    pos += fcsSize;
    let frameBound = 0;
    for (;;) {
      if (buf.length - pos < 3) throw bad('truncated block');
      const header = buf.readUIntLE(pos, 3);
      pos += 3;
      const last = header & 1;
      const type = (header >> 1) & 3;
      const size = header >>> 3;
      if (type === 0) {
        frameBound += size;
        pos += size;
      } else if (type === 1) {
        frameBound += size;
        pos += 1;
      } else if (type === 2) {
        frameBound += ZSTD_BLOCK_MAX;
        pos += size;
      } else {
        throw bad('reserved block type');
      }
      if (pos > buf.length) throw bad('truncated block');
      if (last) break;
      if (bound + frameBound > maxBytes && contentSize < 0) return bound + frameBound;
    }
    if (checksum) pos += 4;
    if (pos > buf.length) throw bad('truncated checksum');
    bound += contentSize >= 0 ? Math.min(contentSize, frameBound) : frameBound;
    if (bound > maxBytes) return bound;
  }
  return bound;
}
