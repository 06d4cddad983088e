import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRecordBatch } from '@dms/kafka-codec';
import { ErrorCode } from '@dms/kafka-errors';
import { PartitionLog } from '@dms/log';
import type { Logger } from '@dms/platform';
import { LeaderState } from '@dms/replication';
import type { ReplicaFetchRequest } from '@dms/rpc';
import { PartitionReplica } from './partition-replica';
import { createReplicaFetchHandler } from './replica-fetch-handler';
import type { ReplicaManager } from './replica-manager';

const logger = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined } as unknown as Logger;

/** A leader replica (broker 1) of t-<partition> with followers 2 and 3, on a real log. */
async function leaderOf(dir: string, partition: number): Promise<PartitionReplica> {
  const log = await PartitionLog.open(join(dir, `t-${partition}`), {});
  const r = new PartitionReplica('t', partition, 'id', log, {}, 2);
  r.role = 'leader';
  r.leaderId = 1;
  r.leaderEpoch = 0;
  r.leader = new LeaderState({ leaderId: 1, leaderEpoch: 0, epochStartOffset: 0n, replicas: [1, 2, 3], isr: [1, 2, 3], partitionEpoch: 0, highWatermark: 0n, nowMs: Date.now() });
  await log.assignLeaderEpoch(0, 0n);
  return r;
}

async function produce(r: PartitionReplica, tag: string): Promise<void> {
  await r.log.append(await buildRecordBatch({ records: [{ key: tag, value: 'v', timestamp: 1_700_000_000_000n }] }), { leaderEpoch: 0 });
  r.onLocalAppend();
}

function fetchRequest(replicas: PartitionReplica[], maxWaitMs: number): ReplicaFetchRequest {
  return {
    correlationId: 1n,
    replicaId: 2,
    maxWaitMs,
    maxBytes: 10 << 20,
    partitions: replicas.map((r) => ({
      topic: r.topic,
      partition: r.partition,
      fetchOffset: r.log.logEndOffset,
      lastFetchedEpoch: 0,
      currentLeaderEpoch: 0,
      partitionMaxBytes: 1 << 20,
      logStartOffset: 0n,
    })),
  };
}

describe('replica fetch long poll', () => {
  let dir: string;
  let a: PartitionReplica;
  let b: PartitionReplica;
  let handle: ReturnType<typeof createReplicaFetchHandler>;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dms-replica-fetch-'));
    a = await leaderOf(dir, 0);
    b = await leaderOf(dir, 1);
    await produce(a, 'a0');
    await produce(b, 'b0');
    const byPartition = new Map([[0, a], [1, b]]);
    const replicas = { leaderNow: (_t: string, p: number) => byPartition.get(p) } as unknown as ReplicaManager;
    handle = createReplicaFetchHandler({ replicas, logger });
  });

  afterEach(async () => {
    await a.log.close();
    await b.log.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a parked fetch answers as soon as the leader appends, re-reading only the partition that grew', async () => {
    // Every read asks the in-memory tail first (readHeld), the disk (read) only when it must.
    const readsOfA = jest.spyOn(a.log, 'readHeld');
    const readsOfB = jest.spyOn(b.log, 'readHeld');
    const diskReads = [jest.spyOn(a.log, 'read'), jest.spyOn(b.log, 'read')];
    const started = Date.now();
    const answer = handle(fetchRequest([a, b], 30_000));
    await new Promise((r) => setTimeout(r, 20)); // parked: nothing new yet
    // Both followers' positions are at the end (an acknowledgement): answered without a read.
    expect(readsOfA).toHaveBeenCalledTimes(0);
    expect(readsOfB).toHaveBeenCalledTimes(0);
    await produce(a, 'a1');
    const res = await answer;
    expect(Date.now() - started).toBeLessThan(5_000); // woken by the append, not by maxWait
    const [pa, pb] = res.partitions;
    expect(pa!.errorCode).toBe(ErrorCode.NONE);
    expect(pa!.records.length).toBeGreaterThan(0);
    expect(pa!.records.readBigInt64BE(0)).toBe(1n);
    expect(pb!.records.length).toBe(0);
    expect(readsOfA).toHaveBeenCalledTimes(1); // only the partition that grew is read
    expect(readsOfB).toHaveBeenCalledTimes(0);
    for (const spy of diskReads) expect(spy).toHaveBeenCalledTimes(0); // the tail held what was just appended
  });

  it('the appends of one produce message go to a parked follower in one answer', async () => {
    const answer = handle(fetchRequest([a, b], 30_000));
    await new Promise((r) => setTimeout(r, 20)); // parked
    // Three appends made together, as the partitions of a coalesced produce message are: the
    // log writes them in one cycle and each completion emits 'append' in turn.
    const batches = await Promise.all(['a1', 'a2', 'b1'].map((tag) => buildRecordBatch({ records: [{ key: tag, value: 'v', timestamp: 1_700_000_000_000n }] })));
    const appendTo = (r: PartitionReplica, batch: Buffer) => r.log.append(batch, { leaderEpoch: 0 }).then(() => r.onLocalAppend());
    await Promise.all([appendTo(a, batches[0]!), appendTo(a, batches[1]!), appendTo(b, batches[2]!)]);
    const res = await answer;
    const [pa, pb] = res.partitions;
    expect(pa!.records.readBigInt64BE(0)).toBe(1n);
    expect(pa!.records.length).toBe(2 * batches[0]!.length); // offsets 1 and 2 together
    expect(pb!.records.length).toBe(batches[2]!.length);
  });

  it('the follower fetching at the new end advances the high watermark and completes the waiting produce', async () => {
    // Followers 2 and 3 are at the end: the high watermark is 1.
    await handle({ ...fetchRequest([a], 0), replicaId: 2 });
    await handle({ ...fetchRequest([a], 0), replicaId: 3 });
    expect(a.highWatermark).toBe(1n);
    await produce(a, 'a1');
    const acked = a.awaitReplication(2n, 30_000, true);
    let code: number | undefined;
    void acked.then((c) => (code = c));
    await handle({ ...fetchRequest([a], 0), replicaId: 2 });
    expect(code).toBeUndefined(); // one follower is not enough with an ISR of three
    await handle({ ...fetchRequest([a], 0), replicaId: 3 });
    await Promise.resolve();
    expect(code).toBe(ErrorCode.NONE);
    expect(a.highWatermark).toBe(2n);
  });

  it('without news it answers empty after maxWait, with the current high watermark', async () => {
    const res = await handle(fetchRequest([a, b], 30));
    expect(res.partitions.map((p) => [p.errorCode, p.records.length])).toEqual([
      [ErrorCode.NONE, 0],
      [ErrorCode.NONE, 0],
    ]);
    expect(res.partitions.map((p) => p.highWatermark)).toEqual([a.highWatermark, b.highWatermark]);
  });

  it('asks for an ISR expansion on the fetch of a follower outside the ISR only; shrinking is left to the periodic check', async () => {
    const checked: number[] = [];
    const byPartition = new Map([[0, a]]);
    const withIsr = createReplicaFetchHandler({
      replicas: { leaderNow: (_t: string, p: number) => byPartition.get(p) } as unknown as ReplicaManager,
      logger,
      isrUpdater: { check: () => void checked.push(a.leader!.isr.length) },
    });
    await withIsr({ ...fetchRequest([a], 0), replicaId: 2 });
    expect(checked).toEqual([]); // in the ISR: nothing to add
    a.leader!.applyCommitted([1, 3], 1);
    await withIsr({ ...fetchRequest([a], 0), replicaId: 2 });
    expect(checked).toEqual([2]); // out of the ISR and caught up: the updater decides
    await withIsr({ ...fetchRequest([a], 0), replicaId: 3 });
    expect(checked).toEqual([2]);
  });

  describe('a fetch that reaches the leader before its role', () => {
    let c: PartitionReplica;
    let byPartition: Map<number, PartitionReplica>;
    let roles: EventEmitter;
    let early: ReturnType<typeof createReplicaFetchHandler>;

    beforeEach(async () => {
      c = await leaderOf(dir, 2);
      await produce(c, 'c0');
      byPartition = new Map();
      roles = new EventEmitter();
      const replicas = Object.assign(roles, { leaderNow: (_t: string, p: number) => byPartition.get(p) }) as unknown as ReplicaManager;
      early = createReplicaFetchHandler({ replicas, logger });
    });

    afterEach(async () => {
      await c.log.close();
    });

    const settledWithin = async <T>(p: Promise<T>, ms: number): Promise<boolean> => {
      let settled = false;
      void p.then(() => (settled = true));
      await new Promise((r) => setTimeout(r, ms));
      return settled;
    };

    it('waits for the partition to open here instead of answering NOT_LEADER_OR_FOLLOWER, and records the position then', async () => {
      const positions = jest.spyOn(c, 'onFollowerFetch');
      const answer = early({ ...fetchRequest([c], 30_000), partitions: [{ ...fetchRequest([c], 0).partitions[0]!, fetchOffset: 0n }] });
      expect(await settledWithin(answer, 30)).toBe(false);
      byPartition.set(2, c);
      roles.emit('roles');
      const res = await answer;
      expect(res.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
      expect(res.partitions[0]!.records.readBigInt64BE(0)).toBe(0n);
      expect(positions).toHaveBeenCalledWith(2, 0n, expect.any(Number));
    });

    it('waits for a newer leader epoch the follower already knows', async () => {
      byPartition.set(2, c);
      const req = fetchRequest([c], 30_000);
      const answer = early({ ...req, partitions: [{ ...req.partitions[0]!, fetchOffset: 0n, currentLeaderEpoch: 1 }] });
      expect(await settledWithin(answer, 30)).toBe(false);
      c.leaderEpoch = 1;
      roles.emit('roles');
      const res = await answer;
      expect(res.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
      expect(res.partitions[0]!.records.length).toBeGreaterThan(0);
    });

    it('answers the error at maxWait when the role never comes, and a stale epoch at once', async () => {
      const started = Date.now();
      const res = await early(fetchRequest([c], 60));
      expect(res.partitions[0]!.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      expect(Date.now() - started).toBeGreaterThanOrEqual(55);
      byPartition.set(2, c);
      c.leaderEpoch = 2;
      const stale = await early(fetchRequest([c], 30_000)); // asks at epoch 0: fenced, no wait
      expect(stale.partitions[0]!.errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    });
  });
});
