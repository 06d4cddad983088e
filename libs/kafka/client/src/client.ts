import { ErrorCode, KafkaError, isRetriable } from '@dms/kafka-errors';
import {
  ApiKey,
  ZERO_UUID,
  type CreatePartitionsResponse,
  type CreateTopicsResponse,
  type DeleteTopicsResponse,
  type ElectLeadersResponse,
  type FetchResponse,
  type InitProducerIdResponse,
  type ListOffsetsResponse,
  type MetadataResponse,
  type ProduceResponse,
} from '@dms/kafka-schema';
import { parseBootstrapServers, type HostPort } from './address';
import { KafkaConnection, type ConnectionOptions } from './connection';

export interface KafkaClientOptions extends ConnectionOptions {
  /** `host:port[,host:port...]` or a list of such. */
  bootstrapServers: string | readonly string[];
  /** Attempts after the first for produce/fetch/listOffsets on a retriable error (leader moved...). */
  retries?: number;
  retryBackoffMs?: number;
}

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionInfo {
  partition: number;
  errorCode: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
}

export interface TopicInfo {
  name: string;
  topicId: string;
  errorCode: number;
  isInternal: boolean;
  partitions: PartitionInfo[];
}

export interface ClusterMetadata {
  clusterId: string | null;
  controllerId: number;
  brokers: BrokerInfo[];
  topics: TopicInfo[];
}

export interface NewTopic {
  name: string;
  /** -1 takes the broker's num.partitions. */
  numPartitions?: number;
  /** -1 takes the broker's default.replication.factor. */
  replicationFactor?: number;
  configs?: Record<string, string>;
}

export interface TopicResult {
  name: string;
  errorCode: number;
  errorMessage: string | null;
}

export interface ElectionResult {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string | null;
}

export interface ProduceResult {
  baseOffset: bigint;
  logAppendTimeMs: bigint;
  logStartOffset: bigint;
}

export interface FetchResult {
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
  /** Concatenated record batches; empty when there is nothing new. */
  records: Buffer;
  /** read_committed only: transactions aborted within the returned batches (producer id, first offset). */
  abortedTransactions: { producerId: bigint; firstOffset: bigint }[];
}

/** Fetch isolation_level: READ_UNCOMMITTED (0) reads up to the high watermark, READ_COMMITTED (1) up to the last stable offset. */
export type IsolationLevel = 0 | 1;
export const READ_UNCOMMITTED: IsolationLevel = 0;
export const READ_COMMITTED: IsolationLevel = 1;

export interface OffsetResult {
  offset: bigint;
  timestamp: bigint;
}

/** ListOffsets special timestamps. */
export const LATEST_TIMESTAMP = -1n;
export const EARLIEST_TIMESTAMP = -2n;

/** Errors after which fresh metadata may route the request somewhere that can serve it. */
const REFRESH_ON = new Set<number>([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
]);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A small Kafka client: bootstrap, metadata cache, per-partition routing to the leader's
 * connection, and one method per API the CLI and the bench need. Requests on one connection
 * pipeline, so callers get concurrency by not awaiting one call before the next.
 */
export class KafkaClient {
  private readonly bootstrap: HostPort[];
  private readonly connOptions: ConnectionOptions;
  private readonly retries: number;
  private readonly retryBackoffMs: number;
  /** Connections by `host:port`, shared by node ids that advertise the same address. */
  private readonly connections = new Map<string, Promise<KafkaConnection>>();
  private brokers = new Map<number, BrokerInfo>();
  private topics = new Map<string, TopicInfo>();
  private controllerId = -1;
  private closed = false;

  constructor(options: KafkaClientOptions) {
    this.bootstrap = parseBootstrapServers(options.bootstrapServers);
    this.connOptions = options;
    this.retries = options.retries ?? 3;
    this.retryBackoffMs = options.retryBackoffMs ?? 100;
  }

  /** Metadata for the named topics, or all topics; refreshes the routing cache. */
  async metadata(topics?: readonly string[], allowAutoTopicCreation = false): Promise<ClusterMetadata> {
    const conn = await this.anyConnection();
    const res = await conn.request<MetadataResponse>(ApiKey.Metadata, {
      topics: topics === undefined ? null : topics.map((name) => ({ topicId: ZERO_UUID, name })),
      allowAutoTopicCreation,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    const md: ClusterMetadata = {
      clusterId: res.clusterId ?? null,
      controllerId: res.controllerId ?? -1,
      brokers: res.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack ?? null })),
      topics: res.topics.map((t) => ({
        name: t.name ?? '',
        topicId: t.topicId ?? ZERO_UUID,
        errorCode: t.errorCode,
        isInternal: t.isInternal ?? false,
        partitions: t.partitions
          .map((p) => ({
            partition: p.partitionIndex,
            errorCode: p.errorCode,
            leader: p.leaderId,
            leaderEpoch: p.leaderEpoch ?? -1,
            replicas: p.replicaNodes,
            isr: p.isrNodes,
            offlineReplicas: p.offlineReplicas ?? [],
          }))
          .sort((a, b) => a.partition - b.partition),
      })),
    };
    this.brokers = new Map(md.brokers.map((b) => [b.nodeId, b]));
    this.controllerId = md.controllerId;
    for (const t of md.topics) {
      if (t.errorCode === ErrorCode.NONE) this.topics.set(t.name, t);
      else this.topics.delete(t.name);
    }
    return md;
  }

  /** Partition count from cached metadata, fetching it when the topic is not cached. */
  async partitionCount(topic: string, allowAutoTopicCreation = false): Promise<number> {
    let t = this.topics.get(topic);
    if (!t) {
      const md = await this.metadata([topic], allowAutoTopicCreation);
      const found = md.topics.find((x) => x.name === topic);
      if (!found || found.errorCode !== ErrorCode.NONE) {
        throw new KafkaError(found?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${topic}': ${found ? found.errorCode : 'not in metadata'}`);
      }
      t = found;
    }
    return t.partitions.length;
  }

  async createTopics(topics: readonly NewTopic[], timeoutMs = 30_000, validateOnly = false): Promise<TopicResult[]> {
    const conn = await this.controllerConnection();
    const res = await conn.request<CreateTopicsResponse>(ApiKey.CreateTopics, {
      topics: topics.map((t) => ({
        name: t.name,
        numPartitions: t.numPartitions ?? -1,
        replicationFactor: t.replicationFactor ?? -1,
        assignments: [],
        configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
      })),
      timeoutMs,
      validateOnly,
    }, { timeoutMs: timeoutMs + 5_000 });
    return res.topics.map((t) => ({ name: t.name, errorCode: t.errorCode, errorMessage: t.errorMessage ?? null }));
  }

  /**
   * CreatePartitions: grows each topic to `count` partitions; `assignments` (one broker list per
   * added partition) or null to let the controller place them. Forgets the cached metadata.
   */
  async createPartitions(
    topics: readonly { name: string; count: number; assignments?: number[][] | null }[],
    timeoutMs = 30_000,
    validateOnly = false,
  ): Promise<TopicResult[]> {
    const conn = await this.controllerConnection();
    const res = await conn.request<CreatePartitionsResponse>(ApiKey.CreatePartitions, {
      topics: topics.map((t) => ({ name: t.name, count: t.count, assignments: t.assignments ? t.assignments.map((brokerIds) => ({ brokerIds })) : null })),
      timeoutMs,
      validateOnly,
    }, { timeoutMs: timeoutMs + 5_000 });
    for (const t of topics) this.topics.delete(t.name);
    return res.results.map((r) => ({ name: r.name, errorCode: r.errorCode, errorMessage: r.errorMessage ?? null }));
  }

  /** Sends any admin request to the controller (as advertised) and returns its decoded body. */
  async adminRequest<Res>(apiKey: number, body: object, timeoutMs = 30_000): Promise<Res> {
    const conn = await this.controllerConnection();
    return conn.request<Res>(apiKey, body, { timeoutMs });
  }

  async deleteTopics(names: readonly string[], timeoutMs = 30_000): Promise<TopicResult[]> {
    const conn = await this.controllerConnection();
    const res = await conn.request<DeleteTopicsResponse>(ApiKey.DeleteTopics, { topicNames: names, timeoutMs },
      { timeoutMs: timeoutMs + 5_000 });
    for (const n of names) this.topics.delete(n);
    return res.responses.map((t) => ({ name: t.name ?? '', errorCode: t.errorCode, errorMessage: t.errorMessage ?? null }));
  }

  /**
   * ElectLeaders: `type` 'preferred' (0) or 'unclean' (1) over the named partitions, or every
   * partition when `partitions` is null. A top-level error (v1+, e.g. CLUSTER_AUTHORIZATION_FAILED)
   * throws only when no partition carries its own answer.
   */
  async electLeaders(type: 'preferred' | 'unclean', partitions: readonly { topic: string; partition: number }[] | null, timeoutMs = 30_000): Promise<ElectionResult[]> {
    const conn = await this.controllerConnection();
    const byTopic = new Map<string, number[]>();
    for (const p of partitions ?? []) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
    const res = await conn.request<ElectLeadersResponse>(ApiKey.ElectLeaders, {
      electionType: type === 'preferred' ? 0 : 1,
      topicPartitions: partitions === null ? null : [...byTopic].map(([topic, ps]) => ({ topic, partitions: ps })),
      timeoutMs,
    }, { timeoutMs: timeoutMs + 5_000 });
    const results = res.replicaElectionResults.flatMap((t) =>
      t.partitionResult.map((p) => ({ topic: t.topic, partition: p.partitionId, errorCode: p.errorCode, errorMessage: p.errorMessage ?? null })));
    if ((res.errorCode ?? 0) !== ErrorCode.NONE && results.length === 0) throw new KafkaError(res.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR);
    return results;
  }

  /**
   * Appends pre-built record batches to one partition. acks=0 resolves once written, with
   * offset -1: the broker sends no answer.
   */
  async produce(topic: string, partition: number, records: Buffer, acks = -1, timeoutMs = 30_000): Promise<ProduceResult> {
    return this.withRetry(topic, () => this.produceOnce(topic, partition, records, acks, timeoutMs));
  }

  /**
   * One Produce attempt to the partition's leader as known now: errors are thrown as KafkaError
   * (a producer with its own retry policy, such as the idempotent one, decides what comes next).
   */
  async produceOnce(topic: string, partition: number, records: Buffer, acks = -1, timeoutMs = 30_000, transactionalId: string | null = null): Promise<ProduceResult> {
    const conn = await this.leaderConnection(topic, partition);
    const body = {
      transactionalId,
      acks,
      timeoutMs,
      topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
    };
    if (acks === 0) {
      await conn.sendOnly(ApiKey.Produce, body);
      return { baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n };
    }
    const res = await conn.request<ProduceResponse>(ApiKey.Produce, body, { timeoutMs: timeoutMs + 5_000 });
    const p = res.responses.find((t) => t.name === topic)?.partitionResponses.find((x) => x.index === partition);
    if (!p) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `produce response lacks ${topic}-${partition}`);
    if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode, p.errorMessage ?? undefined);
    return { baseOffset: p.baseOffset, logAppendTimeMs: p.logAppendTimeMs ?? -1n, logStartOffset: p.logStartOffset ?? -1n };
  }

  /** Forgets a topic's leaders and reloads them (after NOT_LEADER_OR_FOLLOWER and the like). */
  async refreshTopic(topic: string): Promise<void> {
    this.topics.delete(topic);
    await this.metadata([topic]).catch(() => undefined);
  }

  /**
   * InitProducerId without a transactional id: a new producer id, or (v3+, KIP-360) with the
   * current id and epoch, the same id with the epoch bumped.
   */
  async initProducerId(current?: { producerId: bigint; producerEpoch: number }, timeoutMs = 30_000): Promise<{ producerId: bigint; producerEpoch: number }> {
    const conn = await this.anyConnection();
    const res = await conn.request<InitProducerIdResponse>(ApiKey.InitProducerId, {
      transactionalId: null,
      transactionTimeoutMs: 60_000,
      producerId: current?.producerId ?? -1n,
      producerEpoch: current?.producerEpoch ?? -1,
    }, { timeoutMs });
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, 'InitProducerId failed');
    return { producerId: res.producerId, producerEpoch: res.producerEpoch };
  }

  async fetch(topic: string, partition: number, offset: bigint, maxBytes = 1 << 20, maxWaitMs = 500, minBytes = 1, isolationLevel: IsolationLevel = READ_UNCOMMITTED): Promise<FetchResult> {
    return this.withRetry(topic, async () => {
      const conn = await this.leaderConnection(topic, partition);
      const res = await conn.request<FetchResponse>(ApiKey.Fetch, {
        clusterId: null,
        replicaId: -1,
        maxWaitMs,
        minBytes,
        maxBytes,
        isolationLevel,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{
          topic,
          partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: maxBytes }],
        }],
        forgottenTopicsData: [],
        rackId: '',
      }, { timeoutMs: (this.connOptions.requestTimeoutMs ?? 30_000) + maxWaitMs });
      if (res.errorCode) throw new KafkaError(res.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR);
      const p = res.responses.find((t) => t.topic === topic)?.partitions.find((x) => x.partitionIndex === partition);
      if (!p) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `fetch response lacks ${topic}-${partition}`);
      if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode);
      return {
        highWatermark: p.highWatermark,
        lastStableOffset: p.lastStableOffset ?? -1n,
        logStartOffset: p.logStartOffset ?? -1n,
        records: p.records ?? Buffer.alloc(0),
        abortedTransactions: (p.abortedTransactions ?? []).map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset })),
      };
    });
  }

  /** timestamp: LATEST_TIMESTAMP (-1), EARLIEST_TIMESTAMP (-2), or epoch ms (first offset at or after). */
  async listOffsets(topic: string, partition: number, timestamp: bigint): Promise<OffsetResult> {
    return this.withRetry(topic, async () => {
      const conn = await this.leaderConnection(topic, partition);
      const res = await conn.request<ListOffsetsResponse>(ApiKey.ListOffsets, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }],
        timeoutMs: this.connOptions.requestTimeoutMs ?? 30_000,
      });
      const p = res.topics.find((t) => t.name === topic)?.partitions.find((x) => x.partitionIndex === partition);
      if (!p) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `list offsets response lacks ${topic}-${partition}`);
      if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode);
      return { offset: p.offset ?? -1n, timestamp: p.timestamp ?? -1n };
    });
  }

  /** The connection to a partition's leader, per cached metadata (fetched when missing). */
  async leaderConnection(topic: string, partition: number): Promise<KafkaConnection> {
    let t = this.topics.get(topic);
    if (!t) {
      const md = await this.metadata([topic]);
      t = this.topics.get(topic);
      const refused = md.topics.find((x) => x.name === topic)?.errorCode === ErrorCode.TOPIC_AUTHORIZATION_FAILED;
      if (refused) throw new KafkaError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, `not authorized to access topic '${topic}'`);
      if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic '${topic}'`);
    }
    const p = t.partitions.find((x) => x.partition === partition);
    if (!p) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${topic}' has no partition ${partition}`);
    if (p.leader < 0) throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `${topic}-${partition} has no leader`);
    const broker = this.brokers.get(p.leader);
    if (!broker) throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `leader ${p.leader} of ${topic}-${partition} is not in metadata`);
    return this.connectionTo(broker);
  }

  /** A connection to any broker (for requests any broker answers, such as ListGroups). */
  anyBrokerConnection(): Promise<KafkaConnection> {
    return this.anyConnection();
  }

  /** A connection to a broker named in a response (a group coordinator). */
  connectionToBroker(host: string, port: number): Promise<KafkaConnection> {
    return this.connectionTo({ host, port });
  }

  close(): void {
    this.closed = true;
    for (const c of this.connections.values()) c.then((conn) => conn.close(), () => undefined);
    this.connections.clear();
  }

  private async withRetry<T>(topic: string, op: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await op();
      } catch (err) {
        const code = err instanceof KafkaError ? err.code : -1;
        if (attempt >= this.retries || this.closed || !(REFRESH_ON.has(code) || isRetriable(code))) throw err;
        await sleep(this.retryBackoffMs * (attempt + 1));
        if (REFRESH_ON.has(code)) {
          this.topics.delete(topic);
          await this.metadata([topic]).catch(() => undefined);
        }
      }
    }
  }

  private async controllerConnection(): Promise<KafkaConnection> {
    if (this.brokers.size === 0) await this.metadata([]);
    const controller = this.brokers.get(this.controllerId);
    return controller ? this.connectionTo(controller) : this.anyConnection();
  }

  /** An open connection to any known broker, else the first bootstrap server that answers. */
  private async anyConnection(): Promise<KafkaConnection> {
    if (this.closed) throw new KafkaError(ErrorCode.NETWORK_EXCEPTION, 'client is closed');
    for (const pending of this.connections.values()) {
      const conn = await pending.catch(() => null);
      if (conn && !conn.closed) return conn;
    }
    let last: unknown;
    for (const addr of [...this.brokers.values(), ...this.bootstrap]) {
      try {
        return await this.connectionTo(addr);
      } catch (err) {
        last = err;
      }
    }
    throw last instanceof Error ? last : new KafkaError(ErrorCode.NETWORK_EXCEPTION, 'no broker reachable');
  }

  private connectionTo(addr: HostPort): Promise<KafkaConnection> {
    if (this.closed) return Promise.reject(new KafkaError(ErrorCode.NETWORK_EXCEPTION, 'client is closed'));
    const key = `${addr.host}:${addr.port}`;
    const existing = this.connections.get(key);
    if (existing) return existing;
    const pending = KafkaConnection.open(addr.host, addr.port, this.connOptions);
    this.connections.set(key, pending);
    pending.then(
      (conn) => conn.onClose(() => { if (this.connections.get(key) === pending) this.connections.delete(key); }),
      () => { if (this.connections.get(key) === pending) this.connections.delete(key); },
    );
    return pending;
  }
}
