import { enforceRetention } from '@dms/log';
import type { Logger } from '@dms/platform';
import type { PartitionReplica } from './partition-replica';
import type { ReplicaManager } from './replica-manager';
import { type BrokerLogDefaults, logLifecycleSettings } from './retention-settings';

/**
 * Kafka's internal topics are compacted; one created before DMS recorded that (no cleanup.policy
 * in its configs) must not fall back to `delete` and lose group or transaction state.
 */
const COMPACTED_INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state', '__share_group_state']);

export interface LogRetentionOptions {
  replicas: Pick<ReplicaManager, 'all' | 'checkpointLogStartOffsets'>;
  /** Kafka's log.retention.check.interval.ms. */
  checkIntervalMs: number;
  brokerDefaults: BrokerLogDefaults;
  logger: Logger;
}

/**
 * The broker's retention loop (the delete half of Kafka's LogManager cleanup), every
 * log.retention.check.interval.ms over every replica on this broker:
 * - topic configs are re-read each time, so a changed retention.ms applies at the next check;
 * - every replica rolls an active segment older than segment.ms, so idle data can age out;
 * - a leader whose cleanup.policy contains `delete` deletes the closed segments past retention.ms
 *   or retention.bytes and below the high watermark, moving its log start offset; followers learn
 *   it from their fetches (ReplicaFetcher) and here drop their own segments wholly below it.
 */
export class LogRetention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly opts: LogRetentionOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.check(), this.opts.checkIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One pass; a pass still running makes this a no-op (the next tick tries again). */
  check(nowMs: number = Date.now()): Promise<void> {
    if (this.running || this.stopped) return this.running ?? Promise.resolve();
    this.running = this.pass(nowMs).finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(nowMs: number): Promise<void> {
    let moved = false;
    for (const r of [...this.opts.replicas.all()]) {
      if (this.stopped) return;
      try {
        moved = (await this.checkReplica(r, nowMs)) || moved;
      } catch (err) {
        this.opts.logger.warn({ err, topic: r.topic, partition: r.partition }, 'retention check failed');
      }
    }
    if (moved) await this.opts.replicas.checkpointLogStartOffsets();
  }

  /** Returns whether the replica's log start offset moved. */
  private checkReplica(r: PartitionReplica, nowMs: number): Promise<boolean> {
    const configs = COMPACTED_INTERNAL_TOPICS.has(r.topic) && r.configs['cleanup.policy'] === undefined ? { ...r.configs, 'cleanup.policy': 'compact' } : r.configs;
    const settings = logLifecycleSettings(configs, this.opts.brokerDefaults);
    r.log.updateSettings(settings.log);
    return r.serial(async () => {
      const before = r.log.logStartOffset;
      if (r.role === 'leader' && settings.deletePolicy) {
        const out = await enforceRetention(r.log, settings, nowMs);
        if (out.deletedSegments > 0) {
          this.opts.logger.info(
            { topic: r.topic, partition: r.partition, deletedSegments: out.deletedSegments, logStartOffset: String(out.logStartOffset), reason: out.reason },
            'deleted log segments past retention',
          );
        }
      } else {
        r.log.rollIfAged(nowMs);
        // A follower's start may have passed segments that were still active then.
        if (r.log.segmentList().length > 1) await r.log.deleteRecordsBefore(r.log.logStartOffset);
      }
      const moved = r.log.logStartOffset !== before;
      if (moved) r.onLogStartMoved();
      return moved;
    });
  }
}
