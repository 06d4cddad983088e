import { BATCH, BATCH_HEADER_SIZE } from '@dms/kafka-codec';
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

/**
 * Errors after which the gateway may resend a partition's batch to the new leader itself, unless
 * the broker says it had already appended it (`appended`) and the batch is not idempotent: then
 * the client decides, as with Kafka. KAFKA_STORAGE_ERROR is one of them: the leader's log dir
 * failed and the controller is moving leadership away; a failed append was never made readable.
 */
const RETRY_SAFE = new Set<number>([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.KAFKA_STORAGE_ERROR,
]);
const RETRY_PAUSE_MS = 100;
/** Upper bound on how long a produce waits for a leader to appear, within the client's timeout. */
const MAX_LEADER_WAIT_MS = 15_000;
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

const samePartition = (a: { topic: string; partition: number }, b: { topic: string; partition: number }) => a.partition === b.partition && a.topic === b.topic;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The leader's answer to a produce: what BrokerClient's produce channel resolves with. */
type ProduceAnswer = Awaited<ReturnType<BrokerClient['produceChannel']['request']>>;

/** `results` with a position the leaders never answered marked UNKNOWN_SERVER_ERROR. */
function completed(parts: ProducePartitionInput[], results: (ProducePartitionOutcome | undefined)[]): ProducePartitionOutcome[] {
  for (let i = 0; i < parts.length; i++) results[i] ??= failedProduce(parts[i]!, ErrorCode.UNKNOWN_SERVER_ERROR);
  return results as ProducePartitionOutcome[];
}

/**
 * Batches of an idempotent (or transactional) producer: the new leader's producer state
 * recognises a resend of what the old leader appended and answers it with the original offsets.
 */
function isIdempotent(records: Buffer): boolean {
  return records.length >= BATCH_HEADER_SIZE && records.readBigInt64BE(BATCH.producerId) >= 0n;
}

/**
 * Routes each partition's part of a request to the storage broker that leads it, and when
 * leadership is missing or moving retries there itself, so clients never chase storage leaders.
 */
export class GatewayStoragePort implements StoragePort {
  constructor(
    private readonly cluster: ClusterPort,
    private readonly brokers: BrokerClients,
  ) {}

  produce(acks: number, timeoutMs: number, parts: ProducePartitionInput[]): Promise<ProducePartitionOutcome[]> {
    const deadline = Date.now() + Math.min(Math.max(timeoutMs, 1_000), MAX_LEADER_WAIT_MS);
    // The common case (one partition, or all led by one live broker): one request, answered in
    // its promise's callback, without the rounds' async frames, groups and position lists.
    const client = this.soleLeader(parts);
    if (!client) return this.produceRounds(acks, timeoutMs, parts, deadline, new Array(parts.length));
    return this.send(client, parts, acks, timeoutMs).then(
      (res) => {
        const results: (ProducePartitionOutcome | undefined)[] = new Array(parts.length);
        const retry = this.applyAnswer(res, parts, undefined, results, undefined);
        return retry ? this.produceRounds(acks, timeoutMs, parts, deadline, results, retry) : completed(parts, results);
      },
      // The broker may or may not have appended: let the client decide whether to resend.
      () => parts.map((p) => failedProduce(p, ErrorCode.NOT_LEADER_OR_FOLLOWER)),
    );
  }

  /** The client of the one live broker leading every partition of `parts`, if there is one. */
  private soleLeader(parts: ProducePartitionInput[]): BrokerClient | undefined {
    let leader = -1;
    for (const p of parts) {
      const l = this.cluster.topic(p.topic)?.partitions[p.partition]?.storageLeader ?? -1;
      if (l < 0 || (leader >= 0 && l !== leader)) return undefined;
      leader = l;
    }
    return leader >= 0 && this.brokers.isLive(leader) ? this.brokers.get(leader) : undefined;
  }

  /**
   * Sends the positions still without an outcome to their leaders, round after round, while a
   * leader is missing or moving and the deadline allows (`pending`: the positions a previous round
   * left to resend; undefined before the first round: every position).
   */
  private async produceRounds(
    acks: number,
    timeoutMs: number,
    parts: ProducePartitionInput[],
    deadline: number,
    results: (ProducePartitionOutcome | undefined)[],
    pending?: number[],
  ): Promise<ProducePartitionOutcome[]> {
    for (;;) {
      if (pending) {
        if (Date.now() + RETRY_PAUSE_MS > deadline) {
          for (const i of pending) results[i] = failedProduce(parts[i]!, ErrorCode.NOT_LEADER_OR_FOLLOWER);
          break;
        }
        await sleep(RETRY_PAUSE_MS);
      }
      const retry: number[] = [];
      const groups = this.byLeader(parts, pending, retry);
      if (groups.size === 1) {
        const [[brokerId, group]] = groups;
        await this.produceOn(brokerId, group, parts, acks, timeoutMs, results, retry);
      } else if (groups.size > 1) {
        await Promise.all([...groups].map(([brokerId, group]) => this.produceOn(brokerId, group, parts, acks, timeoutMs, results, retry)));
      }
      if (retry.length === 0) break;
      pending = retry;
    }
    return completed(parts, results);
  }

  /** Positions of `parts` (all, or those in `only`) by the live broker leading them; the others go to `orphans`. */
  private byLeader(parts: ProducePartitionInput[], only: number[] | undefined, orphans: number[]): Map<number, number[]> {
    const groups = new Map<number, number[]>();
    const n = only ? only.length : parts.length;
    for (let k = 0; k < n; k++) {
      const i = only ? only[k]! : k;
      const p = parts[i]!;
      const leader = this.cluster.topic(p.topic)?.partitions[p.partition]?.storageLeader ?? -1;
      if (leader < 0 || !this.brokers.isLive(leader)) orphans.push(i);
      else {
        const g = groups.get(leader);
        if (g) g.push(i);
        else groups.set(leader, [i]);
      }
    }
    return groups;
  }

  /**
   * Sends the partitions at `group` (positions in `parts`) to one leader. Its answers fill
   * `results`, except those the gateway may resend to a new leader itself, which go to `retry`.
   */
  private async produceOn(
    brokerId: number,
    group: number[],
    parts: ProducePartitionInput[],
    acks: number,
    timeoutMs: number,
    results: (ProducePartitionOutcome | undefined)[],
    retry: number[],
  ): Promise<void> {
    const client = this.brokers.get(brokerId);
    if (!client) {
      for (const i of group) retry.push(i);
      return;
    }
    const inputs = group.length === parts.length ? parts : group.map((i) => parts[i]!);
    let res;
    try {
      res = await this.send(client, inputs, acks, timeoutMs);
    } catch {
      // The broker may or may not have appended: let the client decide whether to resend.
      for (const i of group) results[i] = failedProduce(parts[i]!, ErrorCode.NOT_LEADER_OR_FOLLOWER);
      return;
    }
    this.applyAnswer(res, inputs, group, results, retry);
  }

  private send(client: BrokerClient, inputs: ProducePartitionInput[], acks: number, timeoutMs: number): Promise<ProduceAnswer> {
    return client.produceChannel.request({ acks, timeoutMs, partitions: inputs, traceContext: traceContextOf() }, { timeoutMs: timeoutMs + 5_000 });
  }

  /**
   * Fills `results` (at `group[k]` for `inputs[k]`, or at k without a group) from a leader's
   * answer, except the partitions the gateway may resend to a new leader itself: their positions
   * go to `retry` (created when none is given). Returns `retry` when it holds any.
   */
  private applyAnswer(
    res: ProduceAnswer,
    inputs: ProducePartitionInput[],
    group: number[] | undefined,
    results: (ProducePartitionOutcome | undefined)[],
    retry: number[] | undefined,
  ): number[] | undefined {
    for (let k = 0; k < res.partitions.length; k++) {
      const r = res.partitions[k]!;
      // The leader answers in the order it was asked; looked up when it does not.
      const at = k < inputs.length && samePartition(inputs[k]!, r) ? k : inputs.findIndex((g) => samePartition(g, r));
      if (at < 0) continue;
      const i = group ? group[at]! : at;
      if (RETRY_SAFE.has(r.errorCode) && (!r.appended || isIdempotent(inputs[at]!.records))) (retry ??= []).push(i);
      else {
        results[i] = {
          topic: r.topic, partition: r.partition, errorCode: r.errorCode, errorMessage: r.errorMessage || null,
          baseOffset: r.baseOffset, logAppendTimeMs: r.logAppendTimeMs, logStartOffset: r.logStartOffset, recordErrors: r.recordErrors,
        };
      }
    }
    return retry && retry.length > 0 ? retry : undefined;
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

function failedProduce(p: { topic: string; partition: number }, errorCode: number): ProducePartitionOutcome {
  return { topic: p.topic, partition: p.partition, errorCode, errorMessage: null, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n };
}

function failedFetch(p: { topic: string; partition: number }, errorCode: number): FetchPartitionOutcome {
  return { topic: p.topic, partition: p.partition, errorCode, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, records: Buffer.alloc(0) };
}
