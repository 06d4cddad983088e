import { statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ErrorCode } from '@dms/kafka-errors';
import type { DescribeLogDirsRequest, DescribeLogDirsResponse, LogDirDescription, LogDirPartition } from '@dms/rpc';
import type { ReplicaManager } from './replica-manager';

/**
 * Kafka's DescribeLogDirs for this broker's log dirs (log.dirs): per dir, every partition replica
 * in it that was asked for (all when `allTopics`), with its bytes on disk and Kafka's offset lag
 * (how far the log end is behind the high watermark; 0 for a leader or a caught-up follower), and
 * the file system's total and usable bytes. An offline dir answers KAFKA_STORAGE_ERROR and no
 * partitions, as in Kafka. The first dir also fills the single-dir fields of the answer.
 */
export async function describeLogDirs(
  replicas: ReplicaManager,
  logDirs: string | readonly string[],
  req: DescribeLogDirsRequest,
  failures?: { isOffline(dir: string): boolean },
): Promise<DescribeLogDirsResponse> {
  const dirs = (typeof logDirs === 'string' ? [logDirs] : [...logDirs]).map((d) => (d === '' ? d : resolve(d)));
  const wanted = new Map<string, Set<number> | undefined>();
  for (const t of req.topics ?? []) wanted.set(t.topic, t.partitions.length > 0 ? new Set(t.partitions) : undefined);
  const byDir = new Map<string, LogDirPartition[]>(dirs.map((d) => [d, []]));
  for (const r of replicas.all()) {
    if (!req.allTopics) {
      if (!wanted.has(r.topic)) continue;
      const ps = wanted.get(r.topic);
      if (ps && !ps.has(r.partition)) continue;
    }
    const lag = r.log.highWatermark - r.log.logEndOffset;
    const list = byDir.get(resolve(dirname(r.log.dir))) ?? byDir.get(dirs[0]!);
    list?.push({ topic: r.topic, partition: r.partition, size: BigInt(r.log.size()), offsetLag: lag > 0n ? lag : 0n });
  }
  const described: LogDirDescription[] = [];
  for (const dir of dirs) {
    const partitions = byDir.get(dir)!;
    partitions.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    described.push(await describeOne(dir, partitions, failures?.isOffline(dir) ?? false));
  }
  const first = described[0]!;
  return { ...first, logDirs: described };
}

async function describeOne(logDir: string, partitions: LogDirPartition[], offline: boolean): Promise<LogDirDescription> {
  const storageError = { logDir, errorCode: ErrorCode.KAFKA_STORAGE_ERROR, totalBytes: -1n, usableBytes: -1n };
  if (offline) return { ...storageError, partitions: [] };
  try {
    const fs = await statfs(logDir, { bigint: true });
    return { logDir, errorCode: ErrorCode.NONE, totalBytes: fs.blocks * fs.bsize, usableBytes: fs.bavail * fs.bsize, partitions };
  } catch {
    return { ...storageError, partitions };
  }
}
