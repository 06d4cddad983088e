import { randomBytes } from 'node:crypto';
import { decodeRecordBatches, type KafkaRecordHeader } from '@dms/kafka-codec';
import { ErrorCode, KafkaError, isRetriable } from '@dms/kafka-errors';
import { ApiKey } from '@dms/kafka-schema';
import type { KafkaClient } from './client';
import type { KafkaConnection } from './connection';

/** Acknowledge types of KIP-932 (4, renew, is KIP-1222's). */
export const AckType = { GAP: 0, ACCEPT: 1, RELEASE: 2, REJECT: 3, RENEW: 4 } as const;
export type AckType = (typeof AckType)[keyof typeof AckType];

export interface ShareRecord {
  topic: string;
  partition: number;
  offset: bigint;
  deliveryCount: number;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: KafkaRecordHeader[];
}

export interface ShareConsumerOptions {
  groupId: string;
  topics: string[];
  /** Kafka's share.acknowledgement.mode: implicit accepts every record at the next poll. */
  acknowledgementMode?: 'implicit' | 'explicit';
  maxRecords?: number;
  maxWaitMs?: number;
  /** KIP-1206 share.acquire.mode: batch_optimized (0) or record_limit (1). */
  acquireMode?: 0 | 1;
  rackId?: string | null;
}

interface LeaderSession {
  conn: KafkaConnection;
  epoch: number;
  /** topicId:partition in the session. */
  partitions: Set<string>;
}

const COORDINATOR_RETRY = new Set<number>([ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.NOT_COORDINATOR]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A Kafka Uuid in the base64url form clients print. */
const newMemberId = () => randomBytes(16).toString('base64url');

/**
 * A share consumer (KIP-932) over the Kafka protocol: joins the share group through
 * ShareGroupHeartbeat (heartbeating on the interval the coordinator asks for), fetches from the
 * leaders of its assigned partitions with ShareFetch in share sessions, and acknowledges what it
 * got — piggybacked on the next fetch, or with ShareAcknowledge on `commit` and `close`.
 */
export class ShareConsumer {
  readonly memberId = newMemberId();
  memberEpoch = 0;
  /** topicId -> partitions assigned. */
  assignment = new Map<string, number[]>();
  private coordinator: KafkaConnection | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeatIntervalMs = 1000;
  private heartbeating: Promise<void> | undefined;
  private readonly sessions = new Map<string, LeaderSession>();
  /** topicId:partition -> offset -> type, waiting to be sent. */
  private readonly pending = new Map<string, Map<bigint, AckType>>();
  private readonly names = new Map<string, string>();
  private readonly ids = new Map<string, string>();
  /** Records handed out by the last poll and not yet acknowledged (implicit mode accepts them). */
  private delivered: ShareRecord[] = [];
  private closed = false;
  acquisitionLockTimeoutMs = 0;

  constructor(private readonly client: KafkaClient, private readonly opts: ShareConsumerOptions) {}

  /** Joins the group and waits for a first assignment (or `timeoutMs`). */
  async subscribe(timeoutMs = 15_000): Promise<void> {
    await this.resolveTopics();
    await this.heartbeat();
    const deadline = Date.now() + timeoutMs;
    while (this.assignment.size === 0 && Date.now() < deadline && !this.closed) {
      await sleep(Math.min(this.heartbeatIntervalMs, 200));
      await this.heartbeat();
    }
    this.scheduleHeartbeat();
  }

  /** Marks a record for acknowledgement; sent with the next poll or commit. */
  acknowledge(record: Pick<ShareRecord, 'topic' | 'partition' | 'offset'>, type: AckType = AckType.ACCEPT): void {
    const topicId = this.ids.get(record.topic);
    if (!topicId) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic '${record.topic}'`);
    const key = `${topicId}:${record.partition}`;
    const m = this.pending.get(key) ?? new Map<bigint, AckType>();
    m.set(record.offset, type);
    this.pending.set(key, m);
    this.delivered = this.delivered.filter((r) => !(r.topic === record.topic && r.partition === record.partition && r.offset === record.offset));
  }

  /** Acquires records from the assigned partitions (acknowledging what is pending first). */
  async poll(): Promise<ShareRecord[]> {
    if (this.closed) throw new KafkaError(ErrorCode.NETWORK_EXCEPTION, 'share consumer is closed');
    this.acceptDeliveredIfImplicit();
    const byLeader = await this.leaders();
    const results = await Promise.all([...byLeader].map(([id, parts]) => this.fetchFrom(id, parts)));
    this.delivered = results.flat();
    return this.delivered;
  }

  /** Sends pending acknowledgements now (ShareAcknowledge); resolves with each partition's error code. */
  async commit(): Promise<Map<string, number>> {
    this.acceptDeliveredIfImplicit();
    const out = new Map<string, number>();
    for (const s of this.sessions.values()) {
      if (s.epoch === 0) continue;
      const topics = this.ackTopics([...s.partitions]);
      if (topics.length === 0) continue;
      const res = await s.conn.request<any>(ApiKey.ShareAcknowledge, { groupId: this.opts.groupId, memberId: this.memberId, shareSessionEpoch: s.epoch, isRenewAck: false, topics });
      if (res.errorCode !== ErrorCode.NONE) {
        s.epoch = 0;
        throw new KafkaError(res.errorCode, res.errorMessage ?? undefined);
      }
      s.epoch += 1;
      for (const t of res.responses) for (const p of t.partitions) out.set(`${this.names.get(t.topicId) ?? t.topicId}-${p.partitionIndex}`, p.errorCode);
    }
    return out;
  }

  /** Acknowledges what is pending, closes the share sessions and leaves the group. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.acceptDeliveredIfImplicit();
    this.closed = true;
    clearTimeout(this.heartbeatTimer);
    await this.heartbeating?.catch(() => undefined);
    for (const s of this.sessions.values()) {
      if (s.epoch === 0) continue;
      await s.conn.request<any>(ApiKey.ShareAcknowledge, {
        groupId: this.opts.groupId, memberId: this.memberId, shareSessionEpoch: -1, isRenewAck: false, topics: this.ackTopics([...s.partitions]),
      }).catch(() => undefined);
    }
    this.sessions.clear();
    try {
      const conn = await this.coordinatorConnection();
      await conn.request<any>(ApiKey.ShareGroupHeartbeat, { groupId: this.opts.groupId, memberId: this.memberId, memberEpoch: -1, rackId: null, subscribedTopicNames: null });
    } catch {
      // The session timeout removes the member anyway.
    }
  }

  // ---- membership --------------------------------------------------------------------------

  private scheduleHeartbeat(): void {
    if (this.closed) return;
    this.heartbeatTimer = setTimeout(() => {
      this.heartbeating = this.heartbeat().catch(() => undefined).finally(() => this.scheduleHeartbeat());
    }, this.heartbeatIntervalMs);
    this.heartbeatTimer.unref?.();
  }

  private async heartbeat(): Promise<void> {
    if (this.closed) return;
    let res: any;
    try {
      const conn = await this.coordinatorConnection();
      res = await conn.request<any>(ApiKey.ShareGroupHeartbeat, {
        groupId: this.opts.groupId,
        memberId: this.memberId,
        memberEpoch: this.memberEpoch,
        rackId: this.opts.rackId ?? null,
        subscribedTopicNames: this.memberEpoch === 0 ? this.opts.topics : null,
      });
    } catch (err) {
      this.coordinator = undefined;
      if (err instanceof KafkaError && !isRetriable(err.code)) throw err;
      return;
    }
    if (COORDINATOR_RETRY.has(res.errorCode)) {
      this.coordinator = undefined;
      return;
    }
    if (res.errorCode === ErrorCode.UNKNOWN_MEMBER_ID || res.errorCode === ErrorCode.FENCED_MEMBER_EPOCH) {
      this.memberEpoch = 0;
      this.assignment.clear();
      return;
    }
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, res.errorMessage ?? undefined);
    this.memberEpoch = res.memberEpoch;
    if (res.heartbeatIntervalMs > 0) this.heartbeatIntervalMs = res.heartbeatIntervalMs;
    if (res.assignment) {
      this.assignment = new Map((res.assignment.topicPartitions as { topicId: string; partitions: number[] }[]).map((t) => [t.topicId, [...t.partitions]]));
      if ([...this.assignment.keys()].some((id) => !this.names.has(id))) await this.resolveTopics();
    }
  }

  private async coordinatorConnection(): Promise<KafkaConnection> {
    if (this.coordinator && !this.coordinator.closed) return this.coordinator;
    for (let attempt = 0; ; attempt++) {
      const any = await this.client.anyBrokerConnection();
      const res = await any.request<any>(ApiKey.FindCoordinator, { key: this.opts.groupId, keyType: 0, coordinatorKeys: [this.opts.groupId] });
      const c = res.coordinators ? res.coordinators[0] : res;
      if (c.errorCode === ErrorCode.NONE) {
        this.coordinator = await this.client.connectionToBroker(c.host, c.port);
        return this.coordinator;
      }
      if (!COORDINATOR_RETRY.has(c.errorCode) || attempt >= 50) throw new KafkaError(c.errorCode, c.errorMessage ?? undefined);
      await sleep(100);
    }
  }

  private async resolveTopics(): Promise<void> {
    const md = await this.client.metadata(this.opts.topics);
    for (const t of md.topics) {
      if (t.errorCode !== ErrorCode.NONE) continue;
      this.names.set(t.topicId, t.name);
      this.ids.set(t.name, t.topicId);
    }
  }

  // ---- fetching ----------------------------------------------------------------------------

  /** The assigned partitions grouped by the connection of their leader. */
  private async leaders(): Promise<Map<string, { conn: KafkaConnection; parts: { topicId: string; topic: string; partition: number }[] }>> {
    const out = new Map<string, { conn: KafkaConnection; parts: { topicId: string; topic: string; partition: number }[] }>();
    for (const [topicId, partitions] of this.assignment) {
      const topic = this.names.get(topicId);
      if (!topic) continue;
      for (const partition of partitions) {
        let conn: KafkaConnection;
        try {
          conn = await this.client.leaderConnection(topic, partition);
        } catch {
          await this.client.refreshTopic(topic).catch(() => undefined);
          continue;
        }
        const id = `${conn.host}:${conn.port}`;
        const entry = out.get(id) ?? { conn, parts: [] };
        entry.parts.push({ topicId, topic, partition });
        out.set(id, entry);
      }
    }
    // Sessions with pending acknowledgements but no assigned partition left still get them.
    for (const [id, s] of this.sessions) if (!out.has(id) && [...s.partitions].some((k) => this.pending.has(k))) out.set(id, { conn: s.conn, parts: [] });
    return out;
  }

  private async fetchFrom(id: string, target: { conn: KafkaConnection; parts: { topicId: string; topic: string; partition: number }[] }): Promise<ShareRecord[]> {
    let s = this.sessions.get(id);
    if (!s || s.conn !== target.conn) {
      s = { conn: target.conn, epoch: 0, partitions: new Set() };
      this.sessions.set(id, s);
    }
    const wanted = new Set(target.parts.map((p) => `${p.topicId}:${p.partition}`));
    const added = s.epoch === 0 ? [...wanted] : [...wanted].filter((k) => !s!.partitions.has(k));
    const forgotten = s.epoch === 0 ? [] : [...s.partitions].filter((k) => !wanted.has(k));
    const withAcks = s.epoch === 0 ? [] : [...s.partitions].filter((k) => this.pending.has(k));
    const named = [...new Set([...added, ...withAcks])];
    // A new session cannot carry acknowledgements (Kafka refuses them at epoch 0): the records of
    // the old one come back when their locks expire or the old session's release frees them.
    if (s.epoch === 0) for (const k of named) this.pending.delete(k);
    const topics = this.ackTopics(named);
    const forgottenTopics = new Map<string, number[]>();
    for (const k of forgotten) {
      const [topicId, p] = k.split(':') as [string, string];
      forgottenTopics.set(topicId, [...(forgottenTopics.get(topicId) ?? []), Number(p)]);
    }
    const maxWaitMs = this.opts.maxWaitMs ?? 500;
    const res = await s.conn.request<any>(ApiKey.ShareFetch, {
      groupId: this.opts.groupId,
      memberId: this.memberId,
      shareSessionEpoch: s.epoch,
      maxWaitMs,
      minBytes: 1,
      maxBytes: 0x7fffffff,
      maxRecords: this.opts.maxRecords ?? 500,
      batchSize: this.opts.maxRecords ?? 500,
      shareAcquireMode: this.opts.acquireMode ?? 0,
      isRenewAck: false,
      topics,
      forgottenTopicsData: [...forgottenTopics].map(([topicId, partitions]) => ({ topicId, partitions })),
    }, { timeoutMs: maxWaitMs + 30_000 });
    if (res.errorCode === ErrorCode.SHARE_SESSION_NOT_FOUND || res.errorCode === ErrorCode.INVALID_SHARE_SESSION_EPOCH) {
      // The session is gone (a gateway restarted): start a new one; unsent acknowledgements are lost
      // and their records come back when the locks expire.
      s.epoch = 0;
      s.partitions.clear();
      return [];
    }
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, res.errorMessage ?? undefined);
    s.epoch += 1;
    for (const k of added) s.partitions.add(k);
    for (const k of forgotten) s.partitions.delete(k);
    for (const k of named) this.pending.delete(k);
    if (res.acquisitionLockTimeoutMs > 0) this.acquisitionLockTimeoutMs = res.acquisitionLockTimeoutMs;
    const out: ShareRecord[] = [];
    for (const t of res.responses) {
      const topic = this.names.get(t.topicId);
      for (const p of t.partitions) {
        if (p.errorCode !== ErrorCode.NONE) {
          if (topic) await this.client.refreshTopic(topic).catch(() => undefined);
          continue;
        }
        if (!topic || p.acquiredRecords.length === 0) continue;
        out.push(...await this.recordsOf(topic, t.topicId, p.partitionIndex, p.records, p.acquiredRecords));
      }
    }
    return out;
  }

  /** The records inside the acquired ranges; acquired offsets with no record are acknowledged as gaps. */
  private async recordsOf(topic: string, topicId: string, partition: number, buf: Buffer | null, ranges: { firstOffset: bigint; lastOffset: bigint; deliveryCount: number }[]): Promise<ShareRecord[]> {
    const out: ShareRecord[] = [];
    const seen = new Set<bigint>();
    const batches = buf && buf.length > 0 ? await decodeRecordBatches(buf) : [];
    const inRange = (o: bigint) => ranges.find((r) => r.firstOffset <= o && o <= r.lastOffset);
    for (const b of batches) {
      if (b.header.isControl) continue;
      for (const r of b.records) {
        const range = inRange(r.offset);
        if (!range || seen.has(r.offset)) continue;
        seen.add(r.offset);
        out.push({ topic, partition, offset: r.offset, deliveryCount: range.deliveryCount, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers });
      }
    }
    const key = `${topicId}:${partition}`;
    for (const r of ranges) {
      for (let o = r.firstOffset; o <= r.lastOffset; o++) {
        if (seen.has(o)) continue;
        const m = this.pending.get(key) ?? new Map<bigint, AckType>();
        m.set(o, AckType.GAP);
        this.pending.set(key, m);
      }
    }
    return out;
  }

  /** The ShareFetch/ShareAcknowledge topics for these partitions with their pending acknowledgements. */
  private ackTopics(keys: string[]): { topicId: string; partitions: { partitionIndex: number; acknowledgementBatches: { firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] }[] }[] }[] {
    const byTopic = new Map<string, { partitionIndex: number; acknowledgementBatches: { firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] }[] }[]>();
    for (const k of keys) {
      const [topicId, p] = k.split(':') as [string, string];
      const acks = this.pending.get(k);
      const list = byTopic.get(topicId) ?? [];
      list.push({ partitionIndex: Number(p), acknowledgementBatches: acks ? ackBatches(acks) : [] });
      byTopic.set(topicId, list);
    }
    return [...byTopic].map(([topicId, partitions]) => ({ topicId, partitions }));
  }

  private acceptDeliveredIfImplicit(): void {
    if ((this.opts.acknowledgementMode ?? 'implicit') !== 'implicit') return;
    for (const r of [...this.delivered]) this.acknowledge(r, AckType.ACCEPT);
    this.delivered = [];
  }
}

/** Consecutive offsets with one type become one batch. */
export function ackBatches(acks: ReadonlyMap<bigint, number>): { firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] }[] {
  const sorted = [...acks.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: { firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] }[] = [];
  for (const [o, t] of sorted) {
    const last = out[out.length - 1];
    if (last && last.lastOffset + 1n === o && last.acknowledgeTypes[0] === t) last.lastOffset = o;
    else out.push({ firstOffset: o, lastOffset: o, acknowledgeTypes: [t] });
  }
  return out;
}
