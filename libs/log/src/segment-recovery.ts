// Bringing one segment's in-memory state back from its files at open: the active segment (and
// closed ones past the recovery point) verified batch by batch and cut at the first bad one;
// closed segments below it trusted, their indexes rebuilt only when missing or not sane.
import { readFile } from 'node:fs/promises';
import type { ScanProblem } from './batch-scan';
import { OffsetIndex } from './offset-index';
import type { Segment } from './segment';
import { TimeIndex } from './time-index';

/** See Segment.recover. */
export async function recoverSegment(seg: Segment): Promise<{ truncatedBytes: number; problem?: ScanProblem }> {
  const fh = await seg.logFile();
  const { size } = await fh.stat();
  const { end, problem } = await seg.rescan(fh, size, true);
  if (end < size) await fh.truncate(end);
  await seg.rewriteIndexes();
  return { truncatedBytes: size - end, problem };
}

/** See Segment.recoverClosed. */
export async function recoverClosedSegment(seg: Segment, nextOffset: bigint): Promise<{ truncatedBytes: number; problem?: ScanProblem }> {
  const result = await recoverSegment(seg);
  if (result.truncatedBytes > 0) return result;
  seg.seal();
  await seg.rewriteIndexes();
  await seg.closeIndexFiles();
  seg.endAt(seg.pendingSize, nextOffset);
  return result;
}

/** See Segment.load. */
export async function loadSegment(seg: Segment, nextOffset: bigint): Promise<{ rebuiltIndexes: boolean }> {
  const fh = await seg.logFile();
  const { size } = await fh.stat();
  const indexBytes = await readIfExists(seg.paths.index);
  const timeIndexBytes = await readIfExists(seg.paths.timeIndex);
  // A missing file is rebuilt too; an empty one is legitimate (a segment of one batch).
  const offsetIndex = indexBytes && OffsetIndex.decode(seg.baseOffset, indexBytes, size);
  const timeIndex = timeIndexBytes && TimeIndex.decode(seg.baseOffset, timeIndexBytes, nextOffset);
  if (!offsetIndex || !timeIndex) {
    await seg.rescan(fh, size, false);
    seg.seal();
    await seg.rewriteIndexes();
    await seg.closeIndexFiles();
    // A trusted segment with a torn tail is served only up to its last whole batch.
    seg.endAt(seg.pendingSize, nextOffset);
    return { rebuiltIndexes: true };
  }
  seg.adoptIndexes(offsetIndex, timeIndex, size, nextOffset);
  return { rebuiltIndexes: false };
}

async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
