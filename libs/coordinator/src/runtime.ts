import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { systemTimer, type CoordinatorTimer } from './timer';

/** One record of an internal topic: Kafka's key and value bytes; a null value is a tombstone. */
export interface CoordinatorRecord {
  key: Buffer;
  value: Buffer | null;
}

/** A record as a shard replays it: with its place in the log when the log knows it. */
export interface ReplayedRecord extends CoordinatorRecord {
  /** Its offset in the partition (absent when the log does not say). */
  offset?: bigint;
  /** The batch's producer id (-1 or absent for plain batches). */
  producerId?: bigint;
  /** Written in a transactional batch: pending until its transaction's marker. */
  transactional?: boolean;
}

/** The producer whose transaction an operation's records belong to (a coordinator-origin append). */
export interface TxnProducer {
  producerId: bigint;
  producerEpoch: number;
}

/** What an operation returns: the records to persist, and the answer once they are durable. */
export interface OperationResult<R> {
  records: CoordinatorRecord[];
  response: R;
  /**
   * False when the operation already changed the shard itself and its records are written only
   * to be replayed at the next load (Kafka's replayRecords=false, used by classic groups whose
   * membership lives in memory). Default true.
   */
  replay?: boolean;
  /** Append the records as one transactional batch of this producer. */
  txn?: TxnProducer;
}

/** What an append tells: a Kafka error code, and where the records went when it knows. */
export interface AppendOutcome {
  errorCode: number;
  /** Offset of the first record appended; records follow one offset apart. -1 when unknown. */
  baseOffset: bigint;
}

/** A failed append: `code` is the coordinator's answer, `appendCode` the log's own error. */
export class CoordinatorWriteError extends KafkaError {
  constructor(code: number, readonly appendCode: number, message: string) {
    super(code, message);
  }
}

/**
 * The state of one partition of an internal topic. It changes only in `replay`, called for
 * every record of the log at load and for every record an operation wrote once it is durable.
 */
export interface CoordinatorShard<E = CoordinatorRecord> {
  replay(record: E | ReplayedRecord): void;
  /** The log has been replayed and the shard serves operations. */
  onLoaded?(): void;
  /** The partition was unloaded (leadership moved, or shutdown): the shard is discarded. */
  onUnloaded?(): void;
}

/** What a shard gets from the runtime. */
export interface ShardContext {
  partition: number;
  /** The partition's leader epoch this shard was loaded in (Kafka's coordinator epoch). */
  epoch: number;
  /** Fake in tests. Timers scheduled through `schedule` are cancelled when the shard unloads. */
  timer: CoordinatorTimer;
  /** Runs `fn` after `delayMs` unless the shard unloads first; returns a cancel function. */
  schedule(delayMs: number, fn: () => void): () => void;
  /** True while this shard is still the loaded one (an unload or reload makes it false). */
  active(): boolean;
}

/** The internal topic as the runtime reads and writes it (the broker's own log and Produce path). */
export interface CoordinatorLog<E = CoordinatorRecord> {
  /** Every record of the partition, oldest first, up to its end when the read started. */
  read(partition: number, epoch: number): AsyncIterable<E>;
  /**
   * Appends the records as one batch with acks=all (transactional with `txn`). Appends to one
   * partition must reach the log in the order they are called. Resolves with the
   * Kafka error code of the append (NONE once the in-sync replicas have it), or with the outcome
   * and the offset of the first record.
   */
  append(partition: number, epoch: number, records: CoordinatorRecord[], txn?: TxnProducer): Promise<number | AppendOutcome>;
}

export interface CoordinatorRuntimeOptions<S extends CoordinatorShard<E>, E = CoordinatorRecord> {
  log: CoordinatorLog<E>;
  newShard(ctx: ShardContext): S;
  timer?: CoordinatorTimer;
  onError?(err: unknown, what: string): void;
}

interface Loaded<S, E> {
  epoch: number;
  /** Entries written to the partition by others (transaction markers) while it loads. */
  external: E[];
  state: 'loading' | 'active';
  shard: S;
  /**
   * When the next operation may start: after the previous one finished, or, for a pipelined
   * one, once its records were handed to the log.
   */
  queue: Promise<unknown>;
  /** Every write so far has finished (replayed or failed). */
  settled: Promise<unknown>;
  cancels: Set<() => void>;
  unloaded: boolean;
}

/**
 * Kafka's append errors as a coordinator answers them (TransactionStateManager /
 * CoordinatorRuntime): the partition moved -> NOT_COORDINATOR; not enough replicas or a timeout
 * -> COORDINATOR_NOT_AVAILABLE (retriable); anything else -> UNKNOWN_SERVER_ERROR.
 */
export function coordinatorAppendError(code: number): number {
  switch (code) {
    case ErrorCode.NONE:
      return ErrorCode.NONE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
    case ErrorCode.FENCED_LEADER_EPOCH:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
    case ErrorCode.COORDINATOR_NOT_AVAILABLE:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_COORDINATOR:
      return ErrorCode.NOT_COORDINATOR;
    default:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
  }
}

/**
 * Owns the partitions of an internal topic this broker leads (Kafka's coordinator runtime):
 * loads a partition by replaying its log into a fresh shard, runs operations against it one at
 * a time, persists their records (acks=all) and replays them only once durable, so the state in
 * memory is never ahead of the log; unloads on leadership loss, cancelling the shard's timers.
 * Operations on a partition that is not loaded throw KafkaError NOT_COORDINATOR (or
 * COORDINATOR_LOAD_IN_PROGRESS while it loads).
 */
export class CoordinatorRuntime<S extends CoordinatorShard<E>, E = CoordinatorRecord> {
  private readonly partitions = new Map<number, Loaded<S, E>>();
  readonly timer: CoordinatorTimer;

  constructor(private readonly opts: CoordinatorRuntimeOptions<S, E>) {
    this.timer = opts.timer ?? systemTimer;
  }

  isLoaded(partition: number, epoch?: number): boolean {
    const p = this.partitions.get(partition);
    return !!p && p.state === 'active' && (epoch === undefined || p.epoch === epoch);
  }

  /** Loaded or loading in `epoch`. */
  isLoadingOrLoaded(partition: number, epoch: number): boolean {
    return this.partitions.get(partition)?.epoch === epoch;
  }

  loadedPartitions(): number[] {
    return [...this.partitions.keys()];
  }

  epochOf(partition: number): number | undefined {
    return this.partitions.get(partition)?.epoch;
  }

  /**
   * Replays the partition's log (or `source`, when the caller reads it) into a new shard,
   * replacing any loaded in an older epoch. Rejects when the read fails; the partition is then
   * left unloaded.
   */
  async load(partition: number, epoch: number, source?: AsyncIterable<E>): Promise<void> {
    if (this.partitions.get(partition)?.epoch === epoch) return;
    this.unload(partition);
    const cancels = new Set<() => void>();
    const entry: Loaded<S, E> = {
      epoch, external: [], state: 'loading', shard: undefined as unknown as S, queue: Promise.resolve(), settled: Promise.resolve(), cancels, unloaded: false,
    };
    entry.shard = this.opts.newShard({
      partition,
      epoch,
      timer: this.timer,
      schedule: (delayMs, fn) => {
        if (entry.unloaded) return () => undefined;
        const cancel = this.timer.schedule(delayMs, () => {
          cancels.delete(cancel);
          if (!entry.unloaded) fn();
        });
        cancels.add(cancel);
        return () => {
          cancels.delete(cancel);
          cancel();
        };
      },
      active: () => !entry.unloaded && this.partitions.get(partition) === entry,
    });
    this.partitions.set(partition, entry);
    try {
      for await (const record of source ?? this.opts.log.read(partition, epoch)) {
        if (entry.unloaded) return;
        entry.shard.replay(record);
      }
    } catch (err) {
      if (this.partitions.get(partition) === entry) this.unload(partition);
      throw err;
    }
    if (entry.unloaded) return;
    for (const e of entry.external.splice(0)) entry.shard.replay(e);
    entry.state = 'active';
    try {
      entry.shard.onLoaded?.();
    } catch (err) {
      this.opts.onError?.(err, 'coordinator shard failed after loading');
    }
  }

  unload(partition: number): void {
    const entry = this.partitions.get(partition);
    if (!entry) return;
    this.partitions.delete(partition);
    entry.unloaded = true;
    for (const cancel of entry.cancels) cancel();
    entry.cancels.clear();
    try {
      entry.shard.onUnloaded?.();
    } catch (err) {
      this.opts.onError?.(err, 'coordinator shard failed while unloading');
    }
  }

  close(): void {
    for (const p of [...this.partitions.keys()]) this.unload(p);
  }

  /**
   * An entry another writer put in the partition's log (a transaction marker, once replicated):
   * replayed now, or after the load when the partition is loading. Ignored elsewhere: whoever
   * loads the partition replays it from the log.
   */
  replayExternal(partition: number, e: E): void {
    const entry = this.partitions.get(partition);
    if (!entry) return;
    if (entry.state === 'loading') entry.external.push(e);
    else entry.shard.replay(e);
  }

  /** Reads the loaded shard (no records, no queueing). */
  read<R>(partition: number, fn: (shard: S) => R): R {
    return fn(this.activeEntry(partition).shard);
  }

  /**
   * Runs `op` on the partition's shard after every earlier operation on it has finished,
   * appends its records and replays them once the append is durable, then returns its response.
   * A failed append changes nothing and throws CoordinatorWriteError with the coordinator's code.
   *
   * With `pipelined`, the next operation may start as soon as this one's records are handed to
   * the log, before they are durable (for operations that depend on no earlier record, such as
   * offset commits): appends stay in order, and records are still replayed only once durable and
   * in the order they were written. An operation that is not pipelined waits for every earlier
   * write to finish, so it sees all their records.
   */
  write<R>(
    partition: number,
    op: (shard: S) => OperationResult<R> | Promise<OperationResult<R>>,
    opts: { pipelined?: boolean } = {},
  ): Promise<R> {
    let entry: Loaded<S, E>;
    try {
      entry = this.activeEntry(partition);
    } catch (e) {
      return Promise.reject(e);
    }
    const pipelined = opts.pipelined === true;
    const earlier = entry.settled;
    const start = pipelined ? entry.queue : Promise.all([entry.queue, earlier]);
    let issued!: () => void;
    const handedOver = new Promise<void>((resolve) => (issued = resolve));
    const done = start.then(async () => {
      try {
        if (entry.unloaded) throw new KafkaError(ErrorCode.NOT_COORDINATOR, `This broker no longer coordinates partition ${partition}.`);
        const result = await op(entry.shard);
        if (result.records.length === 0) return result.response;
        const appending = this.append(partition, entry, result);
        issued();
        const outcome = await appending;
        // Records replay in the order they were written: after every earlier write finished.
        await earlier;
        const code = coordinatorAppendError(outcome.errorCode);
        if (code !== ErrorCode.NONE) {
          throw new CoordinatorWriteError(code, outcome.errorCode, `Could not persist coordinator records of partition ${partition}.`);
        }
        // Durable, but the partition may have moved meanwhile: the new owner replays it from the log.
        if (entry.unloaded) throw new KafkaError(ErrorCode.NOT_COORDINATOR, `This broker no longer coordinates partition ${partition}.`);
        if (result.replay !== false) {
          const producerId = result.txn?.producerId ?? -1n;
          result.records.forEach((r, i) => entry.shard.replay({
            ...r,
            ...(outcome.baseOffset >= 0n ? { offset: outcome.baseOffset + BigInt(i) } : {}),
            producerId,
            transactional: result.txn !== undefined,
          }));
        }
        return result.response;
      } finally {
        issued();
      }
    });
    const finished = done.catch(() => undefined);
    entry.queue = pipelined ? handedOver : finished;
    entry.settled = Promise.all([earlier, finished]);
    return done;
  }

  /** Hands the operation's records to the log (synchronously started); resolves with the outcome. */
  private async append(partition: number, entry: Loaded<S, E>, result: OperationResult<unknown>): Promise<AppendOutcome> {
    try {
      const appended = await this.opts.log.append(partition, entry.epoch, result.records, result.txn);
      return typeof appended === 'number' ? { errorCode: appended, baseOffset: -1n } : appended;
    } catch (err) {
      this.opts.onError?.(err, `append to partition ${partition} failed`);
      return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, baseOffset: -1n };
    }
  }

  private activeEntry(partition: number): Loaded<S, E> {
    const entry = this.partitions.get(partition);
    if (!entry) throw new KafkaError(ErrorCode.NOT_COORDINATOR, `This broker does not coordinate partition ${partition}.`);
    if (entry.state === 'loading') throw new KafkaError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, `Partition ${partition} is loading.`);
    return entry;
  }
}
