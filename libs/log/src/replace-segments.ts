// Swapping a cleaner's output in for a run of closed segments (Kafka's replaceSegments).
import { discardCleaned, swapInCleaned, SwapIncomplete } from './cleaner/segment-swap';
import { LogError } from './log-error';
import type { LogState } from './log-state';
import type { Segment } from './segment';

/** See PartitionLog.replaceSegments. */
export async function replaceSegments(s: LogState, run: readonly Segment[], deleteDelayMs: number, truncationsSeen: number): Promise<boolean> {
  const stillThere = (): number => {
    const at = s.segments.indexOf(run[0]!);
    const ok = at >= 0 && at + run.length < s.segments.length && run.every((x, i) => s.segments[at + i] === x);
    return ok ? at : -1;
  };
  const changed = s.truncations !== truncationsSeen || stillThere() < 0;
  if (run.length === 0 || s.closed || s.exclusive || s.swapping || changed) {
    if (run[0]) await discardCleaned(s.dir, run[0].baseOffset);
    return false;
  }
  const nextBase = s.segments[stillThere() + run.length]!.baseOffset;
  const swap = swapInCleaned(s.dir, run, nextBase, s.config.indexIntervalBytes, deleteDelayMs).then((fresh) => {
    // Appends may have rolled new segments meanwhile; nothing else changes the list during a swap.
    const at = stillThere();
    s.segments = [...s.segments.slice(0, at), fresh, ...s.segments.slice(at + run.length)];
    if (s.closed) void fresh.close();
  }, (e: unknown) => {
    // Past the commit point the files and this log's view disagree: stop until a reopen
    // (whose recovery completes the swap), as after a failed write.
    if (e instanceof SwapIncomplete) s.queue.fail(new LogError('storage', e.message, { cause: e }));
    throw e;
  });
  s.swapping = swap;
  try {
    await swap;
    return true;
  } finally {
    s.swapping = undefined;
  }
}
