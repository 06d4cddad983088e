import type { BatchInfo } from '../batch-scan';
import type { Segment } from '../segment';
import type { AbortedTxn } from '../txn-index';
import type { ProducerBatchFields } from './batch-producer-fields';
import type { AppendOrigin, CompletedTxn, ProducerStateManager } from './producer-state-manager';

/**
 * Applies one appended batch to producer state: data batches update their producer, markers
 * complete its transaction. Returns the aborted-index entry when the marker aborted one.
 */
export function applyBatch(state: ProducerStateManager, p: ProducerBatchFields, origin: AppendOrigin): AbortedTxn | undefined {
  if (!p.control) {
    state.apply(p, origin);
    return undefined;
  }
  if (!p.marker) return undefined;
  return abortedEntry(state, state.applyMarker(p.producerId, p.producerEpoch, p.marker, p.baseOffset, p.maxTimestamp));
}

/** Kafka's aborted-index entry for a completed transaction: the LSO is where the log is stable once it ended. */
export function abortedEntry(state: ProducerStateManager, done: CompletedTxn | undefined): AbortedTxn | undefined {
  if (!done?.aborted) return undefined;
  return {
    producerId: done.producerId,
    firstOffset: done.firstOffset,
    lastOffset: done.lastOffset,
    lastStableOffset: state.firstOngoingOffset() ?? done.lastOffset + 1n,
  };
}

/**
 * Replays segments from `fromOffset` (batch headers only) into producer state and rebuilds
 * their aborted-transaction indexes from the markers they hold; entries of a segment at or past
 * fromOffset are replaced, earlier ones kept.
 */
export async function replaySegments(state: ProducerStateManager, segments: readonly Segment[], fromOffset: bigint): Promise<void> {
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const next = segments[i + 1];
    if (next && next.baseOffset <= fromOffset) continue;
    const kept = seg.txnIndex.entries.filter((e) => e.lastOffset < fromOffset);
    const entries: AbortedTxn[] = [...kept];
    await seg.scanProducers(0, (info: BatchInfo) => {
      const p = info.producer;
      if (!p || info.lastOffset < fromOffset) return;
      const aborted = applyBatch(state, p, 'replication');
      if (aborted) entries.push(aborted);
    });
    await seg.txnIndex.replace(entries);
  }
}

/** Aborted transactions overlapping [from, to) from the segment holding `from` on (markers follow their data). */
export function collectAborted(segments: readonly Segment[], startIndex: number, from: bigint, to: bigint): AbortedTxn[] {
  const out: AbortedTxn[] = [];
  for (let i = startIndex; i < segments.length; i++) segments[i]!.txnIndex.collect(from, to, out);
  return out;
}
