// Cutting a partition log: a follower's truncation to a leader's end, advancing the log start
// (DeleteRecords, retention) and a full reset below a leader's log start.
import { persistEpochs } from './epoch-checkpoint';
import { LogError } from './log-error';
import { loadProducerState } from './log-producers';
import type { LogState } from './log-state';
import type { Segment } from './segment';
import { newActiveSegment } from './segment-list';

/**
 * Removes everything at or after offset (follower truncation). The cut falls at the
 * start of the batch containing offset, so the log end may land below offset.
 */
export async function truncateTo(s: LogState, offset: bigint): Promise<void> {
  s.checkWritable();
  if (offset >= s.nextOffset) {
    // Nothing to cut, but the epoch cache may hold an epoch that starts at our log end: this
    // broker led it without appending, and the new leader never saw it. Kafka drops it here too;
    // kept, every fetch would name that epoch and be told to truncate again, forever.
    if (s.epochs.truncateFromEnd(s.nextOffset)) await persistEpochs(s);
    return;
  }
  s.exclusive = true;
  s.truncations++;
  try {
    await s.swapSettled();
    await s.queue.idle();
    if (s.queue.failure) throw s.queue.failure;
    if (offset <= s.segments[0]!.baseOffset) {
      await truncateFullyAndStartAt(s, offset);
    } else {
      while (s.segments.length > 1 && s.segments[s.segments.length - 1]!.baseOffset >= offset) {
        await s.segments.pop()!.delete(s.config.fileDeleteDelayMs);
      }
      const active = s.segments[s.segments.length - 1]!;
      const batch = await active.findBatch(offset);
      // Always rescan: a segment that becomes active again needs its running index state.
      await active.truncateAt(batch?.position ?? active.writtenSize);
      s.nextOffset = s.writtenEnd = active.writtenEnd;
    }
    if (s.startOffset > s.nextOffset) s.startOffset = s.nextOffset;
    if (s.hw > s.nextOffset) s.hw = s.nextOffset;
    s.recovery.truncatedTo(s.nextOffset);
    if (s.epochs.truncateFromEnd(s.nextOffset)) await persistEpochs(s);
    // Batches past the cut may have moved sequences or opened and closed transactions.
    await loadProducerState(s);
  } finally {
    s.exclusive = false;
  }
}

/**
 * Advances the log start offset and deletes the closed segments wholly below it (see
 * PartitionLog.deleteRecordsBefore). Returns the log start offset.
 */
export async function deleteRecordsBefore(s: LogState, offset: bigint): Promise<bigint> {
  s.checkOpen();
  if (offset > s.writtenEnd) {
    throw new LogError('offset-out-of-range', `cannot delete before ${offset}: log ends at ${s.writtenEnd}`);
  }
  // A cleaner swap in progress finishes first; from here the list changes synchronously.
  await s.swapSettled();
  if (offset > s.startOffset) {
    s.startOffset = offset;
    if (s.hw < offset) s.hw = offset;
  }
  const doomed: Segment[] = [];
  while (s.segments.length > 1 && s.segments[1]!.baseOffset <= s.startOffset) doomed.push(s.segments.shift()!);
  for (const seg of doomed) await seg.delete(s.config.fileDeleteDelayMs);
  if (s.epochs.truncateFromStart(s.startOffset)) await persistEpochs(s);
  if (doomed.length > 0) await s.snapshots.prune(s.segments[0]!.baseOffset);
  return s.startOffset;
}

/**
 * Kafka's truncateFullyAndStartAt for a follower that fell below its leader's log start
 * offset: every segment goes, the log restarts empty at `offset`, and the epoch cache is
 * cleared (the next fetched batches bring their epochs).
 */
export async function resetTo(s: LogState, offset: bigint): Promise<void> {
  s.checkWritable();
  s.exclusive = true;
  try {
    await s.queue.idle();
    if (s.queue.failure) throw s.queue.failure;
    await truncateFullyAndStartAt(s, offset);
    s.hw = offset;
    if (s.epochs.truncateFromEnd(0n)) await persistEpochs(s);
    s.producers.clear();
    await s.snapshots.deleteAll();
    s.producerStateLoaded = true;
  } finally {
    s.exclusive = false;
  }
}

async function truncateFullyAndStartAt(s: LogState, offset: bigint): Promise<void> {
  const old = s.segments;
  const seg = newActiveSegment(s.dir, s.config, offset);
  s.segments = [seg];
  for (const x of old) await x.delete(s.config.fileDeleteDelayMs);
  await seg.files();
  s.nextOffset = s.writtenEnd = offset;
  s.startOffset = offset;
  s.recovery.truncatedTo(offset);
}
