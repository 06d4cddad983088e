// Kafka's recovery point: the offset below which a log is known to be on stable storage. After an
// unclean shutdown only what lies past it can be torn or lost, so recovery verifies every segment
// holding offsets at or past it (not only the active one) and trusts the rest. The owner keeps the
// points of a log dir in its recovery-point-offset-checkpoint.
import { unlink } from 'node:fs/promises';
import type { Segment } from './segment';

export class RecoveryPoint {
  constructor(private value: bigint) {}

  get offset(): bigint {
    return this.value;
  }

  /** A sync of everything written below `end` completed. */
  flushedTo(end: bigint): void {
    if (end > this.value) this.value = end;
  }

  /** The log was cut (truncation, reset): nothing past `end` exists. */
  truncatedTo(end: bigint): void {
    if (this.value > end) this.value = end;
  }
}

/** Whether a closed segment ending before `nextBase` must be verified: it holds offsets at or past the recovery point. */
export function needsRecovery(recoveryPoint: bigint | undefined, nextBase: bigint): boolean {
  return recoveryPoint !== undefined && nextBase > recoveryPoint;
}

/** Removes the files of segments after a torn one (their offsets no longer follow the log). */
export async function removeSegmentFiles(segment: Segment): Promise<void> {
  const p = segment.paths;
  await Promise.all([p.log, p.index, p.timeIndex, p.txnIndex].map((f) => unlink(f).catch(() => undefined)));
}
