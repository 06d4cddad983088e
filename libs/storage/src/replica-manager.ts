import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterView } from '@dms/cluster';
import { LogError, PartitionLog, type LogConfig } from '@dms/log';
import type { Logger } from '@dms/platform';
import { PartitionReplica } from './partition-replica';

export interface ReplicaManagerOptions {
  brokerId: number;
  logDir: string;
  logConfig: Omit<LogConfig, 'topicId'>;
  logger: Logger;
}

const partitionDir = (root: string, topic: string, partition: number) => join(root, `${topic}-${partition}`);

/**
 * Keeps the set of open partition logs equal to the partitions etcd says this broker leads:
 * opens (recovering) logs it gains, closes those it loses, deletes those of deleted topics.
 * Changes are applied one at a time, in the order etcd reported them.
 */
export class ReplicaManager {
  private readonly replicas = new Map<string, PartitionReplica>();
  private readonly opening = new Map<string, Promise<PartitionReplica | undefined>>();
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private sweptOrphans = false;

  constructor(
    private readonly view: ClusterView,
    private readonly opts: ReplicaManagerOptions,
  ) {}

  start(): void {
    this.view.on('change', () => this.schedule());
    this.schedule();
  }

  /** The replica if this broker leads it now; waits for a log that is still opening. */
  async get(topic: string, partition: number): Promise<PartitionReplica | undefined> {
    const key = `${topic}\0${partition}`;
    return this.replicas.get(key) ?? (await this.opening.get(key));
  }

  getNow(topic: string, partition: number): PartitionReplica | undefined {
    return this.replicas.get(`${topic}\0${partition}`);
  }

  get size(): number {
    return this.replicas.size;
  }

  /** Settles once every change seen so far has been applied. */
  idle(): Promise<void> {
    return this.chain;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
    await Promise.all([...this.replicas.values()].map((r) => r.log.close().catch(() => undefined)));
    this.replicas.clear();
  }

  private schedule(): void {
    this.chain = this.chain.then(() => this.reconcile()).catch((err) => this.opts.logger.error({ err }, 'partition reconcile failed'));
  }

  private async reconcile(): Promise<void> {
    if (this.closed) return;
    const { brokerId, logDir, logger } = this.opts;
    const topics = this.view.topics();
    const wanted = new Map<string, { topic: string; partition: number; epoch: number; topicId: string; configs: Record<string, string> }>();
    for (const { topic, partition, state } of this.view.allPartitions()) {
      const rec = topics.get(topic);
      if (!rec || state.leader !== brokerId) continue;
      wanted.set(`${topic}\0${partition}`, { topic, partition, epoch: state.leaderEpoch, topicId: rec.topicId, configs: rec.configs });
    }
    for (const [key, r] of this.replicas) {
      const w = wanted.get(key);
      if (w && w.topicId === r.topicId) {
        r.leaderEpoch = w.epoch;
        r.configs = w.configs;
        continue;
      }
      this.replicas.delete(key);
      await r.log.close().catch(() => undefined);
      const topicGone = !topics.has(r.topic) || topics.get(r.topic)!.topicId !== r.topicId;
      if (topicGone) {
        await PartitionLog.delete(partitionDir(logDir, r.topic, r.partition));
        logger.info({ topic: r.topic, partition: r.partition }, 'deleted partition log of a deleted topic');
      } else {
        logger.info({ topic: r.topic, partition: r.partition }, 'no longer leader; closed partition log');
      }
    }
    for (const [key, w] of wanted) {
      if (this.replicas.has(key)) continue;
      const opening = this.open(w).finally(() => this.opening.delete(key));
      this.opening.set(key, opening);
      const replica = await opening;
      if (replica) this.replicas.set(key, replica);
    }
    if (!this.sweptOrphans && this.view.clusterId()) {
      // Once, at start-up, against a view that has loaded real cluster state.
      this.sweptOrphans = true;
      await this.removeOrphanDirs(topics);
    }
  }

  private async open(w: { topic: string; partition: number; epoch: number; topicId: string; configs: Record<string, string> }) {
    const dir = partitionDir(this.opts.logDir, w.topic, w.partition);
    try {
      let log: PartitionLog;
      try {
        log = await PartitionLog.open(dir, { ...this.opts.logConfig, topicId: w.topicId });
      } catch (err) {
        if (!(err instanceof LogError && err.kind === 'inconsistent-topic-id')) throw err;
        // Same name, new topic: the log on disk belongs to a deleted topic.
        await PartitionLog.delete(dir);
        log = await PartitionLog.open(dir, { ...this.opts.logConfig, topicId: w.topicId });
      }
      // A single replica is the whole ISR: everything on disk is committed.
      log.highWatermark = log.logEndOffset;
      this.opts.logger.info({ topic: w.topic, partition: w.partition, leaderEpoch: w.epoch, logEndOffset: String(log.logEndOffset) }, 'leading partition');
      return new PartitionReplica(w.topic, w.partition, w.topicId, log, w.epoch, w.configs);
    } catch (err) {
      this.opts.logger.error({ err, topic: w.topic, partition: w.partition }, 'could not open partition log');
      return undefined;
    }
  }

  /** Logs left on disk for topics that were deleted while this broker was down. */
  private async removeOrphanDirs(topics: ReadonlyMap<string, unknown>): Promise<void> {
    if (!existsSync(this.opts.logDir)) return;
    for (const name of readdirSync(this.opts.logDir)) {
      const m = /^(.+)-(\d+)$/.exec(name);
      if (!m || topics.has(m[1])) continue;
      await PartitionLog.delete(join(this.opts.logDir, name)).catch(() => undefined);
      this.opts.logger.info({ dir: name }, 'deleted log of a topic that no longer exists');
    }
  }
}
