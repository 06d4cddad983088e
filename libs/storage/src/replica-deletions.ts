import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Etcd3 } from 'etcd3';
import { replicaDeletionKey, type ClusterView, type ReplicaDeletionRecord } from '@dms/cluster';
import { fsyncDir, readPartitionMetadata } from '@dms/log';
import type { Logger } from '@dms/platform';

export interface ReplicaDeletionsOptions {
  brokerId: number;
  view: ClusterView;
  /** Online log dirs (log.dirs). */
  logDirs: () => readonly string[];
  /** Whether `<topic>-<partition>` is open or opening here. */
  inUse: (topic: string, partition: number) => boolean;
  /** Forgets the partition's checkpointed offsets once its directory is gone. */
  forget: (topic: string, partition: number) => void;
  /** Removes the record (compare-and-set on its modRevision). */
  acknowledge?: (record: ReplicaDeletionRecord, modRevision: bigint) => Promise<unknown>;
  logger: Logger;
}

/**
 * Deletes the directories of replicas a reassignment took off this broker, only on a record the
 * controller wrote with the change (ReplicaDeletionRecord), and only when the directory holds that
 * record's topic id and the partition is not assigned here again. Then removes the record.
 */
export class ReplicaDeletions {
  private readonly acked = new Set<string>();

  constructor(private readonly opts: ReplicaDeletionsOptions) {}

  async apply(): Promise<void> {
    const { view, brokerId, logger } = this.opts;
    for (const { value: rec, modRevision } of view.replicaDeletions().values()) {
      if (rec.brokerId !== brokerId) continue;
      const tag = `${rec.topicId}/${rec.partition}@${modRevision}`;
      if (this.acked.has(tag)) continue;
      const assignedAgain = view.topic(rec.name)?.topicId === rec.topicId && (view.partitions(rec.name).get(rec.partition)?.replicas.includes(brokerId) ?? false);
      if (!assignedAgain) {
        if (this.opts.inUse(rec.name, rec.partition)) continue; // still closing: the next pass deletes it
        try {
          await this.remove(rec);
        } catch (err) {
          logger.warn({ err, topic: rec.name, partition: rec.partition }, 'could not delete a reassigned-away replica directory; will retry');
          continue;
        }
      }
      this.acked.add(tag);
      await this.opts.acknowledge?.(rec, modRevision).catch((err) => {
        this.acked.delete(tag);
        logger.warn({ err, topic: rec.name, partition: rec.partition }, 'could not remove a replica deletion record; will retry');
      });
    }
  }

  private async remove(rec: ReplicaDeletionRecord): Promise<void> {
    for (const logDir of this.opts.logDirs()) {
      const dir = join(logDir, `${rec.name}-${rec.partition}`);
      if (!(await stat(dir).then((s) => s.isDirectory(), () => false))) continue;
      const onDisk = await readPartitionMetadata(dir).catch(() => undefined);
      if (onDisk !== undefined && onDisk.topicId !== rec.topicId) continue; // another topic's log under the same name
      await rm(dir, { recursive: true, force: true });
      await fsyncDir(logDir);
      this.opts.forget(rec.name, rec.partition);
      this.opts.logger.info({ dir, topicId: rec.topicId }, 'deleted the log of a replica reassigned away from this broker');
    }
  }
}

/** Removes a replica deletion record by compare-and-set on its modRevision. */
export async function acknowledgeReplicaDeletion(etcd: Etcd3, clusterName: string, record: ReplicaDeletionRecord, modRevision: bigint): Promise<boolean> {
  const key = replicaDeletionKey(clusterName, record.topicId, record.partition, record.brokerId);
  const res = await etcd.if(key, 'Mod', '==', modRevision.toString()).then(etcd.delete().key(key)).commit();
  return res.succeeded;
}
