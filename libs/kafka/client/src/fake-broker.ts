import * as net from 'node:net';
import {
  assignOffsets,
  ATTR_TRANSACTIONAL,
  decodeRecordBatches,
  decodeRequestBody,
  decodeRequestHeader,
  encodeResponse,
  readBatchHeader,
  validateBatches,
} from '@dms/kafka-codec';
import { ErrorCode } from '@dms/kafka-errors';
import { ApiKey, ZERO_UUID } from '@dms/kafka-schema';
import { FakeTxnCoordinator } from './fake-txn-coordinator';
import { FrameReader } from './frame-reader';

/**
 * A single-node, in-memory Kafka broker for specs: real frames through the codec's encoders,
 * just enough behaviour for the client's APIs. Behaviour: one node (id 1) leads everything;
 * Produce assigns offsets like a broker (rewrites base offsets in place); Fetch returns whole
 * batches from the one containing the fetch offset; ListOffsets by time scans records.
 * Idempotent producers: InitProducerId hands out ids; a batch with a producer id is checked
 * like Kafka's leader does (epoch, next sequence, the last five batches for duplicates).
 * Transactions: the broker is every id's coordinator (FakeTxnCoordinator); a transactional batch
 * to a partition outside its producer's transaction is refused with INVALID_TXN_STATE.
 * Not implemented: long-poll waits (Fetch answers at once), sessions, auth, transaction markers.
 */
export interface FakeBrokerOptions {
  /** Overrides the advertised [min, max] per api key. */
  versions?: Record<number, [number, number]>;
  autoCreateTopics?: boolean;
}

/** Lets a spec answer, delay or swallow a request by key: return undefined to fall through. */
export type Intercept = (apiKey: number, version: number, body: any) => Promise<object | 'drop' | undefined> | object | 'drop' | undefined;

interface PartitionLog {
  batches: Buffer[];
  nextOffset: bigint;
  /** Per producer id: its epoch and the last five batches' sequences and offsets. */
  producers: Map<bigint, { epoch: number; batches: { firstSeq: number; lastSeq: number; baseOffset: bigint }[] }>;
}

const DEFAULT_VERSIONS: Record<number, [number, number]> = {
  [ApiKey.Produce]: [0, 11],
  [ApiKey.Fetch]: [0, 12],
  [ApiKey.ListOffsets]: [0, 8],
  [ApiKey.Metadata]: [0, 12],
  [ApiKey.ApiVersions]: [0, 3],
  [ApiKey.CreateTopics]: [0, 7],
  [ApiKey.DeleteTopics]: [0, 6],
  [ApiKey.InitProducerId]: [0, 5],
  [ApiKey.FindCoordinator]: [0, 4],
  [ApiKey.AddPartitionsToTxn]: [0, 5],
  [ApiKey.EndTxn]: [0, 4],
};

export class FakeBroker {
  readonly nodeId = 1;
  readonly topics = new Map<string, { topicId: string; partitions: PartitionLog[] }>();
  readonly requests: { apiKey: number; version: number }[] = [];
  intercept: Intercept | undefined;
  /** Producer ids handed out by InitProducerId, in order. */
  readonly producerIds: bigint[] = [];
  readonly txn = new FakeTxnCoordinator();
  private server!: net.Server;
  private readonly sockets = new Set<net.Socket>();
  /** Client connections accepted since start. */
  connectionsAccepted = 0;
  port = 0;

  constructor(private readonly opts: FakeBrokerOptions = {}) {}

  static async start(opts: FakeBrokerOptions = {}): Promise<FakeBroker> {
    const b = new FakeBroker(opts);
    b.server = net.createServer((s) => b.onSocket(s));
    await new Promise<void>((r) => b.server.listen(0, '127.0.0.1', r));
    b.port = (b.server.address() as net.AddressInfo).port;
    return b;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  createTopic(name: string, partitions: number): void {
    const id = `00000000-0000-4000-8000-${(this.topics.size + 1).toString(16).padStart(12, '0')}`;
    this.topics.set(name, { topicId: id, partitions: Array.from({ length: partitions }, () => ({ batches: [], nextOffset: 0n, producers: new Map() })) });
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private onSocket(socket: net.Socket): void {
    this.connectionsAccepted++;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const reader = new FrameReader(100 * 1024 * 1024);
    // Answers go out in request order even when an intercept delays one of them.
    let chain = Promise.resolve();
    socket.on('data', (chunk) => {
      for (const frame of reader.push(chunk)) {
        const work = this.handle(frame);
        chain = chain.then(async () => {
          const out = await work;
          if (out && !socket.destroyed) socket.write(out);
        });
      }
    });
  }

  private async handle(frame: Buffer): Promise<Buffer | null> {
    const { header, bodyOffset } = decodeRequestHeader(frame);
    const { requestApiKey: key, requestApiVersion: version, correlationId } = header;
    const body = decodeRequestBody(key, version, frame, bodyOffset);
    this.requests.push({ apiKey: key, version });
    const custom = await this.intercept?.(key, version, body);
    if (custom === 'drop') return null;
    const response = custom ?? this.answer(key, version, body);
    if (response === null) return null;
    return encodeResponse(key, version, correlationId, await response);
  }

  /** The broker's own answer (an intercept may call it, then lose or replace the result). */
  answer(key: number, version: number, body: any): object | Promise<object> | null {
    switch (key) {
      case ApiKey.ApiVersions: {
        const versions = { ...DEFAULT_VERSIONS, ...this.opts.versions };
        return {
          errorCode: 0,
          apiKeys: Object.entries(versions).map(([k, [min, max]]) => ({ apiKey: Number(k), minVersion: min, maxVersion: max })),
          throttleTimeMs: 0,
        };
      }
      case ApiKey.Metadata:
        return this.metadata(body);
      case ApiKey.CreateTopics:
        return {
          throttleTimeMs: 0,
          topics: body.topics.map((t: any) => {
            const exists = this.topics.has(t.name);
            if (!exists) this.createTopic(t.name, t.numPartitions > 0 ? t.numPartitions : 1);
            return {
              name: t.name, topicId: this.topics.get(t.name)!.topicId,
              errorCode: exists ? ErrorCode.TOPIC_ALREADY_EXISTS : 0, errorMessage: null,
              numPartitions: -1, replicationFactor: -1, configs: null,
            };
          }),
        };
      case ApiKey.DeleteTopics:
        return {
          throttleTimeMs: 0,
          responses: (body.topicNames as string[]).map((name) => ({
            name, topicId: ZERO_UUID, errorMessage: null,
            errorCode: this.topics.delete(name) ? 0 : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          })),
        };
      case ApiKey.Produce:
        return this.produce(body);
      case ApiKey.FindCoordinator:
        return {
          throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: this.nodeId, host: '127.0.0.1', port: this.port,
          coordinators: (body.coordinatorKeys ?? []).map((k: string) => ({ key: k, nodeId: this.nodeId, host: '127.0.0.1', port: this.port, errorCode: 0, errorMessage: null })),
        };
      case ApiKey.AddPartitionsToTxn:
        return this.txn.addPartitionsToTxn(body);
      case ApiKey.EndTxn:
        return this.txn.endTxn(body);
      case ApiKey.InitProducerId: {
        if (body.transactionalId != null) return this.txn.initProducerId(body);
        // Kafka gives a producer without transactional id a fresh id each time.
        const producerId = BigInt(1000 + this.producerIds.length);
        this.producerIds.push(producerId);
        return { throttleTimeMs: 0, errorCode: 0, producerId, producerEpoch: 0 };
      }
      case ApiKey.Fetch:
        return this.fetch(body);
      case ApiKey.ListOffsets:
        return this.listOffsets(body);
      default:
        throw new Error(`fake broker does not implement api ${key}`);
    }
  }

  private metadata(body: any): object {
    const names: string[] = body.topics === null ? [...this.topics.keys()] : body.topics.map((t: any) => t.name);
    return {
      throttleTimeMs: 0,
      brokers: [{ nodeId: this.nodeId, host: '127.0.0.1', port: this.port, rack: null }],
      clusterId: 'fake-cluster',
      controllerId: this.nodeId,
      topics: names.map((name) => {
        if (!this.topics.has(name) && body.allowAutoTopicCreation && this.opts.autoCreateTopics) this.createTopic(name, 1);
        const t = this.topics.get(name);
        return {
          errorCode: t ? 0 : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          name,
          topicId: t?.topicId ?? ZERO_UUID,
          isInternal: false,
          partitions: (t?.partitions ?? []).map((_, i) => ({
            errorCode: 0, partitionIndex: i, leaderId: this.nodeId, leaderEpoch: 0,
            replicaNodes: [this.nodeId], isrNodes: [this.nodeId], offlineReplicas: [],
          })),
          topicAuthorizedOperations: -2147483648,
        };
      }),
      clusterAuthorizedOperations: -2147483648,
    };
  }

  private log(topic: string, partition: number): PartitionLog | undefined {
    return this.topics.get(topic)?.partitions[partition];
  }

  private produce(body: any): object | null {
    const responses = body.topicData.map((t: any) => ({
      name: t.name,
      partitionResponses: t.partitionData.map((p: any) => {
        const log = this.log(t.name, p.index);
        const base = { index: p.index, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], errorMessage: null };
        if (!log) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
        const records = Buffer.from(p.records ?? Buffer.alloc(0));
        const { problem, positions } = validateBatches(records);
        if (problem.kind !== 'ok' || positions.length === 0) return { ...base, errorCode: ErrorCode.CORRUPT_MESSAGE };
        const header = readBatchHeader(records);
        if ((header.attributes & ATTR_TRANSACTIONAL) !== 0 && !this.txn.inTransaction(header.producerId, t.name, p.index)) {
          return { ...base, errorCode: ErrorCode.INVALID_TXN_STATE };
        }
        const checked = positions.length === 1 ? this.checkSequence(log, header) : undefined;
        if (checked?.errorCode) return { ...base, errorCode: checked.errorCode };
        if (checked?.duplicateOf !== undefined) return { ...base, errorCode: 0, baseOffset: checked.duplicateOf };
        const baseOffset = log.nextOffset;
        log.nextOffset = assignOffsets(records, positions, baseOffset, 0);
        checked?.record(baseOffset);
        for (const pos of positions) log.batches.push(records.subarray(pos, pos + readBatchHeader(records, pos).sizeInBytes));
        return { ...base, errorCode: 0, baseOffset };
      }),
    }));
    return body.acks === 0 ? null : { responses, throttleTimeMs: 0 };
  }

  /** Kafka's producer state check on the leader, for a batch with a producer id. */
  private checkSequence(log: PartitionLog, h: { producerId: bigint; producerEpoch: number; baseSequence: number; lastOffsetDelta: number }) {
    if (h.producerId < 0n) return undefined;
    const firstSeq = h.baseSequence;
    const lastSeq = firstSeq + h.lastOffsetDelta;
    const state = log.producers.get(h.producerId);
    const record = (baseOffset: bigint) => {
      const s = log.producers.get(h.producerId);
      const kept = s && s.epoch === h.producerEpoch ? s.batches : [];
      log.producers.set(h.producerId, { epoch: h.producerEpoch, batches: [...kept, { firstSeq, lastSeq, baseOffset }].slice(-5) });
    };
    if (state && h.producerEpoch < state.epoch) return { errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, record };
    if (!state || h.producerEpoch > state.epoch) {
      return firstSeq === 0 ? { errorCode: 0, record } : { errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, record };
    }
    const dup = state.batches.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq);
    if (dup) return { errorCode: 0, duplicateOf: dup.baseOffset, record };
    const last = state.batches[state.batches.length - 1];
    if (last && firstSeq !== last.lastSeq + 1) return { errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, record };
    return { errorCode: 0, record };
  }

  private fetch(body: any): object {
    return {
      throttleTimeMs: 0, errorCode: 0, sessionId: 0,
      responses: body.topics.map((t: any) => ({
        topic: t.topic,
        partitions: t.partitions.map((p: any) => {
          const log = this.log(t.topic, p.partition);
          const base = { partitionIndex: p.partition, lastStableOffset: -1n, logStartOffset: 0n, abortedTransactions: null, preferredReadReplica: -1 };
          if (!log) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, highWatermark: -1n, records: null };
          if (p.fetchOffset < 0n || p.fetchOffset > log.nextOffset) {
            return { ...base, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark: log.nextOffset, records: null };
          }
          const out: Buffer[] = [];
          let size = 0;
          for (const b of log.batches) {
            const h = readBatchHeader(b);
            if (h.baseOffset + BigInt(h.lastOffsetDelta) < p.fetchOffset) continue;
            if (out.length > 0 && size + b.length > p.partitionMaxBytes) break;
            out.push(b);
            size += b.length;
          }
          return { ...base, errorCode: 0, highWatermark: log.nextOffset, lastStableOffset: log.nextOffset, records: Buffer.concat(out) };
        }),
      })),
    };
  }

  private async listOffsets(body: any): Promise<object> {
    const topics = [];
    for (const t of body.topics) {
      const partitions = [];
      for (const p of t.partitions) {
        const log = this.log(t.name, p.partitionIndex);
        const base = { partitionIndex: p.partitionIndex, leaderEpoch: 0, oldStyleOffsets: [] };
        if (!log) {
          partitions.push({ ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, timestamp: -1n, offset: -1n });
          continue;
        }
        let offset = -1n;
        let timestamp = -1n;
        if (p.timestamp === -1n) offset = log.nextOffset;
        else if (p.timestamp === -2n) offset = 0n;
        else {
          outer: for (const b of log.batches) {
            for (const batch of await decodeRecordBatches(b)) {
              for (const r of batch.records) {
                if (r.timestamp >= p.timestamp) { offset = r.offset; timestamp = r.timestamp; break outer; }
              }
            }
          }
        }
        partitions.push({ ...base, errorCode: 0, timestamp, offset });
      }
      topics.push({ name: t.name, partitions });
    }
    return { throttleTimeMs: 0, topics };
  }
}
