import { FakeTimer, type CoordinatorRecord } from '@dms/coordinator';
import { ErrorCode } from '@dms/kafka-errors';
import { MemoryLog } from '../../../testing/memory-log';
import { SharePartition } from '../share-partition';
import { AcknowledgeType, RecordState } from '../share-state';
import { ShareCoordinator } from './share-coordinator';
import { decodeShareRecord } from './share-state-records';

const N = 3;
const key = { groupId: 'sg', topicId: '0f0e0d0c-0b0a-0908-0706-050403020100', partition: 2 };

async function setup(mem = new MemoryLog(), updatesPerSnapshot = 3) {
  const c = new ShareCoordinator({
    log: { read: (p) => mem.read(p) as AsyncIterable<CoordinatorRecord>, append: (p, _e, records) => mem.append(p, records) },
    numPartitions: () => N,
    updatesPerSnapshot,
    timer: new FakeTimer(),
  });
  for (let p = 0; p < N; p++) await c.runtime.load(p, 0);
  return { c, mem };
}

describe('ShareCoordinator (__share_group_state on the coordinator runtime)', () => {
  it('reads an unknown share partition as uninitialized, then what was initialized and written', async () => {
    const { c } = await setup();
    expect(c.read(key, 0)).toMatchObject({ errorCode: ErrorCode.NONE, startOffset: -1n });
    expect(await c.initialize(key, 1, 5n)).toEqual({ errorCode: ErrorCode.NONE, errorMessage: null });
    await c.write({ key, leaderEpoch: 0, stateEpoch: 1, startOffset: -1n, stateBatches: [{ firstOffset: 5n, lastOffset: 6n, deliveryState: RecordState.ACQUIRED, deliveryCount: 1 }] });
    await c.write({ key, leaderEpoch: 0, stateEpoch: 1, startOffset: 6n, stateBatches: [{ firstOffset: 6n, lastOffset: 6n, deliveryState: RecordState.AVAILABLE, deliveryCount: 1 }] });
    expect(c.read(key, 0)).toMatchObject({
      errorCode: ErrorCode.NONE, stateEpoch: 1, startOffset: 6n,
      stateBatches: [{ firstOffset: 6n, lastOffset: 6n, deliveryState: RecordState.AVAILABLE, deliveryCount: 1 }],
    });
  });

  it('fences writes and reads of an older leader epoch', async () => {
    const { c } = await setup();
    await c.initialize(key, 1, 0n);
    await c.write({ key, leaderEpoch: 4, stateEpoch: 1, startOffset: -1n, stateBatches: [] });
    expect((await c.write({ key, leaderEpoch: 3, stateEpoch: 1, startOffset: -1n, stateBatches: [] })).errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect(c.read(key, 3).errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect((await c.write({ key, leaderEpoch: 4, stateEpoch: 0, startOffset: -1n, stateBatches: [] })).errorCode).toBe(ErrorCode.FENCED_STATE_EPOCH);
  });

  it('a coordinator failover rebuilds the same state from snapshots and updates; deletion tombstones it', async () => {
    const { c, mem } = await setup();
    const sp = new SharePartition({ startOffset: 0n, stateBatches: [] }, { recordLockDurationMs: 1000, deliveryCountLimit: 3, maxRecordLocks: 100 }, () => 0);
    await c.initialize(key, 1, 0n);
    const persist = (ch: { startOffset: bigint; stateBatches: any[] }) => c.write({ key, leaderEpoch: 0, stateEpoch: 1, ...ch });
    await persist(sp.acquire({ memberId: 'm', fetchableEnd: 10n, maxRecords: 10 }).change);
    await persist(sp.acknowledge('m', [{ firstOffset: 0n, lastOffset: 2n, acknowledgeTypes: [AcknowledgeType.ACCEPT] }]));
    await persist(sp.acknowledge('m', [{ firstOffset: 5n, lastOffset: 5n, acknowledgeTypes: [AcknowledgeType.REJECT] }]));
    await persist(sp.acknowledge('m', [{ firstOffset: 6n, lastOffset: 9n, acknowledgeTypes: [AcknowledgeType.RELEASE] }]));
    const p = c.partitionOf(key);
    const types = (await collect(mem.read(p))).map((r: any) => decodeShareRecord(r.key, r.value)!.type);
    expect(types).toEqual([0, 1, 1, 0, 1]); // a snapshot every 3 updates
    const again = await setup(mem);
    const r = again.c.read(key, 0);
    expect({ startOffset: r.startOffset, stateBatches: r.stateBatches }).toEqual(sp.snapshot());
    await again.c.delete(key);
    const third = await setup(mem);
    expect(third.c.read(key, 0).startOffset).toBe(-1n);
  });

  it('answers NOT_COORDINATOR for a partition it does not lead', async () => {
    const { c } = await setup();
    c.runtime.unload(c.partitionOf(key));
    expect(c.read(key, 0).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect((await c.initialize(key, 1, 0n)).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
  });
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
