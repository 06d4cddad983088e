// Files of a partition directory read or tidied when a log opens: the directory itself, the topic
// id, and what a crash can leave behind (the leader-epoch checkpoint: leader-epoch-rebuild.ts).
import { mkdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fsyncDir } from './fsync-dir';
import { DELETED_SUFFIX, INDEX_SUFFIX, SNAPSHOT_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX, parseSegmentFileName } from './file-names';
import type { ResolvedLogConfig } from './log-config';
import { LogError } from './log-error';
import { readPartitionMetadata, writePartitionMetadata } from './partition-metadata';

/** mkdir -p; with fsync, the new directory's entry is synced in its parent (POSIX durability). */
export async function createPartitionDir(dir: string, fsync: boolean): Promise<void> {
  const created = await mkdir(dir, { recursive: true });
  if (fsync && created !== undefined) await fsyncDir(dirname(dir));
}

export async function checkTopicId(dir: string, expected: string | undefined, fsync = false): Promise<string | undefined> {
  const onDisk = await readPartitionMetadata(dir);
  if (onDisk && expected && onDisk.topicId !== expected) {
    throw new LogError('inconsistent-topic-id', `${dir} belongs to topic id ${onDisk.topicId}, not ${expected}`);
  }
  if (!onDisk && expected) await writePartitionMetadata(dir, expected, fsync);
  return onDisk?.topicId ?? expected;
}

export async function removeOrphanIndexes(dir: string, names: string[], bases: Set<bigint>, cfg: ResolvedLogConfig) {
  for (const name of names) {
    const base = parseSegmentFileName(name, INDEX_SUFFIX) ?? parseSegmentFileName(name, TIME_INDEX_SUFFIX) ?? parseSegmentFileName(name, TXN_INDEX_SUFFIX);
    if (base !== undefined && !bases.has(base)) {
      cfg.logger('info', 'removing index without a log segment', { dir, file: name });
      await unlink(join(dir, name));
    }
  }
}

/** Segment files a crash left scheduled for deletion (Kafka removes them at start-up). */
export async function removeDeletedFiles(dir: string, names: string[]) {
  for (const name of names) {
    // Also a snapshot whose write a crash interrupted before its rename.
    if (name.endsWith(DELETED_SUFFIX) || name.endsWith(SNAPSHOT_SUFFIX + '.tmp')) await unlink(join(dir, name)).catch(() => {});
  }
}

