import { GroupAdmin, type KafkaClient } from '@dms/kafka-client';
import { endOffsets, topicSizes } from './cluster-reader';
import { SeriesStore } from './ring';

/** Series names: one ring each. */
export const series = {
  messagesIn: (topic: string) => `topic.messagesInPerSec:${topic}`,
  bytesIn: (topic: string) => `topic.bytesInPerSec:${topic}`,
  groupLag: (group: string) => `group.lag:${group}`,
  groupTopicLag: (group: string, topic: string) => `group.lag:${group}:${topic}`,
};

/** Messages per second from two end-offset sums; null when the first sample is missing. */
export function rate(prev: { t: number; v: number } | undefined, now: { t: number; v: number }): number | null {
  if (!prev || now.t <= prev.t) return null;
  // Offsets only grow; a drop means the topic was recreated: no rate for that interval.
  if (now.v < prev.v) return null;
  return ((now.v - prev.v) * 1000) / (now.t - prev.t);
}

/**
 * The console's own sampling when no Prometheus is configured: every interval, the end offsets and
 * sizes of the topics the session's user may see and the lag of its groups, kept in in-memory
 * rings. Runs on the session's own client, so charts show only what the user may describe.
 */
export class Sampler {
  readonly store: SeriesStore;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly lastEnd = new Map<string, { t: number; v: number }>();
  private readonly lastSize = new Map<string, { t: number; v: number }>();
  lastError: string | null = null;
  lastSampleAt: number | null = null;

  constructor(
    private readonly client: KafkaClient,
    readonly intervalMs: number,
    capacity: number,
  ) {
    this.store = new SeriesStore(capacity);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.sampleOnce(), this.intervalMs);
    this.timer.unref();
    void this.sampleOnce();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One sample; overlapping calls share the one in progress. */
  sampleOnce(): Promise<void> {
    this.running ??= this.sample().finally(() => { this.running = undefined; });
    return this.running;
  }

  private async sample(): Promise<void> {
    try {
      const t = Date.now();
      const md = await this.client.metadata();
      const [ends, sizes] = await Promise.all([endOffsets(this.client, md), topicSizes(this.client)]);
      const sums = new Map<string, bigint>();
      for (const [k, v] of ends) {
        const topic = k.slice(0, k.indexOf('\0'));
        sums.set(topic, (sums.get(topic) ?? 0n) + v);
      }
      for (const [topic, sum] of sums) {
        const now = { t, v: Number(sum) };
        const r = rate(this.lastEnd.get(topic), now);
        if (r !== null) this.store.push(series.messagesIn(topic), { t, v: r });
        this.lastEnd.set(topic, now);
      }
      for (const [topic, size] of sizes ?? []) {
        const now = { t, v: size };
        // Retention deletes segments: a shrinking size is not negative traffic.
        const r = rate(this.lastSize.get(topic), now);
        if (r !== null) this.store.push(series.bytesIn(topic), { t, v: r });
        this.lastSize.set(topic, now);
      }
      await this.sampleGroups(t, ends);
      this.lastSampleAt = t;
      this.lastError = null;
    } catch (e) {
      this.lastError = (e as Error).message;
    }
  }

  private async sampleGroups(t: number, ends: Map<string, bigint>): Promise<void> {
    const admin = new GroupAdmin(this.client, { retries: 2 });
    const groups = await admin.listGroups().catch(() => []);
    await Promise.all(groups.map(async (g) => {
      const committed = await admin.fetchOffsets(g.groupId).catch(() => null);
      if (!committed) return;
      let total = 0;
      const perTopic = new Map<string, number>();
      for (const c of committed) {
        const end = ends.get(`${c.topic}\0${c.partition}`);
        if (end === undefined) continue;
        const lag = end > c.offset ? Number(end - c.offset) : 0;
        total += lag;
        perTopic.set(c.topic, (perTopic.get(c.topic) ?? 0) + lag);
      }
      this.store.push(series.groupLag(g.groupId), { t, v: total });
      for (const [topic, lag] of perTopic) this.store.push(series.groupTopicLag(g.groupId, topic), { t, v: lag });
    }));
  }
}
