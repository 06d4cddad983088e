import { randomUUID } from 'node:crypto';
import { readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Etcd3 } from 'etcd3';
import { topicDeletionKey, topicDeletionRecord, type ClusterView, type TopicDeletionRecord } from '@dms/cluster';
import { fsyncDir, readPartitionMetadata } from '@dms/log';
import type { Logger } from '@dms/platform';

/** `<topic>-<partition>`: a live partition directory (strays and deletions carry a suffix). */
const PARTITION_DIR = /^(.+)-(\d+)$/;

/** Kafka's stray suffix: `<topic>-<partition>.<uuid>-stray`, kept for an operator to judge. */
export const STRAY_SUFFIX = '-stray';

export interface LogDirJanitorOptions {
  /** The log dirs to look after (log.dirs), online ones only. */
  logDirs: () => readonly string[];
  brokerId: number;
  view: ClusterView;
  /** Removes this broker from a deletion record (the last one removes the record). */
  acknowledge?: (record: TopicDeletionRecord, modRevision: bigint) => Promise<unknown>;
  /** Whether `<topic>-<partition>` is open or opening here (its dir is not ours to touch). */
  inUse: (topic: string, partition: number) => boolean;
  logger: Logger;
}

/**
 * The only code that removes or moves partition directories. A directory is deleted only when a
 * topic deletion record (written by DeleteTopics) names its topic id; a directory whose topic is
 * unknown, or whose name now belongs to a topic with another id that no deletion names, is renamed
 * aside as a stray, never deleted. A topic merely absent from etcd (wiped, restored) loses nothing.
 */
export class LogDirJanitor {
  /** Deletion records this broker has acknowledged (ack in flight or done). */
  private readonly acked = new Set<string>();

  constructor(private readonly opts: LogDirJanitorOptions) {}

  private deletionOf(topicId: string | undefined): { value: TopicDeletionRecord; modRevision: bigint } | undefined {
    return topicId === undefined ? undefined : this.opts.view.topicDeletions().get(topicId);
  }

  /**
   * A partition directory holds another topic id than the topic to open there: deleted when that
   * topic's deletion is on record, renamed aside as a stray otherwise.
   */
  async clearForNewTopic(dir: string): Promise<void> {
    const onDisk = await readPartitionMetadata(dir).catch(() => undefined);
    if (this.deletionOf(onDisk?.topicId)) await this.remove(dir, onDisk!.topicId);
    else await this.strayAside(dir, `holds topic id ${onDisk?.topicId ?? 'unknown'}, not the current topic's`);
  }

  /**
   * Acts on the deletion records: deletes every directory of a deleted topic id not in use, then
   * acknowledges the records naming this broker. Runs after each change of the view.
   */
  async applyDeletions(): Promise<void> {
    const pending = this.opts.view.topicDeletions();
    if (pending.size === 0) return;
    const dirs = await this.partitionDirs();
    for (const [topicId, { value, modRevision }] of pending) {
      let left = false;
      for (const d of dirs) {
        if (d.topic !== value.name) continue;
        if (this.opts.inUse(d.topic, d.partition)) continue;
        const onDisk = await readPartitionMetadata(d.path).catch(() => undefined);
        if (onDisk?.topicId !== topicId) continue;
        try {
          await this.remove(d.path, topicId);
        } catch (err) {
          left = true;
          this.opts.logger.warn({ err, dir: d.name }, 'could not delete the log of a deleted topic; will retry');
        }
      }
      if (left || !value.brokers.includes(this.opts.brokerId) || this.acked.has(`${topicId}@${modRevision}`)) continue;
      this.acked.add(`${topicId}@${modRevision}`);
      await this.opts.acknowledge?.(value, modRevision).catch((err) => {
        this.acked.delete(`${topicId}@${modRevision}`);
        this.opts.logger.warn({ err, topicId }, 'could not acknowledge a topic deletion; will retry');
      });
    }
  }

  /**
   * Once at start-up, against a verified cluster id: partition directories of no known topic
   * (or of a topic id etcd does not have under that name) that no deletion names go aside.
   */
  async sweepStrays(): Promise<void> {
    const { view } = this.opts;
    for (const d of await this.partitionDirs()) {
      if (this.opts.inUse(d.topic, d.partition)) continue;
      const dir = d.path;
      const onDisk = await readPartitionMetadata(dir).catch(() => undefined);
      if (this.deletionOf(onDisk?.topicId)) continue; // applyDeletions removes it
      const topic = view.topic(d.topic);
      if (topic && (onDisk === undefined || onDisk.topicId === topic.topicId)) continue;
      await this.strayAside(dir, topic ? `holds topic id ${onDisk?.topicId}, etcd has ${topic.topicId}` : 'its topic is unknown to etcd').catch((err) =>
        this.opts.logger.warn({ err, dir: d.name }, 'could not rename a stray partition directory'),
      );
    }
  }

  private async partitionDirs(): Promise<Array<{ name: string; path: string; topic: string; partition: number }>> {
    const out: Array<{ name: string; path: string; topic: string; partition: number }> = [];
    for (const logDir of this.opts.logDirs()) {
      const names = await readdir(logDir, { withFileTypes: true }).catch(() => []);
      for (const e of names) {
        const m = e.isDirectory() ? PARTITION_DIR.exec(e.name) : null;
        if (m) out.push({ name: e.name, path: join(logDir, e.name), topic: m[1]!, partition: Number(m[2]) });
      }
    }
    return out;
  }

  private async remove(dir: string, topicId: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
    await fsyncDir(dirname(dir));
    this.opts.logger.info({ dir, topicId }, 'deleted partition log of a deleted topic');
  }

  private async strayAside(dir: string, why: string): Promise<void> {
    const to = `${dir}.${randomUUID().replace(/-/g, '')}${STRAY_SUFFIX}`;
    await rename(dir, to);
    await fsyncDir(dirname(dir));
    this.opts.logger.warn({ dir, renamedTo: to, why }, 'stray partition directory renamed aside (not deleted)');
  }
}

/**
 * Removes `brokerId` from a deletion record by compare-and-set on its modRevision; the last
 * broker deletes the record. A lost race is retried on the next view change.
 */
export async function acknowledgeTopicDeletion(
  etcd: Etcd3,
  clusterName: string,
  brokerId: number,
  record: TopicDeletionRecord,
  modRevision: bigint,
): Promise<boolean> {
  const key = topicDeletionKey(clusterName, record.topicId);
  const brokers = record.brokers.filter((b) => b !== brokerId);
  const write = brokers.length === 0 ? etcd.delete().key(key) : etcd.put(key).value(topicDeletionRecord.encode({ ...record, brokers }));
  const res = await etcd.if(key, 'Mod', '==', modRevision.toString()).then(write).commit();
  return res.succeeded;
}
