import { ErrorCode, errorName } from '@dms/kafka-errors';
import { createClient, loadInternalTls, StorageServiceClient, unary, type QueryRecord, type QueryRequest, type QueryResponse } from '@dms/rpc';
import { ClusterRoutes, type TopicRoute } from './cluster-route';
import type { ClusterAccess, MessageQuery, MessageRecord, PartitionOutcome, QueryResult, QueryStats } from './types';

const DEFAULT_LIMIT = 100;
const MAX_PER_CALL = 10_000;
/** Leadership moved between reading etcd and calling: read etcd again, this many times. */
const ROUTE_RETRIES = 3;

/**
 * Runs a message query against a cluster: finds each partition's leader in etcd, asks it over the
 * internal gRPC (StorageService.Query), follows cursors until `limit` records or the end, and
 * merges partitions (by timestamp for time and key queries, else by partition and offset).
 * Opens and closes its own connections; a long-lived caller (the console) keeps a
 * MessageQueryClient instead.
 */
export async function queryMessages(access: ClusterAccess, query: MessageQuery): Promise<QueryResult> {
  const client = new MessageQueryClient(access);
  try {
    return await client.query(query);
  } finally {
    client.close();
  }
}

/** A reusable query client: one etcd client and one gRPC channel per broker. */
export class MessageQueryClient {
  private readonly routes: ClusterRoutes;
  private readonly brokers = new Map<string, InstanceType<typeof StorageServiceClient>>();
  private readonly tls;

  constructor(private readonly access: ClusterAccess) {
    this.tls = access.internalTls ? loadInternalTls(access.internalTls) : undefined;
    this.routes = new ClusterRoutes(access);
  }

  async query(q: MessageQuery): Promise<QueryResult> {
    const started = Date.now();
    const limit = Math.max(1, Math.floor(q.limit ?? DEFAULT_LIMIT));
    let route = await this.routes.route(q.topic);
    const partitions = q.kind === 'offset' || q.partition !== undefined ? [q.partition!] : Array.from({ length: route.partitions }, (_, p) => p);
    for (const p of partitions) {
      if (!Number.isInteger(p) || p < 0 || p >= route.partitions) throw new Error(`topic '${q.topic}' has no partition ${p} (it has ${route.partitions})`);
    }
    const outcomes = await Promise.all(
      partitions.map(async (p) => {
        for (let attempt = 0; ; attempt++) {
          const outcome = await this.queryPartition(route, q, p, limit);
          if (outcome.error !== 'NOT_LEADER_OR_FOLLOWER' || attempt + 1 >= ROUTE_RETRIES) return outcome;
          route = await this.routes.route(q.topic);
        }
      }),
    );
    const records = outcomes.flatMap((o) => o.records);
    const byTime = (q.kind === 'time' || q.kind === 'key') && partitions.length > 1;
    records.sort((a, b) => (byTime ? cmp(a.timestamp, b.timestamp) : 0) || a.partition - b.partition || cmp(a.offset, b.offset));
    const stats = emptyStats();
    for (const o of outcomes) addStats(stats, o.outcome.stats);
    return {
      records: records.slice(0, limit),
      partitions: outcomes.map((o) => o.outcome),
      stats,
      truncated: records.length > limit || outcomes.some((o) => o.outcome.cursor !== undefined),
      elapsedMs: Date.now() - started,
    };
  }

  private async queryPartition(route: TopicRoute, q: MessageQuery, partition: number, limit: number): Promise<{ records: MessageRecord[]; outcome: PartitionOutcome; error?: string }> {
    const outcome: PartitionOutcome = { partition, records: 0, stats: emptyStats() };
    const records: MessageRecord[] = [];
    const leader = route.leaders.get(partition);
    if (!leader) {
      outcome.error = 'LEADER_NOT_AVAILABLE';
      outcome.errorMessage = `partition ${partition} has no live leader`;
      return { records, outcome, error: outcome.error };
    }
    const client = this.brokerClient(leader.address);
    let cursor = '';
    for (;;) {
      const req = toRequest(q, partition, Math.min(MAX_PER_CALL, limit - records.length), cursor);
      let res: QueryResponse;
      try {
        res = await unary(client.query.bind(client), req, { timeoutMs: this.access.timeoutMs ?? 10_000 });
      } catch (e) {
        outcome.error = 'NETWORK_EXCEPTION';
        outcome.errorMessage = `broker ${leader.brokerId} at ${leader.address}: ${(e as Error).message}`;
        break;
      }
      outcome.stats.calls++;
      if (res.stats) addStats(outcome.stats, { batchesRead: res.stats.batchesRead, bytesRead: Number(res.stats.bytesRead), brokerElapsedUs: Number(res.stats.elapsedUs), calls: 0, segmentsSearched: res.stats.segmentsSearched, usedKeyIndex: res.stats.usedKeyIndex });
      if (res.errorCode !== ErrorCode.NONE) {
        outcome.error = errorName(res.errorCode);
        outcome.errorMessage = res.errorMessage;
        break;
      }
      outcome.highWatermark = res.highWatermark;
      outcome.logStartOffset = res.logStartOffset;
      for (const r of res.records) records.push(toMessage(q.topic, partition, r));
      cursor = res.nextCursor;
      if (!cursor || records.length >= limit) break;
    }
    outcome.records = records.length;
    outcome.cursor = cursor || undefined;
    return { records, outcome, error: outcome.error };
  }

  private brokerClient(address: string): InstanceType<typeof StorageServiceClient> {
    let c = this.brokers.get(address);
    if (!c) {
      c = createClient(StorageServiceClient, address, { tls: this.tls, tracing: false });
      this.brokers.set(address, c);
    }
    return c;
  }

  close(): void {
    for (const c of this.brokers.values()) c.close();
    this.brokers.clear();
    this.routes.close();
  }
}

function toRequest(q: MessageQuery, partition: number, maxRecords: number, cursor: string): QueryRequest {
  const base: QueryRequest = {
    topic: q.topic,
    partition,
    maxRecords,
    maxBytes: q.maxBytesPerCall ?? 0,
    cursor,
    isolationLevel: q.isolation === 'committed' ? 1 : 0,
    traceContext: {},
  };
  switch (q.kind) {
    case 'offset':
      return { ...base, byOffset: { offset: q.offset, before: q.before ?? 0, after: q.after ?? 0 } };
    case 'time':
      return { ...base, byTime: { startMs: q.fromMs, endMs: q.toMs ?? -1n } };
    case 'key':
      return { ...base, byKey: { key: q.key, startMs: q.fromMs ?? -1n, endMs: q.toMs ?? -1n, fullScan: q.fullScan ?? false } };
  }
}

function toMessage(topic: string, partition: number, r: QueryRecord): MessageRecord {
  return {
    topic,
    partition,
    offset: r.offset,
    timestamp: r.timestamp,
    timestampType: r.timestampType === 'LogAppendTime' ? 'LogAppendTime' : 'CreateTime',
    key: r.keyNull ? null : Buffer.from(r.key),
    value: r.valueNull ? null : Buffer.from(r.value),
    headers: r.headers.map((h) => ({ key: h.key, value: h.valueNull ? null : Buffer.from(h.value) })),
    compression: r.compression,
    leaderEpoch: r.partitionLeaderEpoch,
    batchBaseOffset: r.batchBaseOffset,
    producerId: r.producerId,
    transactional: r.transactional,
  };
}

function emptyStats(): QueryStats {
  return { batchesRead: 0, bytesRead: 0, brokerElapsedUs: 0, calls: 0, segmentsSearched: 0, usedKeyIndex: false };
}

function addStats(into: QueryStats, s: QueryStats): void {
  into.batchesRead += s.batchesRead;
  into.bytesRead += s.bytesRead;
  into.brokerElapsedUs += s.brokerElapsedUs;
  into.calls += s.calls;
  into.segmentsSearched += s.segmentsSearched;
  into.usedKeyIndex ||= s.usedKeyIndex;
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
