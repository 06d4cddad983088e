// Placing batches in segments: rolling the active segment (size, relative offset, segment.ms)
// and handing the writes to the group-commit queue.
import { type BatchInfo, hasTrustedMaxTimestamp } from './batch-scan';
import { snapshotProducers } from './log-producers';
import type { LogState } from './log-state';
import { newActiveSegment, segmentAged } from './segment-list';
import type { QueueItem } from './write-queue';

const INT32_MAX = 0x7fffffffn;

/**
 * Places batches in segments (rolling as needed) and queues their writes. `applyProducer(i)`
 * records batch i in producer state, called in order after any roll before it, so a roll's
 * snapshot holds exactly the batches below the new segment.
 */
export function enqueue(s: LogState, batches: Buffer, infos: BatchInfo[], applyProducer?: (index: number) => void): Promise<void> {
  const items: QueueItem[] = [];
  let waiting = 0;
  let failed: Error | undefined;
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const done = (err?: Error) => {
    if (err && !failed) {
      failed = err;
      reject(err);
    }
    if (--waiting === 0 && !failed) resolve();
  };

  const config = s.config;
  let active = s.segments[s.segments.length - 1]!;
  let runStart = -1;
  let runPosition = 0;
  const closeRun = (endAt: number) => {
    if (runStart < 0) return;
    waiting++;
    items.push({
      kind: 'write',
      segment: active,
      position: runPosition,
      data: batches.subarray(runStart, endAt),
      endOffset: active.pendingEnd,
      done,
    });
    runStart = -1;
  };
  const nowMs = Date.now();
  for (let i = 0; i < infos.length; i++) {
    const info = infos[i]!;
    const wouldOverflow = active.pendingSize + info.size > config.segmentBytes;
    const relativeTooLarge = info.lastOffset - active.baseOffset > INT32_MAX;
    // Kafka judges segment.ms by the incoming batch's timestamp against the first batch's.
    if (!active.isEmpty && (wouldOverflow || relativeTooLarge || (config.segmentMs !== Infinity && segmentAged(config, s.rollJitterMs, active, nowMs, hasTrustedMaxTimestamp(info) ? Number(info.maxTimestamp) : -Infinity)))) {
      closeRun(info.position);
      active.seal();
      items.push({ kind: 'seal', segment: active });
      active = newActiveSegment(s.dir, config, info.baseOffset);
      s.segments.push(active);
      // Kafka snapshots producer state at each roll, named by the new segment's base offset.
      snapshotProducers(s, info.baseOffset, promise);
    }
    applyProducer?.(i);
    if (runStart < 0) {
      runStart = info.position;
      runPosition = active.pendingSize;
    }
    // The info is this append's own (walkBatches): it becomes the segment's record of the batch.
    info.position = active.pendingSize;
    active.assign(info);
  }
  closeRun(batches.length);
  s.nextOffset = active.pendingEnd;
  s.queue.push(items);
  return promise;
}

/**
 * Rolls the active segment when it holds data and has aged past segment.ms (minus jitter).
 * Returns whether it rolled.
 */
export function rollIfAged(s: LogState, nowMs: number): boolean {
  if (s.closed || s.exclusive || s.queue.failure) return false;
  const active = s.segments[s.segments.length - 1]!;
  if (active.isEmpty || !segmentAged(s.config, s.rollJitterMs, active, nowMs)) return false;
  active.seal();
  s.queue.push([{ kind: 'seal', segment: active }]);
  s.segments.push(newActiveSegment(s.dir, s.config, s.nextOffset));
  snapshotProducers(s, s.nextOffset, s.queue.idle());
  return true;
}
