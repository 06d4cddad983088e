import { BATCH, BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD, CompressionType, decompress, RecordsError } from '@dms/kafka-codec';
import type { SegmentKeyIndex } from './segment-key-index';

/** The smallest record: length, attributes, timestamp delta, offset delta, key and value lengths, header count. */
const MIN_RECORD_SIZE = 7;

/**
 * Hashes of the record keys of one batch, read straight from its bytes: no header object, no
 * record objects, no BigInt, no closure per record, and the hashes land in a scratch array reused
 * from batch to batch. Uncompressed batches are scanned in place, synchronously; a compressed one
 * is decompressed once (the only await). The batch is filed only after all of its records were
 * read, so a malformed batch leaves the index as it was (and throws a RecordsError, as decoding
 * it would).
 */
export class KeyScanner {
  private hashes = new Uint32Array(256);
  private count = 0;

  /** Whether `indexBatch` needs to await for this batch (it is compressed). */
  static isCompressed(batch: Buffer, at: number): boolean {
    return (batch[at + BATCH.attributes + 1]! & 0x07) !== CompressionType.None;
  }

  /**
   * Files the uncompressed batch at `batch[at..at+size)` (file position `position`) in `index`:
   * control batches are skipped, every other one gets a batch entry and its distinct key hashes.
   */
  indexPlain(index: SegmentKeyIndex, batch: Buffer, at: number, size: number, position: number): void {
    const recordCount = this.checkHeader(batch, at, size);
    if (recordCount < 0) return;
    this.scan(batch, at + BATCH_HEADER_SIZE, at + size, recordCount);
    this.file(index, batch, at, size, position);
  }

  /** The same for a batch in any codec (compressed ones are decompressed once). */
  async indexAny(index: SegmentKeyIndex, batch: Buffer, at: number, size: number, position: number): Promise<void> {
    if (!KeyScanner.isCompressed(batch, at)) return this.indexPlain(index, batch, at, size, position);
    const recordCount = this.checkHeader(batch, at, size);
    if (recordCount < 0) return;
    const codec = batch.readInt16BE(at + BATCH.attributes) & 0x07;
    if (codec > CompressionType.Zstd) throw new RecordsError('unsupported-compression', `unsupported compression type ${codec}`);
    const plain = await decompress(codec, batch.subarray(at + BATCH_HEADER_SIZE, at + size));
    this.scan(plain, 0, plain.length, recordCount);
    this.file(index, batch, at, size, position);
  }

  /** The batch's record count, or -1 for a control batch (not indexed); throws when malformed. */
  private checkHeader(batch: Buffer, at: number, size: number): number {
    if (size < BATCH_HEADER_SIZE || batch.readInt32BE(at + BATCH.batchLength) + BATCH_LOG_OVERHEAD !== size || at + size > batch.length) {
      throw new RecordsError('corrupt', 'record batch length does not match');
    }
    const magic = batch[at + BATCH.magic];
    if (magic !== 2) throw new RecordsError('bad-magic', `record batch magic ${magic} is not 2`);
    if ((batch[at + BATCH.attributes + 1]! & 0x20) !== 0) return -1;
    const count = batch.readInt32BE(at + BATCH.recordCount);
    if (count < 0) throw new RecordsError('corrupt', `negative record count ${count}`);
    return count;
  }

  /** Collects the hashes of the non-null keys of `count` records in buf[start..end). */
  private scan(buf: Buffer, start: number, end: number, count: number): void {
    if (count > (end - start) / MIN_RECORD_SIZE) throw new RecordsError('corrupt', `record count ${count} exceeds what ${end - start} bytes can hold`);
    if (this.hashes.length < count) this.hashes = new Uint32Array(Math.max(count, this.hashes.length * 2));
    const hashes = this.hashes;
    let n = 0;
    let p = start;
    for (let i = 0; i < count; i++) {
      // length (zigzag varint)
      let v = 0;
      let shift = 0;
      let b: number;
      do {
        if (p >= end || shift > 28) throw corrupt();
        b = buf[p++]!;
        v |= (b & 0x7f) << shift;
        shift += 7;
      } while (b & 0x80);
      const len = (v >>> 1) ^ -(v & 1);
      if (len < MIN_RECORD_SIZE - 1 || len > end - p) throw new RecordsError('corrupt', `record length ${len} is invalid`);
      const recordEnd = p + len;
      p++; // attributes
      // timestamp delta (varlong) and offset delta (varint): skipped
      for (let field = 0; field < 2; field++) {
        let bytes = 0;
        do {
          if (p >= recordEnd || ++bytes > 10) throw corrupt();
        } while (buf[p++]! & 0x80);
      }
      // key length (zigzag varint)
      v = 0;
      shift = 0;
      do {
        if (p >= recordEnd || shift > 28) throw corrupt();
        b = buf[p++]!;
        v |= (b & 0x7f) << shift;
        shift += 7;
      } while (b & 0x80);
      const keyLength = (v >>> 1) ^ -(v & 1);
      if (keyLength < -1 || keyLength > recordEnd - p) throw new RecordsError('corrupt', `key length ${keyLength} is invalid`);
      if (keyLength >= 0) {
        // FNV-1a, as keyHash (key-hash.ts); inlined to stay in this loop.
        let h = 0x811c9dc5;
        const keyEnd = p + keyLength;
        for (let k = p; k < keyEnd; k++) h = Math.imul(h ^ buf[k]!, 0x01000193);
        hashes[n++] = h >>> 0;
      }
      p = recordEnd;
    }
    if (p !== end) throw new RecordsError('corrupt', `${end - p} bytes follow the ${count} declared records`);
    this.count = n;
  }

  private file(index: SegmentKeyIndex, batch: Buffer, at: number, size: number, position: number): void {
    index.addBatchFrom(batch, at, size, position);
    const hashes = this.hashes;
    for (let i = 0; i < this.count; i++) index.addHash(hashes[i]!);
    this.count = 0;
  }
}

function corrupt(): RecordsError {
  return new RecordsError('corrupt', 'record data ends early or a varint is too long');
}
