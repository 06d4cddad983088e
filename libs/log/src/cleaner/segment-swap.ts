import { open, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { fsyncDir } from '../fsync-dir';
import { join } from 'node:path';
import { scanBatches } from '../batch-scan';
import { LOG_SUFFIX, segmentPaths } from '../file-names';
import type { LogLogger } from '../log-config';
import { Segment } from '../segment';
import { encodeEntries } from '../txn-index';

/**
 * Kafka's file protocol for swapping a cleaned segment in for the segments it replaces:
 *
 *   1. the cleaner writes `<base>.log.cleaned` and its `.index.cleaned` / `.timeindex.cleaned`, fsynced
 *      (the swap adds `.txnindex.cleaned`: the replaced segments' aborted transactions, when any);
 *   2. rename them to `.swap` (indexes first, the log last: the `.log.swap` is the commit point);
 *   3. rename every replaced segment's files to `.deleted`;
 *   4. rename the `.swap` files to their final names (indexes first, the log last);
 *   5. unlink the `.deleted` files after a delay.
 *
 * A crash at any point leaves a log that `recoverInterruptedSwaps` (run before a log opens) turns
 * into either the old segments or the cleaned one, never a mix that loses or repeats an offset:
 * without a `.log.swap` the cleaning is dropped; with one it is completed, removing every old
 * segment that starts inside the cleaned segment's offset range.
 */
export const CLEANED_SUFFIX = '.cleaned';
export const SWAP_SUFFIX = '.swap';
export const DELETED_SUFFIX = '.deleted';

export function cleanedPaths(dir: string, baseOffset: bigint): { log: string; index: string; timeIndex: string; txnIndex: string } {
  const p = segmentPaths(dir, baseOffset);
  return { log: p.log + CLEANED_SUFFIX, index: p.index + CLEANED_SUFFIX, timeIndex: p.timeIndex + CLEANED_SUFFIX, txnIndex: p.txnIndex + CLEANED_SUFFIX };
}

/** The optional files of a swap (renamed when they exist), before the log whose rename commits it. */
const SWAPPED = ['index', 'timeIndex', 'txnIndex', 'log'] as const;

/** Steps 2-4 for `run` (whose cleaned files exist), then the cleaned segment opened as a Segment. */
export async function swapInCleaned(
  dir: string,
  run: readonly Segment[],
  nextBaseOffset: bigint,
  indexIntervalBytes: number,
  deleteDelayMs: number,
): Promise<Segment> {
  const base = run[0]!.baseOffset;
  const final = segmentPaths(dir, base);
  const cleaned = cleanedPaths(dir, base);
  // Reads that still hold an old segment keep reading its bytes through an open descriptor.
  for (const seg of run) {
    await seg.logFile();
    await seg.closeIndexFiles();
  }
  try {
    // The cleaner keeps every marker: the cleaned segment indexes the run's aborted transactions.
    const aborted = run.flatMap((seg) => seg.txnIndex.entries);
    if (aborted.length > 0) {
      await writeFile(cleaned.txnIndex, encodeEntries(aborted));
      const fh = await open(cleaned.txnIndex, 'r+');
      await fh.sync().finally(() => fh.close());
    }
    for (const k of SWAPPED) {
      if (k === 'txnIndex') await renameIfExists(cleaned[k], final[k] + SWAP_SUFFIX);
      else await rename(cleaned[k], final[k] + SWAP_SUFFIX);
    }
  } catch (e) {
    // Not committed: the old segments are untouched; drop what the cleaner wrote.
    await discardCleaned(dir, base);
    for (const k of ['index', 'timeIndex', 'txnIndex'] as const) await unlink(final[k] + SWAP_SUFFIX).catch(() => {});
    throw e;
  }
  try {
    return await completeSwap(dir, run, nextBaseOffset, indexIntervalBytes, deleteDelayMs);
  } catch (e) {
    throw new SwapIncomplete(`segment swap at ${final.log} failed after its commit point: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * A swap that failed after its `.log.swap` existed: the files are between two states that only
 * start-up recovery settles, so the log must stop serving until it is reopened.
 */
export class SwapIncomplete extends Error {}

async function completeSwap(
  dir: string,
  run: readonly Segment[],
  nextBaseOffset: bigint,
  indexIntervalBytes: number,
  deleteDelayMs: number,
): Promise<Segment> {
  const base = run[0]!.baseOffset;
  const final = segmentPaths(dir, base);
  await syncDir(dir);
  const retired: string[][] = [];
  for (const seg of run) {
    const moved: string[] = [];
    // The aborted-transaction index goes with its segment; the cleaned one gets the run's entries.
    for (const path of [seg.paths.index, seg.paths.timeIndex, seg.paths.txnIndex, seg.paths.keyIndex, seg.paths.log]) {
      if (await renameIfExists(path, path + DELETED_SUFFIX)) moved.push(path + DELETED_SUFFIX);
    }
    retired.push(moved);
  }
  for (const k of SWAPPED) {
    if (k === 'txnIndex') await renameIfExists(final[k] + SWAP_SUFFIX, final[k]);
    else await rename(final[k] + SWAP_SUFFIX, final[k]);
  }
  await syncDir(dir);
  run.forEach((seg, i) => seg.retire(retired[i]!, deleteDelayMs));
  const fresh = new Segment(dir, base, indexIntervalBytes);
  await fresh.load(nextBaseOffset);
  await fresh.txnIndex.load();
  return fresh;
}

/** Removes the cleaned files of an abandoned cleaning. */
export async function discardCleaned(dir: string, baseOffset: bigint): Promise<void> {
  const p = cleanedPaths(dir, baseOffset);
  for (const path of [p.log, p.index, p.timeIndex, p.txnIndex]) await unlink(path).catch(() => {});
}

/**
 * Start-up repair (Kafka's LogLoader does the same): drops `.cleaned` and `.deleted` files, and
 * completes each swap whose `.log.swap` exists.
 */
export async function recoverInterruptedSwaps(dir: string, logger: LogLogger): Promise<void> {
  const names = await readdir(dir);
  for (const name of names) {
    if (name.endsWith(CLEANED_SUFFIX) || name.endsWith(DELETED_SUFFIX)) await unlink(join(dir, name)).catch(() => {});
  }
  const swaps = names
    .filter((n) => n.endsWith(LOG_SUFFIX + SWAP_SUFFIX))
    .map((n) => n.slice(0, -(LOG_SUFFIX + SWAP_SUFFIX).length))
    .filter((stem) => /^\d{20}$/.test(stem))
    .map((stem) => BigInt(stem))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const swapStems = new Set(swaps.map((b) => segmentPaths(dir, b).log + SWAP_SUFFIX));
  // Index swaps without their log swap belong to a swap that never committed.
  for (const name of names) {
    if (!name.endsWith(SWAP_SUFFIX) || name.endsWith(LOG_SUFFIX + SWAP_SUFFIX)) continue;
    const stem = name.replace(/\.(index|timeindex|txnindex)\.swap$/, '');
    if (!swapStems.has(join(dir, stem + LOG_SUFFIX + SWAP_SUFFIX))) await unlink(join(dir, name)).catch(() => {});
  }
  for (const base of swaps) {
    const final = segmentPaths(dir, base);
    const end = await nextOffsetOf(final.log + SWAP_SUFFIX, base);
    const current = (await readdir(dir))
      .map((n) => (n.endsWith(LOG_SUFFIX) && /^\d{20}\.log$/.test(n) ? BigInt(n.slice(0, 20)) : undefined))
      .filter((b): b is bigint => b !== undefined && b >= base && (b === base || b < end));
    for (const old of current) {
      const p = segmentPaths(dir, old);
      for (const path of [p.log, p.index, p.timeIndex, p.txnIndex]) await unlink(path).catch(() => {});
    }
    for (const k of SWAPPED) await renameIfExists(final[k] + SWAP_SUFFIX, final[k]);
    logger('warn', 'completed an interrupted segment swap of the log cleaner', {
      dir,
      segment: final.log,
      replaced: current.map(String),
    });
  }
  if (swaps.length > 0) await syncDir(dir);
}

/** Next offset after the last whole batch of a segment file (its base offset when empty). */
async function nextOffsetOf(path: string, base: bigint): Promise<bigint> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    let end = base;
    await scanBatches(fh, 0, size, { verify: false, chunkSize: 1 << 20 }, (info) => {
      end = info.lastOffset + 1n;
    });
    return end;
  } finally {
    await fh.close();
  }
}

async function renameIfExists(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

async function syncDir(dir: string): Promise<void> {
  // As before, a failed directory fsync does not fail the swap (file systems that cannot fsync a
  // directory are skipped by fsyncDir itself).
  await fsyncDir(dir).catch(() => undefined);
}
