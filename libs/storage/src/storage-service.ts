import { type ServerDuplexStream, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { SpanKind, context, type Tracer } from '@opentelemetry/api';
import { BATCH, BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD, validateBatches } from '@dms/kafka-codec';
import { ErrorCode } from '@dms/kafka-errors';
import { LogError, type AppendResult, type ReadBufferPool } from '@dms/log';
import type { Logger } from '@dms/platform';
import {
  contextFrom,
  type DescribeLogDirsRequest,
  type DescribeLogDirsResponse,
  type RecoverLogDirRequest,
  type RecoverLogDirResponse,
  type FetchPartition,
  type FetchPartitionResult,
  type FetchRequest,
  type FetchResponse,
  type ListOffsetsPartitionResult,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  type OffsetForLeaderEpochPartition,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
  type OffsetForLeaderEpochResult,
  type DeleteRecordsPartition,
  type DeleteRecordsPartitionResult,
  type DeleteRecordsRequest,
  type DeleteRecordsResponse,
  type ReplicaFetchRequest,
  type ReplicaFetchResponse,
  type ProducePartition,
  type ProducePartitionResult,
  type ProduceBatchRequest,
  type ProduceBatchResponse,
  type ProduceRequest,
  type ProduceResponse,
  type StorageServiceServer,
  type WriteTxnMarkersRequest,
  type WriteTxnMarkersResponse,
  type DescribeProducersRequest,
  type DescribeProducersResponse,
  type ServerMessageStream,
} from '@dms/rpc';
import type { BrokerByteCounters } from './broker-metrics';
import type { IsrUpdater } from './isr-updater';
import { describeLogDirs } from './log-dirs';
import { kafkaCodeOf } from './log-error-codes';
import { describeProducers } from './producer-describer';
import { type TxnMarkerWritten, writeTxnMarkers } from './txn-marker-writer';
import type { PartitionReplica } from './partition-replica';
import { AppendOrder, type AppendTurn } from './append-order';
import { checkForAppend } from './produce-validation';
import { createReplicaFetchHandler } from './replica-fetch-handler';
import type { BrokerReplicationQuotas } from './replication-quotas';
import type { ReplicaManager } from './replica-manager';
import { produceSettings, type ProduceSettings } from './topic-settings';
import { serveProduceBatch } from './produce-batch-stream';
import { isDiskError, type LogDirFailures } from './log-dir-failure';
import { createQueryHandler } from './query/query-service';
import { recordTimestampAt } from './record-timestamp';

export interface StorageServiceOptions {
  replicas: ReplicaManager;
  tracer: Tracer;
  logger: Logger;
  messageMaxBytes: number;
  /** The log dir DescribeLogDirs reports (absent: the answer names no directory). */
  logDir?: string;
  /** Every log dir (log.dirs) DescribeLogDirs reports; default: `logDir` alone. */
  logDirs?: readonly string[];
  /** Broker log.segment.bytes (Kafka's default 1 GiB): a topic's segment.bytes overrides it. */
  segmentBytes?: number;
  isrUpdater?: Pick<IsrUpdater, 'check'>;
  /** Counts client bytes in (appends) and out (fetches). */
  metrics?: BrokerByteCounters;
  /**
   * Consumer fetches read the disk into buffers leased from this pool; the server's fetch answer
   * serialiser releases them (storageServiceReleasingFetchRecords). Absent: a fresh buffer per read.
   */
  readPool?: ReadBufferPool;
  now?: () => bigint;
  /**
   * Called for each marker this broker appended (WriteTxnMarkers) once the ISR has it, just
   * before answering NONE for its partition.
   */
  onTxnMarker?: (m: TxnMarkerWritten) => void;
  /** Log dirs taken offline: their replicas answer KAFKA_STORAGE_ERROR, and DescribeLogDirs says so. */
  logDirFailures?: Pick<LogDirFailures, 'partitionOffline' | 'isOffline' | 'bringOnline' | 'offlineDirs' | 'logFailed'>;
  /** The leader replication quota (leader.replication.throttled.rate) for follower fetches. */
  replicationQuotas?: BrokerReplicationQuotas;
}

/** Fetch and ListOffsets isolation_level 1: read only below the last stable offset. */
const READ_COMMITTED = 1;

const EMPTY = Buffer.alloc(0);
const LATEST = -1n;
const EARLIEST = -2n;
const MAX_TIMESTAMP = -3n;

/**
 * A partition's produce answer, every one with the same fields in the same order: the answer
 * serialiser then reads one object shape (spreads of a common base cost ~1 us per answer here).
 */
function produceResult(
  p: ProducePartition,
  errorCode: number,
  errorMessage = '',
  recordErrors: ProducePartitionResult['recordErrors'] = [],
  appended = false,
): ProducePartitionResult {
  return { topic: p.topic, partition: p.partition, errorCode, errorMessage, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors, appended };
}

function epochError(replica: PartitionReplica, requested: number): number {
  if (requested < 0 || requested === replica.leaderEpoch) return ErrorCode.NONE;
  return requested > replica.leaderEpoch ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH;
}

/**
 * The storage broker's gRPC face: appends, reads and offset lookups on the partitions this
 * broker leads. Per-partition problems are error codes in the answer; a stream only fails when
 * the stream itself is broken.
 */
export function createStorageService(opts: StorageServiceOptions): StorageServiceServer {
  const now = opts.now ?? (() => BigInt(Date.now()));
  const handleReplicaFetch = createReplicaFetchHandler({ replicas: opts.replicas, logger: opts.logger, isrUpdater: opts.isrUpdater, logDirFailures: opts.logDirFailures, quotas: opts.replicationQuotas });
  /** Why this broker does not serve a partition: its log dir is offline, or it does not lead it. */
  const notServed = (topic: string, partition: number): number =>
    opts.logDirFailures?.partitionOffline(topic, partition) ? ErrorCode.KAFKA_STORAGE_ERROR : ErrorCode.NOT_LEADER_OR_FOLLOWER;

  /** A replica's configs are replaced as a whole when they change: parse each map once, not per append. */
  const parsedSettings = new WeakMap<Readonly<Record<string, string>>, ProduceSettings>();
  const settingsOf = (configs: Readonly<Record<string, string>>): ProduceSettings => {
    let s = parsedSettings.get(configs);
    if (!s) parsedSettings.set(configs, (s = produceSettings(configs, { messageMaxBytes: opts.messageMaxBytes, segmentBytes: opts.segmentBytes })));
    return s;
  };

  /** Appends to a partition in the order their requests arrived (see append-order.ts). */
  const appendOrder = new AppendOrder();

  function producePartition(p: ProducePartition, acks: number, timeoutMs: number): Promise<ProducePartitionResult> {
    // The turn is taken before the first await: arrival order, not the order checks finish in.
    const turn = appendOrder.turn(`${p.topic}\0${p.partition}`);
    return producePartitionInTurn(p, acks, timeoutMs, turn);
  }

  async function producePartitionInTurn(p: ProducePartition, acks: number, timeoutMs: number, turn: AppendTurn): Promise<ProducePartitionResult> {
    let appending: Promise<AppendResult>;
    let leaderEpoch: number;
    let logAppend: boolean;
    let replica: PartitionReplica;
    try {
      if (!opts.replicas.getNow(p.topic, p.partition)) await opts.replicas.get(p.topic, p.partition); // a log still opening
      const leading = opts.replicas.leaderNow(p.topic, p.partition);
      if (!leading || !leading.leader) return produceResult(p, notServed(p.topic, p.partition));
      replica = leading;
      // The gateway checked CRCs; the broker re-checks framing so a bad peer cannot corrupt the log.
      const { problem, positions } = validateBatches(p.records, false);
      if (problem.kind !== 'ok' || positions.length === 0) {
        return produceResult(p, ErrorCode.CORRUPT_MESSAGE, `malformed record batches (${problem.kind})`);
      }
      const settings = settingsOf(replica.configs);
      const checked = await checkForAppend(p.records, positions, settings, now(), `${p.topic}-${p.partition}`);
      if (!checked.ok) return produceResult(p, checked.errorCode, checked.errorMessage, checked.recordErrors);
      if (turn.ready) {
        await turn.ready;
        // Leadership may have moved while earlier requests appended.
        if (opts.replicas.leaderNow(p.topic, p.partition) !== replica || !replica.leader) return produceResult(p, notServed(p.topic, p.partition));
      }
      const minIsr = replica.minInsyncReplicas;
      if (acks === -1 && replica.leader!.isr.length < minIsr) {
        return produceResult(
          p,
          ErrorCode.NOT_ENOUGH_REPLICAS,
          `The size of the current ISR ${replica.leader!.isr.length} is insufficient to satisfy the min.isr requirement of ${minIsr}`,
        );
      }
      logAppend = settings.logAppendTime;
      leaderEpoch = replica.leaderEpoch;
      // Coordinators of this cluster write unsequenced transactional batches to internal topics.
      const origin = p.topic.startsWith('__') ? 'coordinator' : 'client';
      // The log assigns offsets when called (a failure comes back as a rejection), so the next
      // request's turn can start right after.
      try {
        appending = replica.log.append(checked.records, { leaderEpoch, logAppendTime: logAppend ? now() : undefined, origin });
      } catch (err) {
        appending = Promise.reject(err);
      }
    } finally {
      turn.done();
    }
    let res;
    try {
      res = await appending;
    } catch (err) {
      const { code, expected } = kafkaCodeOf(err);
      if (!expected) opts.logger.error({ err, topic: p.topic, partition: p.partition, acks }, 'append failed');
      return produceResult(p, code, code === ErrorCode.NOT_LEADER_OR_FOLLOWER ? '' : (err as Error).message);
    }
    if (!res.duplicate) {
      replica.onLocalAppend();
      opts.metrics?.bytesIn(p.topic, p.partition, p.records.length, Number(res.lastOffset - res.baseOffset) + 1);
    }
    // While fenced off from etcd, nothing is acknowledged before the ISR has it (see ReplicaManager.fencedOff).
    if (acks === -1 || opts.replicas.fencedOff) {
      // From here on the batch is in our log: a failure must not let the gateway resend it.
      if (replica.leaderEpoch !== leaderEpoch) return produceResult(p, ErrorCode.NOT_LEADER_OR_FOLLOWER, '', [], true);
      const code = await replica.awaitReplication(res.lastOffset + 1n, Math.max(0, timeoutMs), acks === -1);
      if (code !== ErrorCode.NONE) return produceResult(p, code, '', [], true);
    }
    return {
      topic: p.topic, partition: p.partition, errorCode: ErrorCode.NONE, errorMessage: '',
      baseOffset: res.baseOffset, logAppendTimeMs: logAppend ? res.logAppendTime : -1n, logStartOffset: res.logStartOffset, recordErrors: [], appended: false,
    };
  }

  function handleProduce(req: ProduceRequest): Promise<ProduceResponse> {
    const span = opts.tracer.startSpan('broker.produce', { kind: SpanKind.SERVER, attributes: { 'dms.partitions': req.partitions.length, 'kafka.acks': req.acks } }, contextFrom(req.traceContext));
    // Not async, and no Promise.all for the usual single partition: one reaction per request.
    let all: Promise<ProducePartitionResult[]>;
    try {
      all = req.partitions.length === 1
        ? producePartition(req.partitions[0]!, req.acks, req.timeoutMs).then((r) => [r])
        : Promise.all(req.partitions.map((p) => producePartition(p, req.acks, req.timeoutMs)));
    } catch (err) {
      all = Promise.reject(err);
    }
    return all.then(
      (partitions) => {
        span.end();
        return { correlationId: req.correlationId, partitions };
      },
      (err: unknown) => {
        span.end();
        throw err;
      },
    );
  }

  async function readPartition(p: FetchPartition, budget: { bytes: number; first: boolean }, isolationLevel: number): Promise<FetchPartitionResult> {
    const base = { topic: p.topic, partition: p.partition, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, records: EMPTY, abortedTransactions: [] };
    const replica = opts.replicas.leaderNow(p.topic, p.partition);
    if (!replica) return { ...base, errorCode: notServed(p.topic, p.partition) };
    const epochProblem = epochError(replica, p.currentLeaderEpoch);
    if (epochProblem !== ErrorCode.NONE) return { ...base, errorCode: epochProblem };
    const hw = replica.highWatermark;
    const lso = replica.log.lastStableOffset(hw);
    const marks = { highWatermark: hw, lastStableOffset: lso, logStartOffset: replica.log.logStartOffset };
    const maxBytes = Math.max(0, Math.min(p.partitionMaxBytes, budget.bytes));
    const committedOnly = isolationLevel === READ_COMMITTED;
    try {
      const { records } = await replica.log.read(p.fetchOffset, maxBytes, { upperBound: committedOnly ? lso : hw, minOneBatch: budget.first, pool: opts.readPool });
      if (records.length > 0) {
        budget.first = false;
        budget.bytes -= records.length;
      }
      const abortedTransactions = committedOnly && records.length > 0
        ? replica.log.abortedTransactions(p.fetchOffset, endOffsetOf(records)).map((t) => ({ producerId: t.producerId, firstOffset: t.firstOffset }))
        : [];
      return { ...base, ...marks, errorCode: ErrorCode.NONE, records, abortedTransactions };
    } catch (err) {
      if (err instanceof LogError && err.kind === 'offset-out-of-range') return { ...base, ...marks, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
      opts.logger.error({ err, topic: p.topic, partition: p.partition }, 'read failed');
      // A disk that fails reads (EIO) takes its log dir offline, as a failed write does.
      if (isDiskError(err)) opts.logDirFailures?.logFailed(err as Error, replica.log.dir);
      return { ...base, ...marks, errorCode: ErrorCode.KAFKA_STORAGE_ERROR };
    }
  }

  async function readAll(req: FetchRequest): Promise<FetchPartitionResult[]> {
    const budget = { bytes: req.maxBytes > 0 ? req.maxBytes : 0x7fffffff, first: true };
    const out: FetchPartitionResult[] = [];
    // Sequential so the response-wide byte budget is spent in request order, as Kafka does.
    for (const p of req.partitions) out.push(await readPartition(p, budget, req.isolationLevel));
    return out;
  }

  /**
   * Waits until any of `replicas` gains data (consumers: 'hw'; followers: 'append') or `ms`
   * passes. `mark` is each replica's position when the caller started reading: data that arrived
   * while it read (before this subscribed) ends the wait at once instead of costing a full poll.
   */
  function waitForEvent(
    replicas: PartitionReplica[],
    event: 'hw' | 'append',
    ms: number,
    mark: Map<PartitionReplica, bigint>,
    wake?: { resolve?: () => void; woken: boolean },
  ): Promise<void> {
    const position = (r: PartitionReplica) => (event === 'hw' ? r.highWatermark : r.log.logEndOffset);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        for (const r of replicas) r.off(event, done);
        if (wake) wake.resolve = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      for (const r of replicas) r.once(event, done);
      if (wake) wake.resolve = done;
      if (wake?.woken || replicas.some((r) => mark.has(r) && position(r) !== mark.get(r))) done();
    });
  }

  function leadersOf(parts: ReadonlyArray<{ topic: string; partition: number }>): PartitionReplica[] {
    return parts.map((p) => opts.replicas.leaderNow(p.topic, p.partition)).filter((r): r is PartitionReplica => !!r);
  }

  /**
   * A consumer fetch: reads, and while fewer than min_bytes are there, waits for the high watermark
   * to move until max_wait_ms. `waiting` holds this stream's long polls by correlation id, so a
   * wake request (the gateway has its bytes from other brokers) ends one early.
   */
  async function handleFetch(req: FetchRequest, waiting: Map<bigint, { resolve?: () => void; woken: boolean }>): Promise<FetchResponse> {
    if (req.wakeCorrelationId !== 0n) {
      const w = waiting.get(req.wakeCorrelationId);
      if (w) {
        w.woken = true;
        w.resolve?.();
      }
      return { correlationId: req.correlationId, partitions: [] };
    }
    const wake = { woken: false } as { resolve?: () => void; woken: boolean };
    waiting.set(req.correlationId, wake);
    const span = opts.tracer.startSpan('broker.fetch', { kind: SpanKind.SERVER, attributes: { 'dms.partitions': req.partitions.length } }, contextFrom(req.traceContext));
    try {
      const deadline = Date.now() + Math.max(0, req.maxWaitMs);
      for (;;) {
        const mark = new Map(leadersOf(req.partitions).map((r) => [r, r.highWatermark] as const));
        const partitions = await readAll(req);
        const bytes = partitions.reduce((n, p) => n + p.records.length, 0);
        const anyError = partitions.some((p) => p.errorCode !== ErrorCode.NONE);
        const remaining = deadline - Date.now();
        if (bytes >= Math.max(1, req.minBytes) || anyError || remaining <= 0 || wake.woken) {
          span.setAttribute('dms.bytes', bytes);
          if (opts.metrics) for (const p of partitions) if (p.records.length > 0) opts.metrics.bytesOut(p.topic, p.partition, p.records.length);
          return { correlationId: req.correlationId, partitions };
        }
        // Not answered: this read's leased buffers go back before the next read.
        if (opts.readPool) for (const p of partitions) opts.readPool.release(p.records);
        opts.metrics?.fetchWaiting(1);
        try {
          await waitForEvent([...mark.keys()], 'hw', remaining, mark, wake);
        } finally {
          opts.metrics?.fetchWaiting(-1);
        }
      }
    } finally {
      waiting.delete(req.correlationId);
      span.end();
    }
  }

  async function listOffsetsPartition(p: { topic: string; partition: number; timestamp: bigint; currentLeaderEpoch: number; recordAtOffset?: bigint }, isolationLevel: number): Promise<ListOffsetsPartitionResult> {
    const base = { topic: p.topic, partition: p.partition, timestamp: -1n, offset: -1n, leaderEpoch: -1 };
    await opts.replicas.get(p.topic, p.partition);
    const replica = opts.replicas.leaderNow(p.topic, p.partition);
    if (!replica) return { ...base, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
    const epochProblem = epochError(replica, p.currentLeaderEpoch);
    if (epochProblem !== ErrorCode.NONE) return { ...base, errorCode: epochProblem };
    const leaderEpoch = replica.leaderEpoch;
    const log = replica.log;
    // As Kafka: read_committed sees the log up to the last stable offset only.
    const fetchable = isolationLevel === READ_COMMITTED ? log.lastStableOffset(replica.highWatermark) : replica.highWatermark;
    if (p.recordAtOffset !== undefined) {
      const at = await recordTimestampAt(log, p.recordAtOffset, fetchable);
      return at ? { ...base, errorCode: ErrorCode.NONE, offset: at.offset, timestamp: BigInt(at.timestamp), leaderEpoch } : { ...base, errorCode: ErrorCode.NONE, leaderEpoch };
    }
    if (p.timestamp === LATEST) return { ...base, errorCode: ErrorCode.NONE, offset: fetchable, leaderEpoch };
    if (p.timestamp === EARLIEST) return { ...base, errorCode: ErrorCode.NONE, offset: log.logStartOffset, leaderEpoch };
    if (p.timestamp === MAX_TIMESTAMP) {
      const m = log.maxTimestampOffset();
      return m ? { ...base, errorCode: ErrorCode.NONE, offset: m.offset, timestamp: m.timestamp, leaderEpoch } : { ...base, errorCode: ErrorCode.NONE };
    }
    if (p.timestamp < 0n) return { ...base, errorCode: ErrorCode.INVALID_REQUEST };
    const found = await log.offsetForTimestamp(p.timestamp);
    if (!found || found.offset >= fetchable) return { ...base, errorCode: ErrorCode.NONE };
    return { ...base, errorCode: ErrorCode.NONE, offset: found.offset, timestamp: found.timestamp, leaderEpoch };
  }

  /**
   * Kafka's DeleteRecords on the leader: -1 means the high watermark; beyond it is
   * OFFSET_OUT_OF_RANGE; a topic whose cleanup.policy does not delete refuses with
   * POLICY_VIOLATION. The answer waits (within the timeout) until every in-sync follower has
   * moved its own start too, and carries that low watermark.
   */
  async function deleteRecordsPartition(p: DeleteRecordsPartition, timeoutMs: number): Promise<DeleteRecordsPartitionResult> {
    const base = { topic: p.topic, partition: p.partition, lowWatermark: -1n };
    await opts.replicas.get(p.topic, p.partition);
    const replica = opts.replicas.leaderNow(p.topic, p.partition);
    if (!replica || !replica.leader) return { ...base, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
    const policy = (replica.configs['cleanup.policy'] ?? 'delete').split(',').map((x) => x.trim());
    if (!policy.includes('delete')) return { ...base, errorCode: ErrorCode.POLICY_VIOLATION };
    const hw = replica.highWatermark;
    const target = p.offset === -1n ? hw : p.offset;
    if (target < 0n || target > hw) return { ...base, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
    const leaderEpoch = replica.leaderEpoch;
    try {
      await replica.serial(async () => {
        if (replica.role !== 'leader' || replica.leaderEpoch !== leaderEpoch) throw new LogError('busy', 'leadership moved');
        const before = replica.log.logStartOffset;
        await replica.log.deleteRecordsBefore(target);
        if (replica.log.logStartOffset !== before) replica.onLogStartMoved();
      });
      // Kept across a restart at once: a start inside a segment is known only from the checkpoint.
      await opts.replicas.checkpointLogStartOffsets();
    } catch (err) {
      if (err instanceof LogError && err.kind === 'busy') return { ...base, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
      if (err instanceof LogError && err.kind === 'offset-out-of-range') return { ...base, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
      opts.logger.error({ err, topic: p.topic, partition: p.partition }, 'delete records failed');
      return { ...base, errorCode: ErrorCode.KAFKA_STORAGE_ERROR };
    }
    const reached = await replica.awaitLowWatermark(target, timeoutMs);
    if (replica.role !== 'leader' || replica.leaderEpoch !== leaderEpoch) return { ...base, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
    return { ...base, errorCode: reached ? ErrorCode.NONE : ErrorCode.REQUEST_TIMED_OUT, lowWatermark: replica.lowWatermark() };
  }

  function offsetForLeaderEpochPartition(p: OffsetForLeaderEpochPartition): OffsetForLeaderEpochResult {
    const base = { topic: p.topic, partition: p.partition, leaderEpoch: -1, endOffset: -1n };
    const replica = opts.replicas.leaderNow(p.topic, p.partition);
    if (!replica) return { ...base, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
    const epochProblem = epochError(replica, p.currentLeaderEpoch);
    if (epochProblem !== ErrorCode.NONE) return { ...base, errorCode: epochProblem };
    const answer = replica.log.endOffsetForEpoch(p.leaderEpoch);
    return { ...base, errorCode: ErrorCode.NONE, leaderEpoch: answer.epoch, endOffset: answer.endOffset };
  }

  function serveStream<Req extends { correlationId: bigint }, Res>(
    call: ServerMessageStream<Req, Res>,
    handle: (req: Req) => Promise<Res>,
    name: string,
  ): void {
    call.on('data', (req: Req) => {
      handle(req).then(
        (res) => {
          if (!call.cancelled && !call.destroyed) call.write(res);
        },
        (err) => opts.logger.error({ err, stream: name }, 'storage request failed'),
      );
    });
    call.on('end', () => call.end());
    call.on('error', () => undefined);
  }

  return {
    produce: (call: ServerDuplexStream<ProduceRequest, ProduceResponse>) => serveStream(call, handleProduce, 'produce'),
    produceBatch: (call: ServerMessageStream<ProduceBatchRequest, ProduceBatchResponse>) => serveProduceBatch(call, handleProduce, opts.logger),
    fetch: (call: ServerDuplexStream<FetchRequest, FetchResponse>) => {
      const waiting = new Map<bigint, { resolve?: () => void; woken: boolean }>();
      serveStream<FetchRequest, FetchResponse>(call, (req) => handleFetch(req, waiting), 'fetch');
    },
    replicaFetch: (call: ServerMessageStream<ReplicaFetchRequest, ReplicaFetchResponse>) => serveStream(call, handleReplicaFetch, 'replica-fetch'),
    offsetForLeaderEpoch: (call: ServerUnaryCall<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>, callback: sendUnaryData<OffsetForLeaderEpochResponse>) => {
      callback(null, { partitions: call.request.partitions.map(offsetForLeaderEpochPartition) });
    },
    deleteRecords: (call: ServerUnaryCall<DeleteRecordsRequest, DeleteRecordsResponse>, callback: sendUnaryData<DeleteRecordsResponse>) => {
      const ctx = contextFrom(call.request.traceContext);
      context.with(ctx, () =>
        Promise.all(call.request.partitions.map((p) => deleteRecordsPartition(p, call.request.timeoutMs))).then(
          (partitions) => callback(null, { partitions }),
          (err) => callback(err as Error, null),
        ),
      );
    },
    listOffsets: (call: ServerUnaryCall<ListOffsetsRequest, ListOffsetsResponse>, callback: sendUnaryData<ListOffsetsResponse>) => {
      const ctx = contextFrom(call.request.traceContext);
      context.with(ctx, () =>
        Promise.all(call.request.partitions.map((p) => listOffsetsPartition(p, call.request.isolationLevel))).then(
          (partitions) => callback(null, { partitions }),
          (err) => callback(err as Error, null),
        ),
      );
    },
    writeTxnMarkers: (call: ServerUnaryCall<WriteTxnMarkersRequest, WriteTxnMarkersResponse>, callback: sendUnaryData<WriteTxnMarkersResponse>) => {
      const ctx = contextFrom(call.request.traceContext);
      context.with(ctx, () =>
        writeTxnMarkers({ replicas: opts.replicas, logger: opts.logger, now, onTxnMarker: opts.onTxnMarker }, call.request).then(
          (res) => callback(null, res),
          (err) => callback(err as Error, null),
        ),
      );
    },
    describeProducers: (call: ServerUnaryCall<DescribeProducersRequest, DescribeProducersResponse>, callback: sendUnaryData<DescribeProducersResponse>) => {
      Promise.all(call.request.partitions.map((p) => describeProducers(opts.replicas, p))).then(
        (partitions) => callback(null, { partitions }),
        (err) => callback(err as Error, null),
      );
    },
    describeLogDirs: (call: ServerUnaryCall<DescribeLogDirsRequest, DescribeLogDirsResponse>, callback: sendUnaryData<DescribeLogDirsResponse>) => {
      describeLogDirs(opts.replicas, opts.logDirs ?? opts.logDir ?? '', call.request, opts.logDirFailures).then(
        (res) => callback(null, res),
        (err) => callback(err as Error, null),
      );
    },
    query: createQueryHandler({ replicas: opts.replicas, logger: opts.logger, partitionOffline: (t, p) => !!opts.logDirFailures?.partitionOffline(t, p) }),
    recoverLogDir: (call: ServerUnaryCall<RecoverLogDirRequest, RecoverLogDirResponse>, callback: sendUnaryData<RecoverLogDirResponse>) => {
      const failures = opts.logDirFailures;
      const answer = (errorCode: number, errorMessage: string) =>
        callback(null, { errorCode, errorMessage, offlineLogDirs: failures?.offlineDirs().map((d) => d.dir) ?? [] });
      if (!failures) return answer(ErrorCode.INVALID_REQUEST, 'This broker does not track log dir failures.');
      failures.bringOnline(call.request.logDir).then(
        (r) => answer(r.ok ? ErrorCode.NONE : failures.isOffline(call.request.logDir) ? ErrorCode.KAFKA_STORAGE_ERROR : ErrorCode.INVALID_REQUEST, r.ok ? '' : r.message),
        (err) => answer(ErrorCode.KAFKA_STORAGE_ERROR, (err as Error).message),
      );
    },
  };
}

/** The offset after the last whole batch of a read (where a read_committed range ends). */
function endOffsetOf(records: Buffer): bigint {
  let at = 0;
  let end = -1n;
  while (at + BATCH_HEADER_SIZE <= records.length) {
    end = records.readBigInt64BE(at + BATCH.baseOffset) + BigInt(records.readInt32BE(at + BATCH.lastOffsetDelta)) + 1n;
    at += records.readInt32BE(at + BATCH.batchLength) + BATCH_LOG_OVERHEAD;
  }
  return end;
}
