import type { ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Tracer } from '@opentelemetry/api';
import type { ClusterView } from '@dms/cluster';
import { buildRecordBatch } from '@dms/kafka-codec';
import { ErrorCode } from '@dms/kafka-errors';
import {
  GroupCoordinator,
  OFFSETS_TOPIC,
  type AppendOutcome,
  type CoordinatorRecord,
  type GroupCoordinatorConfig,
  type ReplayEntry,
  type TxnProducer,
} from '@dms/groups';
import type { Logger } from '@dms/platform';
import {
  StorageServiceClient,
  StreamMux,
  createClient,
  grpcError,
  traced,
  type GroupCoordinatorServiceServer,
  type ProduceRequest,
  type ProduceResponse,
} from '@dms/rpc';
import { readCoordinatorLog } from './coordinator-log-reader';
import type { ReplicaManager } from './replica-manager';

export interface GroupCoordinatorHostOptions {
  brokerId: number;
  /** host:port of this broker's own gRPC server (known once bound): appends take the produce path. */
  selfAddress: () => string;
  config: Partial<GroupCoordinatorConfig>;
  tracer: Tracer;
  logger: Logger;
}

const APPEND_TIMEOUT_MS = 10_000;
const REPLICA_WAIT_MS = 30_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Hosts the group coordinator on a storage broker: loads the groups of every __consumer_offsets
 * partition this broker leads (replaying its log), drops them when leadership moves, and appends
 * coordinator records through the broker's own Produce path with acks=all, so they are
 * replicated and fenced exactly as client data is.
 */
export class GroupCoordinatorHost {
  readonly coordinator: GroupCoordinator;
  private storage: StorageServiceClient | undefined;
  private produce: StreamMux<ProduceRequest, ProduceResponse> | undefined;
  private topicId: string | undefined;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly onChange = () => this.reconcile();

  constructor(
    private readonly view: ClusterView,
    private readonly replicas: ReplicaManager,
    private readonly opts: GroupCoordinatorHostOptions,
  ) {
    this.coordinator = new GroupCoordinator({
      log: { append: (partition, records, txn) => this.append(partition, records, txn) },
      numPartitions: () => view.topic(OFFSETS_TOPIC)?.partitions ?? 0,
      config: opts.config,
      onError: (err, what) => opts.logger.warn({ err }, what),
    });
  }

  /** Call once the broker's gRPC server is bound. */
  start(): void {
    const storage = createClient(StorageServiceClient, this.opts.selfAddress());
    this.storage = storage;
    this.produce = new StreamMux<ProduceRequest, ProduceResponse>(() => storage.produce(), { name: 'coordinator append' });
    this.coordinator.start();
    this.view.on('change', this.onChange);
    this.reconcile();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.view.off('change', this.onChange);
    this.coordinator.close();
    this.produce?.close();
    this.storage?.close();
  }

  /** The gRPC face gateways call. */
  service(): GroupCoordinatorServiceServer {
    const c = this.coordinator;
    const impl: GroupCoordinatorServiceServer = {
      joinGroup: unary((r) => c.joinGroup(r)),
      syncGroup: unary((r) => c.syncGroup(r)),
      heartbeat: unary((r) => c.heartbeat(r)),
      leaveGroup: unary((r) => c.leaveGroup(r)),
      offsetCommit: unary((r) => c.offsetCommit(r)),
      txnOffsetCommit: unary((r) => c.txnOffsetCommit(r)),
      offsetFetch: unary((r) => c.offsetFetch(r)),
      offsetDelete: unary((r) => c.offsetDelete(r)),
      describeGroups: unary((r) => ({ groups: c.describeGroups(r.groupIds) })),
      listGroups: unary((r) => c.listGroups(r.statesFilter)),
      deleteGroups: unary(async (r) => ({ results: await c.deleteGroups(r.groupIds) })),
    };
    return traced(impl, this.opts.tracer, { serviceName: 'dms.groups.v1.GroupCoordinatorService' });
  }

  /**
   * A transaction marker was written to a partition this broker leads and replicated to the ISR
   * (the storage service's onTxnMarker): on __consumer_offsets it ends the producer's pending
   * transactional offset commits there.
   */
  onTxnMarker(m: { topic: string; partition: number; producerId: bigint; committed: boolean; offset: bigint }): void {
    if (m.topic !== OFFSETS_TOPIC || this.closed) return;
    this.coordinator.onTxnMarker(m.partition, m.producerId, m.committed, m.offset);
  }

  /** Loads partitions this broker newly leads (or leads in a new epoch); drops the others. */
  private reconcile(): void {
    if (this.closed) return;
    const topic = this.view.topic(OFFSETS_TOPIC);
    if (topic?.topicId !== this.topicId) {
      for (const p of this.coordinator.loadedPartitions()) this.coordinator.unloadPartition(p);
      this.topicId = topic?.topicId;
    }
    const states = topic ? this.view.partitions(OFFSETS_TOPIC) : new Map();
    for (const p of this.coordinator.loadedPartitions()) {
      if (states.get(p)?.leader !== this.opts.brokerId) {
        this.coordinator.unloadPartition(p);
        this.opts.logger.info({ partition: p }, 'no longer coordinator for offsets partition');
      }
    }
    for (const [p, s] of states) {
      if (s.leader !== this.opts.brokerId || this.coordinator.isLoaded(p, s.leaderEpoch)) continue;
      void this.load(p, s.leaderEpoch);
    }
  }

  private async load(partition: number, epoch: number): Promise<void> {
    const started = Date.now();
    try {
      let records = 0;
      const counted = async function* (src: AsyncIterable<ReplayEntry>) {
        for await (const r of src) {
          records++;
          yield r;
        }
      };
      await this.coordinator.loadPartition(partition, epoch, counted(this.readPartition(partition, epoch)));
      if (this.coordinator.isLoaded(partition, epoch)) {
        this.opts.logger.info({ partition, epoch, records, ms: Date.now() - started }, 'loaded offsets partition');
      }
    } catch (err) {
      this.opts.logger.warn({ err, partition, epoch }, 'could not load offsets partition; retrying');
      if (this.coordinator.isLoaded(partition, epoch)) this.coordinator.unloadPartition(partition);
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.reconcile(), 1_000);
    }
  }

  private stillLeader(partition: number, epoch: number): boolean {
    const s = this.view.partitions(OFFSETS_TOPIC).get(partition);
    return !this.closed && s?.leader === this.opts.brokerId && s.leaderEpoch === epoch;
  }

  /** Every record and marker of the partition's log, oldest first, up to its end when the read started. */
  private async *readPartition(partition: number, epoch: number): AsyncIterable<ReplayEntry> {
    const deadline = Date.now() + REPLICA_WAIT_MS;
    let replica = this.replicas.getNow(OFFSETS_TOPIC, partition);
    while (!replica) {
      if (!this.stillLeader(partition, epoch)) return;
      if (Date.now() > deadline) throw new Error(`log of ${OFFSETS_TOPIC}-${partition} did not open`);
      await this.replicas.idle();
      replica = (await this.replicas.get(OFFSETS_TOPIC, partition)) ?? undefined;
      if (!replica) await sleep(100);
    }
    yield* readCoordinatorLog(replica.log);
  }

  /**
   * One batch through the broker's own Produce path, acks=all. A transactional commit goes as a
   * transactional batch of the client's producer with no sequence (Kafka's coordinator-origin
   * append), so the partition tracks the transaction and its marker resolves it.
   */
  private async append(partition: number, records: CoordinatorRecord[], txn?: TxnProducer): Promise<AppendOutcome> {
    const failed = (errorCode: number) => ({ errorCode, baseOffset: -1n });
    const batch = await buildRecordBatch({
      records: records.map((r) => ({ key: r.key, value: r.value })),
      ...(txn ? { transactional: true, producerId: txn.producerId, producerEpoch: txn.producerEpoch, baseSequence: -1 } : {}),
    });
    if (!this.produce) return failed(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    try {
      const res = await this.produce.request(
        { acks: -1, timeoutMs: APPEND_TIMEOUT_MS, partitions: [{ topic: OFFSETS_TOPIC, partition, records: batch }], traceContext: {} },
        { timeoutMs: APPEND_TIMEOUT_MS + 2_000 },
      );
      const p = res.partitions[0];
      if (!p) return failed(ErrorCode.UNKNOWN_SERVER_ERROR);
      return p.errorCode === ErrorCode.NONE ? { errorCode: ErrorCode.NONE, baseOffset: p.baseOffset } : failed(p.errorCode);
    } catch (err) {
      this.opts.logger.warn({ err, partition }, 'coordinator append failed');
      return failed(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
  }
}

function unary<Req, Res>(fn: (req: Req) => Res | Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    Promise.resolve()
      .then(() => fn(call.request))
      .then(
        (res) => callback(null, res),
        (err: unknown) => callback(grpcError(GrpcStatus.INTERNAL, `group coordinator failed: ${err instanceof Error ? err.message : String(err)}`)),
      );
  };
}
