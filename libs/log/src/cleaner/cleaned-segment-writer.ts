import { open, type FileHandle } from 'node:fs/promises';
import { batchInfoAt } from '../batch-scan';
import { writeAllAt } from '../file-io';
import { Segment } from '../segment';
import { cleanedPaths, discardCleaned } from './segment-swap';

const FLUSH_BYTES = 1 << 20;

/**
 * Writes one cleaned segment to its `.cleaned` files: the kept batches, then an offset index and
 * a time index built the way a live segment builds them (a bookkeeping Segment that is never
 * opened does the indexing), everything fsynced before the swap may rename it.
 */
export class CleanedSegmentWriter {
  private fh?: FileHandle;
  private readonly book: Segment;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private position = 0;
  private flushedTo = 0;

  constructor(
    private readonly dir: string,
    readonly baseOffset: bigint,
    indexIntervalBytes: number,
  ) {
    this.book = new Segment(dir, baseOffset, indexIntervalBytes);
  }

  get size(): number {
    return this.position;
  }

  async open(): Promise<void> {
    this.fh = await open(cleanedPaths(this.dir, this.baseOffset).log, 'w');
  }

  /** Appends one whole batch (its offsets already final). */
  async append(batch: Buffer): Promise<void> {
    const info = batchInfoAt(batch, 0, this.position);
    this.book.assign(info);
    this.pending.push(batch);
    this.pendingBytes += batch.length;
    this.position += batch.length;
    if (this.pendingBytes >= FLUSH_BYTES) await this.flush();
  }

  /** Writes what is left and the indexes, fsyncs all three files and closes them. */
  async finish(): Promise<void> {
    await this.flush();
    this.book.seal();
    const paths = cleanedPaths(this.dir, this.baseOffset);
    const index = this.book.offsetIndex;
    const time = this.book.timeIndex;
    await writeFileSynced(paths.index, index.encode(0, index.count));
    await writeFileSynced(paths.timeIndex, time.encode(0, time.count));
    await this.fh!.sync();
    await this.fh!.close();
    this.fh = undefined;
  }

  async abort(): Promise<void> {
    await this.fh?.close().catch(() => {});
    this.fh = undefined;
    await discardCleaned(this.dir, this.baseOffset);
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const buffers = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    await writeAllAt(this.fh!, buffers, this.flushedTo);
    for (const b of buffers) this.flushedTo += b.length;
  }
}

async function writeFileSynced(path: string, data: Buffer): Promise<void> {
  const fh = await open(path, 'w');
  try {
    if (data.length > 0) await fh.write(data, 0, data.length, 0);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
