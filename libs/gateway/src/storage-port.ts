import { ErrorCode } from '@dms/kafka-errors';
import type {
  ClusterPort,
  DeleteRecordsInput,
  DeleteRecordsOutcome,
  DescribeProducersInput,
  DescribeProducersOutcome,
  FetchPartitionInput,
  FetchPartitionOutcome,
  ListOffsetsInput,
  ListOffsetsOutcome,
  LogDirOutcome,
  OffsetForLeaderEpochInput,
  OffsetForLeaderEpochOutcome,
  ProducePartitionInput,
  ProducePartitionOutcome,
  StoragePort,
} from '@dms/kafka-handlers';
import { traceContextOf, unary } from '@dms/rpc';
import type { BrokerClient, BrokerClients } from './broker-clients';
import { applyFetchBudget } from './fetch-budget';
import { RETRY_PAUSE_MS, RETRY_SAFE, sleep } from './leader-retry';
import { ProduceRouting } from './produce-routing';

/** How long an idempotent lookup (ListOffsets, OffsetForLeaderEpoch) waits for a leader. */
const READ_RETRY_MS = 3_000;

const key = (topic: string, partition: number) => `${topic}\0${partition}`;

function groupByLeader<T extends { topic: string; partition: number }>(cluster: ClusterPort, brokers: BrokerClients, parts: T[]) {
  const groups = new Map<number, T[]>();
  const orphans: T[] = [];
  for (const p of parts) {
    const leader = cluster.topic(p.topic)?.partitions[p.partition]?.storageLeader ?? -1;
    if (leader < 0 || !brokers.isLive(leader)) orphans.push(p);
    else {
      const g = groups.get(leader) ?? [];
      g.push(p);
      groups.set(leader, g);
    }
  }
  return { groups, orphans };
}

/**
 * Routes each partition's part of a request to the storage broker that leads it, and when
 * leadership is missing or moving retries there itself, so clients never chase storage leaders.
 */
export class GatewayStoragePort implements StoragePort {
  private readonly produceRouting: ProduceRouting;

  constructor(
    private readonly cluster: ClusterPort,
    private readonly brokers: BrokerClients,
  ) {
    this.produceRouting = new ProduceRouting(cluster, brokers);
  }

  /** Produce: see ProduceRouting. */
  produce(acks: number, timeoutMs: number, parts: ProducePartitionInput[]): Promise<ProducePartitionOutcome[]> {
    return this.produceRouting.produce(acks, timeoutMs, parts);
  }

  /**
   * One long poll per storage broker leading some of the partitions. As in Kafka, the answer goes
   * out once the brokers that answered hold min_bytes (or an error, which Kafka answers at once):
   * the brokers still waiting are then woken to answer with what they have, rather than each
   * holding the whole answer up to max_wait_ms.
   */
  async fetch(
    opts: { maxWaitMs: number; minBytes: number; maxBytes: number; isolationLevel: number },
    parts: FetchPartitionInput[],
  ): Promise<FetchPartitionOutcome[]> {
    const { groups, orphans } = groupByLeader(this.cluster, this.brokers, parts);
    const results = new Map<string, FetchPartitionOutcome>();
    for (const o of orphans) results.set(key(o.topic, o.partition), failedFetch(o, ErrorCode.NOT_LEADER_OR_FOLLOWER));
    const needed = Math.max(1, opts.minBytes);
    let bytes = 0;
    const pending = new Map<number, { client: BrokerClient; correlationId: bigint }>();
    const wakeAll = () => {
      for (const [brokerId, { client, correlationId }] of pending) {
        pending.delete(brokerId);
        client.fetch
          .request({ maxWaitMs: 0, minBytes: 0, maxBytes: 0, isolationLevel: 0, partitions: [], traceContext: {}, wakeCorrelationId: correlationId }, { timeoutMs: 5_000 })
          .catch(() => undefined);
      }
    };
    const calls = [...groups].map(async ([brokerId, group]) => {
      const client = this.brokers.get(brokerId);
      let ready = true;
      try {
        if (!client) throw new Error('broker gone');
        const { correlationId, response } = client.fetch.requestWithId(
          {
            maxWaitMs: opts.maxWaitMs,
            minBytes: opts.minBytes,
            maxBytes: opts.maxBytes,
            isolationLevel: opts.isolationLevel,
            partitions: group,
            traceContext: traceContextOf(),
            wakeCorrelationId: 0n,
          },
          { timeoutMs: opts.maxWaitMs + 10_000 },
        );
        if (opts.maxWaitMs > 0) pending.set(brokerId, { client, correlationId });
        const res = await response;
        pending.delete(brokerId);
        for (const r of res.partitions) {
          results.set(key(r.topic, r.partition), r);
          bytes += r.records.length;
        }
        ready = bytes >= needed || res.partitions.some((r) => r.errorCode !== ErrorCode.NONE);
      } catch {
        pending.delete(brokerId);
        for (const g of group) results.set(key(g.topic, g.partition), failedFetch(g, ErrorCode.NOT_LEADER_OR_FOLLOWER));
      }
      if (ready) wakeAll();
    });
    if (orphans.length > 0) wakeAll();
    await Promise.all(calls);
    const merged = parts.map((p) => results.get(key(p.topic, p.partition)) ?? failedFetch(p, ErrorCode.UNKNOWN_SERVER_ERROR));
    // Each broker spent the whole max_bytes on its own partitions: trim the merged answer to it.
    applyFetchBudget(
      merged.map((m, i) => ({ records: m.records, partitionMaxBytes: parts[i].partitionMaxBytes })),
      opts.maxBytes,
      (i, records) => (merged[i] = { ...merged[i], records }),
    );
    return merged;
  }

  /** Lookups are idempotent: retry the partitions whose leader is missing or moving, for a bounded time. */
  private async retryReads<I extends { topic: string; partition: number }, O extends { topic: string; partition: number; errorCode: number }>(
    parts: I[],
    once: (parts: I[]) => Promise<O[]>,
  ): Promise<O[]> {
    const deadline = Date.now() + READ_RETRY_MS;
    const results = new Map<string, O>();
    let pending = parts;
    for (;;) {
      const out = await once(pending);
      const retry: I[] = [];
      out.forEach((o, i) => {
        results.set(key(o.topic, o.partition), o);
        if (RETRY_SAFE.has(o.errorCode)) retry.push(pending[i]);
      });
      if (retry.length === 0 || Date.now() + RETRY_PAUSE_MS > deadline) break;
      pending = retry;
      await sleep(RETRY_PAUSE_MS);
    }
    return parts.map((p) => results.get(key(p.topic, p.partition))!);
  }

  /** Asks every live storage broker for its log dir; a broker that does not answer reports KAFKA_STORAGE_ERROR. */
  async describeLogDirs(topics: { topic: string; partitions: number[] }[] | null): Promise<LogDirOutcome[]> {
    const ids = this.brokers.liveIds();
    const perBroker = await Promise.all(ids.map(async (brokerId): Promise<LogDirOutcome[]> => {
      const client = this.brokers.get(brokerId);
      try {
        if (!client) throw new Error('broker gone');
        const res = await unary(client.client.describeLogDirs.bind(client.client), { allTopics: topics === null, topics: topics ?? [] }, { timeoutMs: 10_000 });
        // Every dir of a broker with several (log.dirs); a broker of before answers its one dir.
        const described = res.logDirs.length > 0 ? res.logDirs : [res];
        return described.map((d) => ({ brokerId, logDir: d.logDir, errorCode: d.errorCode, totalBytes: d.totalBytes, usableBytes: d.usableBytes, partitions: d.partitions }));
      } catch {
        return [{ brokerId, logDir: `broker-${brokerId}`, errorCode: ErrorCode.KAFKA_STORAGE_ERROR, totalBytes: -1n, usableBytes: -1n, partitions: [] }];
      }
    }));
    const dirs = perBroker.flat();
    // Clients key log dirs by path: brokers sharing a path (containers) are told apart by id.
    const count = new Map<string, number>();
    for (const d of dirs) count.set(d.logDir, (count.get(d.logDir) ?? 0) + 1);
    return dirs.map((d) => ((count.get(d.logDir) ?? 0) > 1 ? { ...d, logDir: `broker-${d.brokerId}:${d.logDir}` } : d));
  }

  listOffsets(isolationLevel: number, parts: ListOffsetsInput[]): Promise<ListOffsetsOutcome[]> {
    return this.retryReads(parts, (p) => this.listOffsetsOnce(isolationLevel, p));
  }

  offsetForLeaderEpoch(parts: OffsetForLeaderEpochInput[]): Promise<OffsetForLeaderEpochOutcome[]> {
    return this.retryReads(parts, (p) => this.offsetForLeaderEpochOnce(p));
  }

  /** Idempotent (moving a start to where it is changes nothing): retried while leaders move. */
  deleteRecords(timeoutMs: number, parts: DeleteRecordsInput[]): Promise<DeleteRecordsOutcome[]> {
    return this.retryReads(parts, (p) => this.deleteRecordsOnce(timeoutMs, p));
  }

  describeProducers(parts: DescribeProducersInput[]): Promise<DescribeProducersOutcome[]> {
    return this.retryReads(parts, (p) =>
      this.scatter(
        p,
        (x, errorCode) => ({ topic: x.topic, partition: x.partition, errorCode, errorMessage: '', activeProducers: [] }),
        (c, group) => unary(c.describeProducers.bind(c), { partitions: group, traceContext: traceContextOf() }, { timeoutMs: 30_000 }),
      ),
    );
  }

  private deleteRecordsOnce(timeoutMs: number, parts: DeleteRecordsInput[]): Promise<DeleteRecordsOutcome[]> {
    return this.scatter(
      parts,
      (p, errorCode) => ({ topic: p.topic, partition: p.partition, errorCode, lowWatermark: -1n }),
      (c, group) => unary(c.deleteRecords.bind(c), { timeoutMs, partitions: group, traceContext: traceContextOf() }, { timeoutMs: Math.max(0, timeoutMs) + 10_000 }),
    );
  }

  private listOffsetsOnce(isolationLevel: number, parts: ListOffsetsInput[]): Promise<ListOffsetsOutcome[]> {
    return this.scatter(
      parts,
      (p, errorCode) => ({ topic: p.topic, partition: p.partition, errorCode, timestamp: -1n, offset: -1n, leaderEpoch: -1 }),
      (c, group) => unary(c.listOffsets.bind(c), { isolationLevel, partitions: group, traceContext: traceContextOf() }, { timeoutMs: 30_000 }),
    );
  }

  private offsetForLeaderEpochOnce(parts: OffsetForLeaderEpochInput[]): Promise<OffsetForLeaderEpochOutcome[]> {
    return this.scatter(
      parts,
      (p, errorCode) => ({ topic: p.topic, partition: p.partition, errorCode, leaderEpoch: -1, endOffset: -1n }),
      (c, group) => unary(c.offsetForLeaderEpoch.bind(c), { partitions: group, traceContext: traceContextOf() }, { timeoutMs: 30_000 }),
    );
  }

  /**
   * One unary call per storage broker leading some of `parts`, answers merged back in request
   * order. A partition without a live leader, or whose broker call failed, gets
   * NOT_LEADER_OR_FOLLOWER (retryReads tries it again).
   */
  private async scatter<In extends { topic: string; partition: number }, Out extends { topic: string; partition: number }>(
    parts: In[],
    fail: (p: In, errorCode: number) => Out,
    call: (client: BrokerClient['client'], group: In[]) => Promise<{ partitions: Out[] }>,
  ): Promise<Out[]> {
    const { groups, orphans } = groupByLeader(this.cluster, this.brokers, parts);
    const results = new Map<string, Out>();
    for (const o of orphans) results.set(key(o.topic, o.partition), fail(o, ErrorCode.NOT_LEADER_OR_FOLLOWER));
    await Promise.all(
      [...groups].map(async ([brokerId, group]) => {
        const client = this.brokers.get(brokerId);
        try {
          if (!client) throw new Error('broker gone');
          const res = await call(client.client, group);
          for (const r of res.partitions) results.set(key(r.topic, r.partition), r);
        } catch {
          for (const g of group) results.set(key(g.topic, g.partition), fail(g, ErrorCode.NOT_LEADER_OR_FOLLOWER));
        }
      }),
    );
    return parts.map((p) => results.get(key(p.topic, p.partition)) ?? fail(p, ErrorCode.UNKNOWN_SERVER_ERROR));
  }
}

function failedFetch(p: { topic: string; partition: number }, errorCode: number): FetchPartitionOutcome {
  return { topic: p.topic, partition: p.partition, errorCode, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, records: Buffer.alloc(0) };
}
