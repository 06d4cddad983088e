// Durability of a partition log: syncing rolled segments in the background, explicit flushes and
// the clean close, each moving Kafka's recovery point.
import type { LogState } from './log-state';
import { snapshotProducers } from './log-producers';
import type { Segment } from './segment';

/**
 * A rolled segment is synced (in the background, in roll order, as Kafka flushes on roll) and
 * the recovery point moves to its end once nothing below it is unsynced.
 */
export function segmentRolled(s: LogState, segment: Segment): void {
  const sync = s.config.fsync === 'always' ? Promise.resolve() : undefined;
  s.rollSyncs = s.rollSyncs
    .then(() => sync ?? segment.sync())
    .then(() => {
      const unsyncedBelow = s.segments.some((x) => x.baseOffset < segment.baseOffset && x.writtenEnd > s.recovery.offset);
      if (!unsyncedBelow && !s.closed) s.recovery.flushedTo(segment.writtenEnd);
      s.keyIndex.segmentSealed(segment);
    })
    .catch(() => undefined); // deleted meanwhile (retention) or closed: the point stays behind
}

/** Waits for queued writes and fsyncs data, indexes and checkpoints. */
export async function flushLog(s: LogState): Promise<void> {
  s.checkOpen();
  await s.queue.idle();
  if (s.queue.failure) throw s.queue.failure;
  const end = s.writtenEnd;
  await s.segments[s.segments.length - 1]!.persistIndexes();
  for (const seg of s.segments) await seg.sync();
  await s.epochWrite;
  s.recovery.flushedTo(end);
}

export async function closeLog(s: LogState): Promise<void> {
  if (s.closed) return;
  s.closed = true;
  s.flushPolicy.close();
  await s.keyIndex.close();
  await s.swapSettled();
  await s.queue.idle();
  const active = s.segments[s.segments.length - 1]!;
  try {
    if (!s.queue.failure) {
      active.seal();
      await active.persistIndexes();
      // A clean close leaves the log synced to its end: the owner checkpoints that recovery point.
      await s.rollSyncs;
      for (const seg of s.segments) if (seg.writtenEnd > s.recovery.offset || seg === active) await seg.sync();
      s.recovery.flushedTo(s.writtenEnd);
      // A clean close leaves a snapshot at the end: the next open replays nothing.
      if (s.writtenEnd === s.nextOffset) snapshotProducers(s, s.writtenEnd, Promise.resolve());
    }
    await s.snapshots.settled();
    // A failed checkpoint write already stopped the log; closing still releases the files.
    await s.epochWrite.catch(() => undefined);
  } finally {
    for (const seg of s.segments) await seg.close().catch(() => {});
  }
}
