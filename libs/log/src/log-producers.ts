// Producer state beside a partition log: loading it (snapshot plus replay), snapshots at rolls,
// and the aborted-transaction index entries its markers produce.
import { LogError } from './log-error';
import type { LogState } from './log-state';
import { replaySegments } from './producer-state/replay';
import type { Segment } from './segment';
import { segmentIndexFor } from './segment-list';
import type { AbortedTxn } from './txn-index';

/**
 * Producer state from the newest snapshot not beyond the log end, then the batches after it
 * replayed from their headers (rebuilding those segments' aborted-transaction indexes).
 */
export async function loadProducerState(s: LogState): Promise<void> {
  s.producerStateLoaded = false;
  s.producers.clear();
  try {
    const snapshot = await s.snapshots.loadLatest(s.writtenEnd);
    let from = s.segments[0]!.baseOffset;
    if (snapshot) {
      s.producers.load(snapshot.entries);
      if (snapshot.offset > from) from = snapshot.offset;
    }
    await replaySegments(s.producers, s.segments, from);
  } catch (e) {
    // Appends must not run on a partial state: the log stops until reopened, as after a failed write.
    const err = e instanceof LogError ? e : new LogError('storage', `cannot load producer state of ${s.dir}: ${(e as Error).message}`, { cause: e });
    s.queue.failure ??= err;
    throw err;
  }
  s.producerStateLoaded = true;
}

/** Snapshot of the producer state as of `offset`, written once the batches below it are. */
export function snapshotProducers(s: LogState, offset: bigint, written: Promise<unknown>): void {
  if (!s.producerStateLoaded) return;
  const segments = s.segments;
  s.snapshots.take(s.producers, offset, written, async () => {
    for (const seg of segments) await seg.txnIndex.persist();
  });
}

/** Adds aborted-index entries to the segments holding their markers once the markers are written. */
export function indexAborted(s: LogState, entries: AbortedTxn[], written: Promise<void>): Promise<void> {
  const touched = new Set<Segment>();
  for (const e of entries) {
    const seg = s.segments[segmentIndexFor(s.segments, e.lastOffset)]!;
    seg.txnIndex.append(e);
    touched.add(seg);
  }
  return written.then(async () => {
    for (const seg of touched) await seg.txnIndex.persist();
  });
}
