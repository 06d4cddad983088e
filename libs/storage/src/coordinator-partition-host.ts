import type { ClusterView } from '@dms/cluster';
import type { AppendOutcome, CoordinatorLog, CoordinatorRecord, TxnProducer } from '@dms/coordinator';
import { buildRecordBatch } from '@dms/kafka-codec';
import { ErrorCode } from '@dms/kafka-errors';
import type { PartitionLog } from '@dms/log';
import type { Logger } from '@dms/platform';
import { StorageServiceClient, StreamMux, createClient, type ProduceRequest, type ProduceResponse } from '@dms/rpc';
import { readCoordinatorRecords } from './coordinator-log-reader';
import type { ReplicaManager } from './replica-manager';

/** What the host drives: a CoordinatorRuntime, or anything loading partitions the same way. */
export interface HostedPartitions {
  load(partition: number, epoch: number): Promise<void>;
  unload(partition: number): void;
  loadedPartitions(): number[];
  isLoadingOrLoaded(partition: number, epoch: number): boolean;
}

export interface CoordinatorPartitionHostOptions<E> {
  /** The internal topic (__transaction_state, __consumer_offsets). */
  topic: string;
  /** What a load replays of the partition's log (default: its keyed records). */
  readLog?: (log: PartitionLog) => AsyncIterable<E>;
  brokerId: number;
  /** host:port of this broker's own gRPC server (known once bound): appends take the produce path. */
  selfAddress: () => string;
  logger: Logger;
}

const APPEND_TIMEOUT_MS = 10_000;
const REPLICA_WAIT_MS = 30_000;
const LOAD_RETRY_MS = 1_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Hosts the coordinator partitions of one internal topic on a storage broker: loads every
 * partition this broker leads (in its current leader epoch) by replaying its log, unloads those
 * it no longer leads, and appends coordinator records through the broker's own Produce path with
 * acks=all, so they are replicated and fenced exactly as client data is. The log it gives the
 * runtime is `log`.
 */
export class CoordinatorPartitionHost<E = CoordinatorRecord> {
  readonly log: CoordinatorLog<E>;
  private runtime: HostedPartitions | undefined;
  private storage: StorageServiceClient | undefined;
  private produce: StreamMux<ProduceRequest, ProduceResponse> | undefined;
  private topicId: string | undefined;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Per partition: the last append handed to the Produce stream (appends go out in call order). */
  private readonly sending = new Map<number, Promise<unknown>>();
  private readonly onChange = () => this.reconcile();

  constructor(
    private readonly view: ClusterView,
    private readonly replicas: ReplicaManager,
    private readonly opts: CoordinatorPartitionHostOptions<E>,
  ) {
    this.log = {
      read: (partition, epoch) => this.readPartition(partition, epoch),
      append: (partition, _epoch, records, txn) => this.append(partition, records, txn),
    };
  }

  /** Call once the broker's gRPC server is bound. */
  start(runtime: HostedPartitions): void {
    this.runtime = runtime;
    const storage = createClient(StorageServiceClient, this.opts.selfAddress());
    this.storage = storage;
    this.produce = new StreamMux<ProduceRequest, ProduceResponse>(() => storage.produce(), { name: `${this.opts.topic} append` });
    this.view.on('change', this.onChange);
    this.reconcile();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.view.off('change', this.onChange);
    this.produce?.close();
    this.storage?.close();
  }

  /** The partition count of the topic (0 while it does not exist). */
  numPartitions(): number {
    return this.view.topic(this.opts.topic)?.partitions ?? 0;
  }

  /** Loads partitions this broker newly leads (or leads in a new epoch); drops the others. */
  private reconcile(): void {
    const runtime = this.runtime;
    if (this.closed || !runtime) return;
    const { topic } = this.opts;
    const record = this.view.topic(topic);
    if (record?.topicId !== this.topicId) {
      for (const p of runtime.loadedPartitions()) runtime.unload(p);
      this.topicId = record?.topicId;
    }
    const states = record ? this.view.partitions(topic) : new Map();
    for (const p of runtime.loadedPartitions()) {
      if (states.get(p)?.leader !== this.opts.brokerId) {
        runtime.unload(p);
        this.opts.logger.info({ topic, partition: p }, 'no longer coordinator for partition');
      }
    }
    for (const [p, s] of states) {
      if (s.leader !== this.opts.brokerId || runtime.isLoadingOrLoaded(p, s.leaderEpoch)) continue;
      void this.load(runtime, p, s.leaderEpoch);
    }
  }

  private async load(runtime: HostedPartitions, partition: number, epoch: number): Promise<void> {
    const started = Date.now();
    try {
      await runtime.load(partition, epoch);
      this.opts.logger.info({ topic: this.opts.topic, partition, epoch, ms: Date.now() - started }, 'loaded coordinator partition');
    } catch (err) {
      if (!this.stillLeader(partition, epoch)) return;
      this.opts.logger.warn({ err, topic: this.opts.topic, partition, epoch }, 'could not load coordinator partition; retrying');
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.reconcile(), LOAD_RETRY_MS);
    }
  }

  private stillLeader(partition: number, epoch: number): boolean {
    const s = this.view.partitions(this.opts.topic).get(partition);
    return !this.closed && s?.leader === this.opts.brokerId && s.leaderEpoch === epoch;
  }

  /** Every record of the partition's log, oldest first, up to its end when the read started. */
  private async *readPartition(partition: number, epoch: number): AsyncIterable<E> {
    const { topic } = this.opts;
    const deadline = Date.now() + REPLICA_WAIT_MS;
    let replica = this.replicas.getNow(topic, partition);
    while (!replica) {
      // Never finish a load without the log: an empty shard would answer as if it held nothing.
      if (!this.stillLeader(partition, epoch)) throw new Error(`no longer the leader of ${topic}-${partition} in epoch ${epoch}`);
      if (Date.now() > deadline) throw new Error(`log of ${topic}-${partition} did not open`);
      await this.replicas.idle();
      replica = (await this.replicas.get(topic, partition)) ?? undefined;
      if (!replica) await sleep(100);
    }
    const read = this.opts.readLog ?? (readCoordinatorRecords as unknown as (log: PartitionLog) => AsyncIterable<E>);
    yield* read(replica.log);
  }

  /**
   * One batch through the broker's own Produce path, acks=all. With `txn` it goes as a
   * transactional batch of the client's producer with no sequence (Kafka's coordinator-origin
   * append), so the partition tracks the transaction and its marker resolves it.
   */
  private async append(partition: number, records: CoordinatorRecord[], txn?: TxnProducer): Promise<AppendOutcome> {
    const failed = (errorCode: number) => ({ errorCode, baseOffset: -1n });
    const produce = this.produce;
    if (!produce) return failed(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    // Batches are built in turn and sent in the order appends were called, so the log holds the
    // records in the order the coordinator replays them; the next append waits until this one's
    // request is on the stream, not for its answer.
    const previous = this.sending.get(partition) ?? Promise.resolve();
    let requested!: () => void;
    this.sending.set(partition, new Promise<void>((resolve) => (requested = resolve)));
    const sent = previous
      .then(() => buildRecordBatch({
        records: records.map((r) => ({ key: r.key, value: r.value })),
        ...(txn ? { transactional: true, producerId: txn.producerId, producerEpoch: txn.producerEpoch, baseSequence: -1 } : {}),
      }))
      .then(
        (batch) => {
          try {
            return produce.request(
              { acks: -1, timeoutMs: APPEND_TIMEOUT_MS, partitions: [{ topic: this.opts.topic, partition, records: batch }], traceContext: {} },
              { timeoutMs: APPEND_TIMEOUT_MS + 2_000 },
            );
          } finally {
            requested();
          }
        },
        (err: unknown) => {
          requested();
          throw err;
        },
      );
    try {
      const res = await sent;
      const p = res.partitions[0];
      if (!p) return failed(ErrorCode.UNKNOWN_SERVER_ERROR);
      return p.errorCode === ErrorCode.NONE ? { errorCode: ErrorCode.NONE, baseOffset: p.baseOffset } : failed(p.errorCode);
    } catch (err) {
      this.opts.logger.warn({ err, topic: this.opts.topic, partition }, 'coordinator append failed');
      return failed(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
  }
}
