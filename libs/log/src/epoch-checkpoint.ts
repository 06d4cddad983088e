// The leader-epoch checkpoint of a partition log: serialised atomic rewrites of the cache.
import { join } from 'node:path';
import { writeCheckpointFile } from './file-io';
import { LEADER_EPOCH_CHECKPOINT } from './file-names';
import { fsyncDir } from './fsync-dir';
import { LogError } from './log-error';
import type { LogState } from './log-state';
import { ioMessage } from './write-queue';

/** Called after each write cycle: appends that started a new epoch mark the cache dirty. */
export function persistEpochsIfDirty(s: LogState): Promise<void> | undefined {
  return s.epochsDirty ? persistEpochs(s) : undefined;
}

/**
 * Serialised atomic rewrite (temp file + rename) of the leader-epoch checkpoint. A failure stops
 * the log like a failed data write: appends made under the unrecorded epoch must not be served.
 */
export function persistEpochs(s: LogState): Promise<void> {
  s.epochsDirty = false;
  const write = async () => {
    try {
      await writeCheckpointFile(join(s.dir, LEADER_EPOCH_CHECKPOINT), s.epochs.encodeCheckpoint(), s.config.fsync === 'always');
      if (s.config.fsync === 'always') await fsyncDir(s.dir);
    } catch (e) {
      throw s.queue.fail(new LogError('storage', `leader-epoch-checkpoint write failed: ${ioMessage(e)}`, { cause: e }));
    }
  };
  s.epochWrite = s.epochWrite.then(write, write);
  return s.epochWrite;
}
