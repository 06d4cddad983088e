import { statfs } from 'node:fs/promises';
import { ErrorCode } from '@dms/kafka-errors';
import type { DescribeLogDirsRequest, DescribeLogDirsResponse, LogDirPartition } from '@dms/rpc';
import type { ReplicaManager } from './replica-manager';

/**
 * Kafka's DescribeLogDirs for this broker's one log dir: every partition replica asked for (all
 * when `allTopics`), with its bytes on disk and Kafka's offset lag (how far the log end is
 * behind the high watermark; 0 for a leader or a caught-up follower), and the file system's
 * total and usable bytes.
 */
export async function describeLogDirs(
  replicas: ReplicaManager,
  logDir: string,
  req: DescribeLogDirsRequest,
  failures?: { isOffline(dir: string): boolean },
): Promise<DescribeLogDirsResponse> {
  // Kafka answers an offline dir with KAFKA_STORAGE_ERROR and no partitions.
  if (failures?.isOffline(logDir)) return { logDir, errorCode: ErrorCode.KAFKA_STORAGE_ERROR, totalBytes: -1n, usableBytes: -1n, partitions: [] };
  const wanted = new Map<string, Set<number> | undefined>();
  for (const t of req.topics ?? []) wanted.set(t.topic, t.partitions.length > 0 ? new Set(t.partitions) : undefined);
  const partitions: LogDirPartition[] = [];
  for (const r of replicas.all()) {
    if (!req.allTopics) {
      if (!wanted.has(r.topic)) continue;
      const ps = wanted.get(r.topic);
      if (ps && !ps.has(r.partition)) continue;
    }
    const lag = r.log.highWatermark - r.log.logEndOffset;
    partitions.push({ topic: r.topic, partition: r.partition, size: BigInt(r.log.size()), offsetLag: lag > 0n ? lag : 0n });
  }
  partitions.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  try {
    const fs = await statfs(logDir, { bigint: true });
    return { logDir, errorCode: ErrorCode.NONE, totalBytes: fs.blocks * fs.bsize, usableBytes: fs.bavail * fs.bsize, partitions };
  } catch {
    return { logDir, errorCode: ErrorCode.KAFKA_STORAGE_ERROR, totalBytes: -1n, usableBytes: -1n, partitions };
  }
}
