import type { PartitionLog } from '@dms/log';

interface Batch {
  baseOffset: bigint;
  lastOffset: bigint;
  bytes: Buffer;
}

const CHUNK_BYTES = 1 << 20;
/** Record batch header: baseOffset int64, batchLength int32, ..., lastOffsetDelta int32 at 23. */
const HEADER = 61;

/** The whole batches of `buf` with their offset ranges (a torn tail is left out). */
export function splitBatches(buf: Buffer): Batch[] {
  const out: Batch[] = [];
  let pos = 0;
  while (pos + HEADER <= buf.length) {
    const size = 12 + buf.readInt32BE(pos + 8);
    if (size < HEADER || pos + size > buf.length) break;
    const baseOffset = buf.readBigInt64BE(pos);
    out.push({ baseOffset, lastOffset: baseOffset + BigInt(buf.readInt32BE(pos + 23)), bytes: buf.subarray(pos, pos + size) });
    pos += size;
  }
  return out;
}

/**
 * Reads whole record batches of one log below an upper bound, remembering what it read: a share
 * fetch looks at batch boundaries before it acquires and then sends the batches holding what it
 * acquired, reading the disk once for both.
 */
export class BatchReader {
  private readonly batches: Batch[] = [];

  constructor(private readonly log: PartitionLog, private readonly upperBound: bigint, private readonly chunkBytes = CHUNK_BYTES) {}

  /** Last offsets of the batches from `from` on, reading at most one chunk. */
  async boundariesFrom(from: bigint): Promise<bigint[]> {
    if (from >= this.upperBound) return [];
    if (!this.find(from)) await this.readAt(from);
    return this.batches.filter((b) => b.lastOffset >= from).map((b) => b.lastOffset);
  }

  /** The batches holding any offset of [first, last], in offset order, each once. */
  async covering(ranges: readonly { firstOffset: bigint; lastOffset: bigint }[]): Promise<Buffer[]> {
    const chosen = new Map<bigint, Buffer>();
    for (const r of ranges) {
      let o = r.firstOffset;
      while (o <= r.lastOffset) {
        let b = this.find(o);
        if (!b) {
          await this.readAt(o);
          b = this.find(o);
          // Nothing there (compacted away, or below the log start): the next batch, if any.
          if (!b) b = this.batches.find((x) => x.baseOffset > o);
          if (!b || b.baseOffset > r.lastOffset) break;
        }
        chosen.set(b.baseOffset, b.bytes);
        o = b.lastOffset + 1n;
      }
    }
    return [...chosen.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, bytes]) => bytes);
  }

  private find(offset: bigint): Batch | undefined {
    return this.batches.find((b) => b.baseOffset <= offset && offset <= b.lastOffset);
  }

  private async readAt(offset: bigint): Promise<void> {
    if (offset >= this.upperBound) return;
    const from = offset < this.log.logStartOffset ? this.log.logStartOffset : offset;
    const { records } = await this.log.read(from, this.chunkBytes, { upperBound: this.upperBound, minOneBatch: true });
    for (const b of splitBatches(records)) {
      if (!this.batches.some((x) => x.baseOffset === b.baseOffset)) this.batches.push(b);
    }
    this.batches.sort((a, b) => (a.baseOffset < b.baseOffset ? -1 : 1));
  }
}
