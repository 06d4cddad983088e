// The leader-epoch checkpoint read at open, or rebuilt from the batches when it cannot be
// trusted: every batch header carries the leader epoch it was written in (Kafka's
// partitionLeaderEpoch), so the checkpoint is a cache of what the log itself records.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LEADER_EPOCH_CHECKPOINT } from './file-names';
import { type EpochEntry, LeaderEpochCache } from './leader-epoch-cache';
import type { LogLogger } from './log-config';
import { LogError } from './log-error';
import type { Segment } from './segment';

/**
 * The checkpoint's entries; a corrupt or empty file, or a missing one beside data, is rebuilt from
 * the batch headers instead of failing the open (`rebuilt` then says the caller should persist).
 */
export async function loadLeaderEpochs(dir: string, segments: readonly Segment[], logger: LogLogger): Promise<{ epochs: EpochEntry[]; rebuilt: boolean }> {
  let text: string | undefined;
  try {
    text = await readFile(join(dir, LEADER_EPOCH_CHECKPOINT), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  let why: string;
  if (text === undefined) {
    if (segments.every((s) => s.isEmpty)) return { epochs: [], rebuilt: false };
    why = 'missing beside data';
  } else {
    try {
      return { epochs: LeaderEpochCache.parseCheckpoint(text), rebuilt: false };
    } catch (e) {
      if (!(e instanceof LogError) || e.kind !== 'corrupt') throw e;
      why = text.length === 0 ? 'empty' : e.message;
    }
  }
  const epochs = await epochsFromBatches(segments);
  logger('warn', 'rebuilt the leader-epoch checkpoint from batch headers', { dir, why, entries: epochs.length });
  return { epochs, rebuilt: true };
}

/** Kafka's assignment during recovery: each batch's epoch starts at the first offset seen in it. */
export async function epochsFromBatches(segments: readonly Segment[]): Promise<EpochEntry[]> {
  const cache = new LeaderEpochCache();
  for (const seg of segments) {
    await seg.scanFrom(0, (info) => {
      if (info.partitionLeaderEpoch >= 0) cache.assign(info.partitionLeaderEpoch, info.baseOffset);
    });
  }
  return [...cache.entries];
}
