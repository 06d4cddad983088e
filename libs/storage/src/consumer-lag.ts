import type { PartitionLog } from '@dms/log';
import type { Logger } from '@dms/platform';
import { type EndsAsk, type PartitionEnds, type RemoteEnds, tpKey } from './partition-end-offsets';
import { type RecordTimestamp, recordTimestampAt } from './record-timestamp';

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
   * caught up; undefined when the partition's leader could not tell (it did not answer, or the
   * record moved meanwhile: the next round asks again).
   */
  lagSeconds: number | undefined;
}

export interface ConsumerLagSources {
  /** The committed offsets of the groups this broker coordinates now (none when it coordinates none). */
  committedOffsets(): Iterable<{ groupId: string; topic: string; partition: number; offset: bigint }>;
  /** A partition this broker leads: its ends read locally at no cost. */
  localLeader(topic: string, partition: number): { ends: PartitionEnds; log: PartitionLog } | undefined;
  /**
   * The ends of partitions led elsewhere, and the record timestamps at the offsets asked, from
   * their leaders in one batch per leader.
   */
  remoteEnds(partitions: EndsAsk[]): Promise<Map<string, RemoteEnds>>;
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
 * partitions and the timestamp of the record at each committed offset: read locally for
 * partitions led here, else asked of the leaders over ListOffsets in the same call as the ends
 * (one call per leader per round). A timestamp is kept per (partition, committed offset) while
 * that commit stands, so an unchanged commit is not asked again. Scrapes read the result of the
 * last round, so their cost does not grow with groups.
 */
export class ConsumerLagCollector {
  private samplesNow: readonly LagSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly now: () => number;
  /** Record timestamps per (partition, committed offset) of the last round (see round()). */
  private timestamps = new Map<string, RecordTimestamp>();

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
    const locals = new Map<string, PartitionLog>();
    const remote = new Map<string, { topic: string; partition: number; recordsAt: bigint[] }>();
    for (const c of commits) {
      const key = tpKey(c.topic, c.partition);
      const asked = remote.get(key);
      if (asked) {
        if (!this.timestamps.has(tsKey(key, c.offset)) && !asked.recordsAt.includes(c.offset)) asked.recordsAt.push(c.offset);
        continue;
      }
      if (ends.has(key)) continue;
      const local = sources.localLeader(c.topic, c.partition);
      if (local) {
        ends.set(key, local.ends);
        locals.set(key, local.log);
      } else remote.set(key, { topic: c.topic, partition: c.partition, recordsAt: this.timestamps.has(tsKey(key, c.offset)) ? [] : [c.offset] });
    }
    const remoteRecords = new Map<string, Map<bigint, RecordTimestamp | null>>();
    if (remote.size > 0) {
      for (const [key, e] of await sources.remoteEnds([...remote.values()])) {
        ends.set(key, e);
        remoteRecords.set(key, e.records);
      }
    }

    const now = this.now();
    const kept = new Map<string, RecordTimestamp>();
    const out: LagSample[] = [];
    for (const c of commits) {
      const key = tpKey(c.topic, c.partition);
      const e = ends.get(key);
      if (!e) continue; // no live leader answered: no figure rather than a wrong one
      const lag = e.highWatermark > c.offset ? e.highWatermark - c.offset : 0n;
      let lagSeconds: number | undefined = 0;
      if (lag > 0n) {
        const k = tsKey(key, c.offset);
        let at: RecordTimestamp | null | undefined = kept.get(k) ?? this.timestamps.get(k);
        // Below the log start the first record a consumer gets is at the log start: once retention
        // passes the record remembered, it is asked again next round.
        if (at && at.offset < e.logStartOffset) at = undefined;
        else if (!at) {
          const log = locals.get(key);
          at = log ? await recordTimestampAt(log, c.offset, e.highWatermark) : remoteRecords.get(key)?.get(c.offset);
        }
        if (at) kept.set(k, at);
        lagSeconds = at ? Math.max(0, now - at.timestamp) / 1000 : undefined;
      }
      out.push({ groupId: c.groupId, topic: c.topic, partition: c.partition, committedOffset: c.offset, highWatermark: e.highWatermark, lag, lagSeconds });
    }
    this.timestamps = kept;
    this.samplesNow = out;
  }
}

const tsKey = (key: string, offset: bigint): string => `${key}\0${offset}`;
