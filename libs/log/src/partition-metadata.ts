import { open, readFile, rename, writeFile } from 'node:fs/promises';
import { fsyncDir } from './fsync-dir';
import { join } from 'node:path';
import { PARTITION_METADATA } from './file-names';
import { LogError } from './log-error';

/** Kafka's `partition.metadata`: "version: 0\ntopic_id: <base64 uuid>". */
export function encodePartitionMetadata(topicId: string): string {
  return `version: 0\ntopic_id: ${topicId}`;
}

export function parsePartitionMetadata(text: string): { topicId: string } {
  const m = /^version: 0\s*\ntopic_id: (\S+)\s*$/.exec(text);
  if (!m) throw new LogError('corrupt', 'malformed partition.metadata');
  return { topicId: m[1]! };
}

export async function readPartitionMetadata(dir: string): Promise<{ topicId: string } | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, PARTITION_METADATA), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return parsePartitionMetadata(text);
}

/** Temp file + rename; with fsync, the file and then its directory entry are synced too. */
export async function writePartitionMetadata(dir: string, topicId: string, fsync = false): Promise<void> {
  const path = join(dir, PARTITION_METADATA);
  await writeFile(path + '.tmp', encodePartitionMetadata(topicId));
  if (fsync) {
    const fh = await open(path + '.tmp', 'r+');
    await fh.sync().finally(() => fh.close());
  }
  await rename(path + '.tmp', path);
  if (fsync) await fsyncDir(dir);
}
