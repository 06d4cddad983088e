import { BATCH_HEADER_SIZE, readBatchHeader, timestampTypeOf } from '@dms/kafka-codec';
import type { PartitionLog } from '@dms/log';
import type { Logger } from '@dms/platform';
import { tpKey, type PartitionEnds } from './partition-end-offsets';

/** One group's position in one partition, as the last collection saw it. */
export interface LagSample {
  groupId: string;
  topic: string;
  partition: number;
  committedOffset: bigint;
  highWatermark: bigint;
  /** highWatermark - committedOffset, never below 0. */
  lag: bigint;
  /**
   * Age in seconds of the first record not consumed (the record at the committed offset), 0 when
   * caught up; undefined when no replica of the partition is on this broker to read it from.
   */
  lagSeconds: number | undefined;
}

export interface ConsumerLagSources {
  /** The committed offsets of the groups this broker coordinates now (none when it coordinates none). */
  committedOffsets(): Iterable<{ groupId: string; topic: string; partition: number; offset: bigint }>;
  /** A partition this broker leads: its ends read locally at no cost. */
  localLeader(topic: string, partition: number): { ends: PartitionEnds; log: PartitionLog } | undefined;
  /** A replica of the partition on this broker in any role, to read record timestamps from. */
  localLog(topic: string, partition: number): { log: PartitionLog; readableEnd: bigint } | undefined;
  /** The ends of partitions led elsewhere, asked of their leaders in one batch per leader. */
  remoteEnds(partitions: Array<{ topic: string; partition: number }>): Promise<Map<string, PartitionEnds>>;
}

export interface ConsumerLagOptions {
  sources: ConsumerLagSources;
  /** metrics.consumer.lag.interval.ms: how often lag is recomputed; scrapes read the cached result. */
  intervalMs: number;
  logger: Logger;
  now?: () => number;
}

/**
 * Consumer group lag computed on the group coordinator, without a client: each round takes the
 * committed offsets of the groups this broker coordinates, the high watermark of each of their
 * partitions (locally for partitions led here, else from the leaders over ListOffsets, one call
 * per leader), and the timestamp of the record at the committed offset where a local replica
 * holds it. Scrapes read the result of the last round, so their cost does not grow with groups.
 */
export class ConsumerLagCollector {
  private samplesNow: readonly LagSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: ConsumerLagOptions) {
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    if (this.timer) return;
    void this.collect();
    this.timer = setInterval(() => void this.collect(), this.opts.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The result of the last round. */
  samples(): readonly LagSample[] {
    return this.samplesNow;
  }

  /** Runs one round now (a round in progress is joined, not doubled). */
  collect(): Promise<void> {
    this.running ??= this.round()
      .catch((err) => this.opts.logger.warn({ err: (err as Error).message }, 'consumer lag collection failed; next round retries'))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async round(): Promise<void> {
    const { sources } = this.opts;
    const commits = [...sources.committedOffsets()];
    const ends = new Map<string, PartitionEnds>();
    const remote = new Map<string, { topic: string; partition: number }>();
    for (const c of commits) {
      const key = tpKey(c.topic, c.partition);
      if (ends.has(key) || remote.has(key)) continue;
      const local = sources.localLeader(c.topic, c.partition);
      if (local) ends.set(key, local.ends);
      else remote.set(key, { topic: c.topic, partition: c.partition });
    }
    if (remote.size > 0) for (const [key, e] of await sources.remoteEnds([...remote.values()])) ends.set(key, e);

    const now = this.now();
    const timestamps = new Map<string, number | undefined>();
    const out: LagSample[] = [];
    for (const c of commits) {
      const key = tpKey(c.topic, c.partition);
      const e = ends.get(key);
      if (!e) continue; // no live leader answered: no figure rather than a wrong one
      const lag = e.highWatermark > c.offset ? e.highWatermark - c.offset : 0n;
      let lagSeconds: number | undefined = 0;
      if (lag > 0n) {
        // Below the log start the first record a consumer gets is at the log start.
        const from = c.offset < e.logStartOffset ? e.logStartOffset : c.offset;
        const tsKey = `${key}\0${from}`;
        if (!timestamps.has(tsKey)) timestamps.set(tsKey, await this.timestampAt(c.topic, c.partition, from));
        const ts = timestamps.get(tsKey);
        lagSeconds = ts === undefined ? undefined : Math.max(0, now - ts) / 1000;
      }
      out.push({ groupId: c.groupId, topic: c.topic, partition: c.partition, committedOffset: c.offset, highWatermark: e.highWatermark, lag, lagSeconds });
    }
    this.samplesNow = out;
  }

  /**
   * The timestamp of the batch holding `offset` in a local replica: its first record's time
   * (CreateTime) or its append time (LogAppendTime). One positional read of one batch.
   */
  private async timestampAt(topic: string, partition: number, offset: bigint): Promise<number | undefined> {
    const local = this.opts.sources.localLog(topic, partition);
    if (!local || offset >= local.readableEnd) return undefined;
    try {
      const { records } = await local.log.read(offset, 1, { upperBound: local.readableEnd, minOneBatch: true });
      if (records.length < BATCH_HEADER_SIZE) return undefined;
      const h = readBatchHeader(records, 0);
      return Number(timestampTypeOf(h.attributes) === 'logAppend' ? h.maxTimestamp : h.baseTimestamp);
    } catch {
      return undefined; // moved by retention or truncation meanwhile: the next round reads again
    }
  }
}
