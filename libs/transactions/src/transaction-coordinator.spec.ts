import { FakeTimer, settle, type CoordinatorLog, type CoordinatorRecord } from '@dms/coordinator';
import { groupPartition } from '@dms/groups';
import { ErrorCode } from '@dms/kafka-errors';
import { TransactionCoordinator, type TxnMarker } from './transaction-coordinator';
import type { TopicPartition } from './transaction-shard';
import { decodeTransactionLogValue, encodeTransactionLogKey, encodeTransactionLogValue, TxnState } from './records';

const PARTITIONS = 4;

class MemoryLog implements CoordinatorLog {
  readonly records = new Map<number, CoordinatorRecord[]>();
  async *read(partition: number): AsyncIterable<CoordinatorRecord> {
    for (const r of this.records.get(partition) ?? []) yield r;
  }
  async append(partition: number, _epoch: number, records: CoordinatorRecord[]): Promise<number> {
    this.records.set(partition, [...(this.records.get(partition) ?? []), ...records]);
    return ErrorCode.NONE;
  }
}

/** Records every marker; `failing` partitions answer `failWith` until cleared. */
class Markers {
  readonly written: Array<TxnMarker & TopicPartition> = [];
  failing = new Set<string>();
  failWith: number = ErrorCode.NOT_LEADER_OR_FOLLOWER;
  calls = 0;
  async write(marker: TxnMarker, partitions: TopicPartition[]) {
    this.calls++;
    return partitions.map((tp) => {
      if (this.failing.has(`${tp.topic}-${tp.partition}`)) return { ...tp, errorCode: this.failWith };
      this.written.push({ ...marker, ...tp });
      return { ...tp, errorCode: ErrorCode.NONE };
    });
  }
}

function setup(log = new MemoryLog(), timer = new FakeTimer(), markers = new Markers(), abortCheckMs = 1_000) {
  let nextId = 1000n;
  const coordinator = new TransactionCoordinator({
    log,
    timer,
    markers,
    numPartitions: () => PARTITIONS,
    offsetsPartitions: () => 50,
    newProducerId: async () => nextId++,
    config: { transactionMaxTimeoutMs: 60_000, transactionalIdExpirationMs: 3_600_000, abortTimedOutTransactionCleanupIntervalMs: abortCheckMs, removeExpiredTransactionalIdCleanupIntervalMs: 60_000 },
  });
  return { coordinator, log, timer, markers };
}

async function loadAll(c: TransactionCoordinator, epoch = 1): Promise<void> {
  for (let p = 0; p < PARTITIONS; p++) await c.runtime.load(p, epoch);
}

const init = (c: TransactionCoordinator, transactionalId: string, extra: Partial<{ producerId: bigint; producerEpoch: number; transactionTimeoutMs: number }> = {}) =>
  c.initProducerId({ transactionalId, transactionTimeoutMs: 30_000, producerId: -1n, producerEpoch: -1, ...extra });

const state = (c: TransactionCoordinator, id: string) => c.describe([id])[0];

describe('TransactionCoordinator (fake time)', () => {
  it('hands out a producer id, bumps the epoch for a new producer and fences the old one', async () => {
    const { coordinator: c } = setup();
    await loadAll(c);
    const first = await init(c, 'tx');
    expect(first).toEqual({ errorCode: ErrorCode.NONE, producerId: 1000n, producerEpoch: 0 });
    const second = await init(c, 'tx');
    expect(second).toEqual({ errorCode: ErrorCode.NONE, producerId: 1000n, producerEpoch: 1 });
    expect(await c.addPartitions('tx', 1000n, 0, [{ topic: 't', partition: 0 }])).toBe(ErrorCode.PRODUCER_FENCED);
    expect(await c.addPartitions('tx', 999n, 1, [{ topic: 't', partition: 0 }])).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    expect(await c.endTxn('tx', 1000n, 0, true)).toBe(ErrorCode.PRODUCER_FENCED);
    expect(await c.endTxn('other', 1000n, 1, true)).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    expect((await init(c, 'tx2', { transactionTimeoutMs: 60_001 })).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    expect((await init(c, 'tx2', { transactionTimeoutMs: 0 })).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
  });

  it('commits: Ongoing, PrepareCommit answered, markers on every partition, then CompleteCommit; retries answer as Kafka', async () => {
    const { coordinator: c, markers } = setup();
    await loadAll(c);
    const { producerId, producerEpoch } = await init(c, 'tx');
    expect(await c.endTxn('tx', producerId, producerEpoch, true)).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(await c.addPartitions('tx', producerId, producerEpoch, [{ topic: 'a', partition: 0 }, { topic: 'a', partition: 1 }])).toBe(ErrorCode.NONE);
    expect(await c.addOffsets('tx', producerId, producerEpoch, 'group-1')).toBe(ErrorCode.NONE);
    expect(state(c, 'tx')).toMatchObject({
      state: 'Ongoing',
      topics: [{ topic: '__consumer_offsets', partitions: [groupPartition('group-1', 50)] }, { topic: 'a', partitions: [0, 1] }],
    });
    expect(await c.verifyPartitions('tx', producerId, producerEpoch, [{ topic: 'a', partition: 1 }, { topic: 'b', partition: 0 }])).toEqual([
      ErrorCode.NONE,
      ErrorCode.INVALID_TXN_STATE,
    ]);
    expect(c.stats().ongoing).toBe(1);
    markers.failing.add('a-1');
    expect(await c.endTxn('tx', producerId, producerEpoch, true)).toBe(ErrorCode.NONE);
    await settle();
    expect(state(c, 'tx').state).toBe('PrepareCommit');
    expect(await c.addPartitions('tx', producerId, producerEpoch, [{ topic: 'a', partition: 2 }])).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect(await c.endTxn('tx', producerId, producerEpoch, true)).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect(await c.endTxn('tx', producerId, producerEpoch, false)).toBe(ErrorCode.INVALID_TXN_STATE);
    // The leader of a-1 is moving: markers are retried with backoff until it takes them.
    markers.failing.clear();
    await (c.timer as FakeTimer).advance(1_000);
    expect(state(c, 'tx')).toMatchObject({ state: 'CompleteCommit', topics: [] });
    expect(markers.written.map((m) => `${m.topic}-${m.partition}:${m.committed}:${m.producerEpoch}:${m.coordinatorEpoch}`).sort()).toEqual([
      `__consumer_offsets-${groupPartition('group-1', 50)}:true:0:1`,
      'a-0:true:0:1',
      'a-1:true:0:1',
    ]);
    expect(await c.endTxn('tx', producerId, producerEpoch, true)).toBe(ErrorCode.NONE);
    expect(await c.endTxn('tx', producerId, producerEpoch, false)).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(c.stats()).toEqual({ ongoing: 0, committed: 1, aborted: 0 });
  });

  it('a new producer while a transaction runs: the transaction is aborted under a bumped epoch, then the producer gets the next one', async () => {
    const { coordinator: c, markers, timer } = setup();
    await loadAll(c);
    const old = await init(c, 'tx');
    await c.addPartitions('tx', old.producerId, old.producerEpoch, [{ topic: 'a', partition: 0 }]);
    expect((await init(c, 'tx')).errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    await timer.advance(0);
    expect(markers.written).toEqual([expect.objectContaining({ topic: 'a', partition: 0, committed: false, producerEpoch: 1 })]);
    expect(state(c, 'tx').state).toBe('CompleteAbort');
    expect(await init(c, 'tx')).toEqual({ errorCode: ErrorCode.NONE, producerId: old.producerId, producerEpoch: 2 });
    expect(await c.endTxn('tx', old.producerId, old.producerEpoch, true)).toBe(ErrorCode.PRODUCER_FENCED);
    expect(c.stats().aborted).toBe(1);
  });

  it('aborts a transaction left open past its timeout, fencing its producer', async () => {
    const { coordinator: c, markers, timer } = setup();
    await loadAll(c);
    const p = await init(c, 'slow', { transactionTimeoutMs: 5_000 });
    await c.addPartitions('slow', p.producerId, p.producerEpoch, [{ topic: 'a', partition: 3 }]);
    await timer.advance(4_000);
    expect(state(c, 'slow').state).toBe('Ongoing');
    await timer.advance(2_000);
    expect(state(c, 'slow')).toMatchObject({ state: 'CompleteAbort', producerEpoch: 1 });
    expect(markers.written).toEqual([expect.objectContaining({ topic: 'a', partition: 3, committed: false, producerEpoch: 1 })]);
    expect(await c.endTxn('slow', p.producerId, p.producerEpoch, true)).toBe(ErrorCode.PRODUCER_FENCED);
  });

  it('KIP-360: a producer recovering with its own id and epoch gets a bump; a retry of that bump gets the same epoch; others are fenced', async () => {
    const { coordinator: c } = setup();
    await loadAll(c);
    const p = await init(c, 'tx');
    await init(c, 'tx', { producerId: p.producerId, producerEpoch: 0 });
    expect(state(c, 'tx').producerEpoch).toBe(1);
    expect(await init(c, 'tx', { producerId: p.producerId, producerEpoch: 0 })).toEqual({ errorCode: ErrorCode.NONE, producerId: p.producerId, producerEpoch: 1 });
    expect((await init(c, 'tx', { producerId: 77n, producerEpoch: 4 })).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    expect((await init(c, 'tx', { producerId: p.producerId, producerEpoch: 9 })).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
  });

  it('a new coordinator loading a transaction left in PrepareCommit writes its markers and completes it', async () => {
    const log = new MemoryLog();
    const first = setup(log);
    await loadAll(first.coordinator);
    const p = await init(first.coordinator, 'tx');
    await first.coordinator.addPartitions('tx', p.producerId, p.producerEpoch, [{ topic: 'a', partition: 0 }]);
    first.markers.failing.add('a-0');
    expect(await first.coordinator.endTxn('tx', p.producerId, p.producerEpoch, true)).toBe(ErrorCode.NONE);
    // The coordinator dies before any marker is written.
    first.coordinator.close();
    expect(first.markers.written).toEqual([]);

    const second = setup(log);
    await loadAll(second.coordinator, 2);
    await settle();
    expect(second.markers.written).toEqual([expect.objectContaining({ topic: 'a', partition: 0, committed: true, coordinatorEpoch: 2 })]);
    expect(state(second.coordinator, 'tx').state).toBe('CompleteCommit');
    expect(await init(second.coordinator, 'tx')).toMatchObject({ producerId: p.producerId, producerEpoch: 1 });
  });

  it('stops completing when the partition leaders report a newer coordinator (TRANSACTION_COORDINATOR_FENCED)', async () => {
    const { coordinator: c, markers, timer } = setup();
    await loadAll(c);
    const p = await init(c, 'tx');
    await c.addPartitions('tx', p.producerId, p.producerEpoch, [{ topic: 'a', partition: 0 }]);
    markers.failing.add('a-0');
    markers.failWith = ErrorCode.TRANSACTION_COORDINATOR_FENCED;
    expect(await c.endTxn('tx', p.producerId, p.producerEpoch, false)).toBe(ErrorCode.NONE);
    await timer.advance(30_000);
    expect(markers.calls).toBe(1);
    expect(state(c, 'tx').state).toBe('PrepareAbort');
  });

  it('an exhausted epoch moves the transactional id to a new producer id; a retry of that call gets the same answer (KIP-360)', async () => {
    const log = new MemoryLog();
    const { coordinator: c } = setup(log);
    const partition = c.partitionFor('old');
    log.records.set(partition, [{
      key: encodeTransactionLogKey('old'),
      value: encodeTransactionLogValue({
        producerId: 7n, previousProducerId: -1n, nextProducerId: -1n, producerEpoch: 32766, transactionTimeoutMs: 30_000, state: TxnState.CompleteCommit,
        partitions: [], lastUpdateTimestampMs: 1, startTimestampMs: 1, clientTransactionVersion: 0,
      }),
    }]);
    await loadAll(c);
    const rotated = await init(c, 'old', { producerId: 7n, producerEpoch: 32766 });
    expect(rotated).toEqual({ errorCode: ErrorCode.NONE, producerId: 1000n, producerEpoch: 0 });
    // The rotation is persisted with the previous id (value v1's tagged field).
    expect(decodeTransactionLogValue(log.records.get(partition)!.at(-1)!.value!)).toMatchObject({ producerId: 1000n, previousProducerId: 7n, producerEpoch: 0 });
    expect(await init(c, 'old', { producerId: 7n, producerEpoch: 32766 })).toEqual({ errorCode: ErrorCode.NONE, producerId: 1000n, producerEpoch: 0 });
    expect((await init(c, 'old', { producerId: 7n, producerEpoch: 5 })).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
  });

  it('skips a record it cannot read and loads the rest of the partition', async () => {
    const log = new MemoryLog();
    const errors: string[] = [];
    let nextId = 1n;
    const c = new TransactionCoordinator({
      log, timer: new FakeTimer(), markers: new Markers(), numPartitions: () => PARTITIONS, offsetsPartitions: () => 50,
      newProducerId: async () => nextId++, onError: (_e, what) => errors.push(what),
    });
    const p = c.partitionFor('ok');
    log.records.set(p, [
      { key: encodeTransactionLogKey('bad'), value: Buffer.from('0009', 'hex') },
      { key: encodeTransactionLogKey('ok'), value: encodeTransactionLogValue({
        producerId: 5n, previousProducerId: -1n, nextProducerId: -1n, producerEpoch: 2, transactionTimeoutMs: 1000, state: TxnState.Empty,
        partitions: [], lastUpdateTimestampMs: 1, startTimestampMs: -1, clientTransactionVersion: 0,
      }) },
    ]);
    await loadAll(c);
    expect(state(c, 'ok')).toMatchObject({ errorCode: 0, producerId: 5n, producerEpoch: 2 });
    expect(errors).toEqual([`skipped an unreadable record of __transaction_state partition ${p}`]);
  });

  it('forgets idle transactional ids after transactional.id.expiration.ms; answers NOT_COORDINATOR for partitions it does not own', async () => {
    const { coordinator: c, timer, log } = setup(undefined, undefined, undefined, 600_000);
    await loadAll(c);
    await init(c, 'idle');
    await timer.advance(3_600_000 + 60_000);
    expect(state(c, 'idle').errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    const partition = c.partitionFor('idle');
    expect(log.records.get(partition)!.at(-1)!.value).toBeNull();
    c.runtime.unload(partition);
    expect((await init(c, 'idle')).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(state(c, 'idle').errorCode).toBe(ErrorCode.NOT_COORDINATOR);
  });

  it('lists transactions by state, producer id and duration', async () => {
    const { coordinator: c, timer } = setup();
    await loadAll(c);
    const a = await init(c, 'a');
    const b = await init(c, 'b');
    await c.addPartitions('a', a.producerId, a.producerEpoch, [{ topic: 't', partition: 0 }]);
    await timer.advance(2_000);
    const ids = (f: Partial<{ states: string[]; producerIds: bigint[]; minDurationMs: number }>) =>
      c.list({ states: [], producerIds: [], minDurationMs: -1, ...f }).map((t) => t.transactionalId).sort();
    expect(ids({})).toEqual(['a', 'b']);
    expect(ids({ states: ['Ongoing'] })).toEqual(['a']);
    expect(ids({ producerIds: [b.producerId] })).toEqual(['b']);
    expect(ids({ states: ['Ongoing'], minDurationMs: 1_000 })).toEqual(['a']);
    expect(ids({ states: ['Ongoing'], minDurationMs: 5_000 })).toEqual([]);
  });
});
