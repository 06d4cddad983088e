import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRecordBatch } from '@dms/kafka-codec';
import { ErrorCode } from '@dms/kafka-errors';
import { applyStateChange, defaultShareConfig, RecordState, type SharePartitionSnapshot, type SharePartitionKey, type StateBatch } from '@dms/groups';
import { PartitionLog } from '@dms/log';
import type { Logger } from '@dms/platform';
import { PartitionReplica } from '../partition-replica';
import { SharePartitionManager, type ShareStatePersister } from './share-partition-manager';

const logger = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined } as unknown as Logger;
const ref = { groupId: 'g', topic: 't', topicId: '00000000-0000-0000-0000-000000000001', partition: 0 };

/** The share coordinator as the manager sees it, in memory: counts writes, can fail the next one. */
class MemoryPersister implements ShareStatePersister {
  state: SharePartitionSnapshot | undefined;
  stateEpoch = 0;
  writes = 0;
  failNext = 0;

  async read() {
    return this.state
      ? { errorCode: 0, errorMessage: null, stateEpoch: this.stateEpoch, leaderEpoch: 0, startOffset: this.state.startOffset, stateBatches: this.state.stateBatches }
      : { errorCode: 0, errorMessage: null, stateEpoch: 0, leaderEpoch: -1, startOffset: -1n, stateBatches: [] };
  }

  async initialize(_key: SharePartitionKey, stateEpoch: number, startOffset: bigint) {
    this.state = { startOffset, stateBatches: [] };
    this.stateEpoch = stateEpoch;
    return 0;
  }

  async write(_key: SharePartitionKey, _leaderEpoch: number, _stateEpoch: number, startOffset: bigint, stateBatches: StateBatch[]) {
    if (this.failNext) {
      const code = this.failNext;
      this.failNext = 0;
      return code;
    }
    this.writes++;
    this.state = applyStateChange(this.state!, { startOffset, stateBatches });
    return 0;
  }

  async delete() {
    this.state = undefined;
    return 0;
  }
}

let dir: string;
let replica: PartitionReplica;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'share-pm-'));
  const log = await PartitionLog.open(join(dir, 't-0'), {});
  replica = new PartitionReplica('t', 0, ref.topicId, log, {}, 1);
  replica.role = 'leader';
  replica.leaderEpoch = 0;
  await log.assignLeaderEpoch(0, 0n);
  for (let i = 0; i < 2; i++) {
    await log.append(await buildRecordBatch({ records: [{ value: `a${i}` }, { value: `b${i}` }, { value: `c${i}` }] }), { leaderEpoch: 0 });
  }
  log.highWatermark = log.logEndOffset;
});

afterEach(async () => {
  await replica.log.close();
  await rm(dir, { recursive: true, force: true });
});

function manager(persister: ShareStatePersister, autoOffsetReset: 'earliest' | 'latest' = 'earliest') {
  return new SharePartitionManager({
    replicas: { get: async () => replica, leaderNow: () => replica },
    persister,
    config: { ...defaultShareConfig, autoOffsetReset, deliveryCountLimit: 3 },
    logger,
  });
}

describe('SharePartitionManager (share partitions at the data leader)', () => {
  it('starts a share partition without state at group.share.auto.offset.reset', async () => {
    const latest = new MemoryPersister();
    expect((await manager(latest, 'latest').acquire(ref, 'm', 10, 1, 1 << 20)).acquiredRecords).toEqual([]);
    expect(latest.state?.startOffset).toBe(6n);
    const earliest = new MemoryPersister();
    expect((await manager(earliest).acquire(ref, 'm', 10, 1, 1 << 20)).acquiredRecords).toEqual([{ firstOffset: 0n, lastOffset: 5n, deliveryCount: 1 }]);
  });

  it('persists an acquisition before answering, with the batches holding it', async () => {
    const p = new MemoryPersister();
    const out = await manager(p).acquire(ref, 'm', 4, 1, 1 << 20);
    expect(out.acquiredRecords).toEqual([{ firstOffset: 0n, lastOffset: 3n, deliveryCount: 1 }]);
    expect(p.state!.stateBatches).toEqual([{ firstOffset: 0n, lastOffset: 3n, deliveryState: RecordState.ACQUIRED, deliveryCount: 1 }]);
    // Offsets 0-3 span both batches of three records: both are sent whole.
    expect(out.records.length).toBeGreaterThan(0);
    expect(out.records.readBigInt64BE(0)).toBe(0n);
  });

  it('writes piggybacked acknowledgements and the next acquisition as one change', async () => {
    const p = new MemoryPersister();
    const m = manager(p);
    await m.acquire(ref, 'm', 3, 1, 1 << 20);
    const before = p.writes;
    const out = await m.acquire(ref, 'm', 3, 1, 1 << 20, [{ firstOffset: 0n, lastOffset: 2n, acknowledgeTypes: [1] }]);
    expect(out.acknowledgeErrorCode).toBe(ErrorCode.NONE);
    expect(out.acquiredRecords).toEqual([{ firstOffset: 3n, lastOffset: 5n, deliveryCount: 1 }]);
    expect(p.writes).toBe(before + 1);
    expect(p.state!.startOffset).toBe(3n);
  });

  it('refuses acknowledgements of records the member does not hold, and still acquires', async () => {
    const m = manager(new MemoryPersister());
    const out = await m.acquire(ref, 'm', 2, 1, 1 << 20, [{ firstOffset: 0n, lastOffset: 0n, acknowledgeTypes: [1] }]);
    expect(out.acknowledgeErrorCode).toBe(ErrorCode.INVALID_RECORD_STATE);
    expect(out.acquiredRecords).toEqual([{ firstOffset: 0n, lastOffset: 1n, deliveryCount: 1 }]);
  });

  it('a failed write answers its error and the durable state wins at the next request', async () => {
    const p = new MemoryPersister();
    const m = manager(p);
    await m.acquire(ref, 'm', 2, 1, 1 << 20);
    p.failNext = ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const failed = await m.acquire(ref, 'm', 2, 1, 1 << 20, [{ firstOffset: 0n, lastOffset: 1n, acknowledgeTypes: [1] }]);
    expect(failed.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(failed.acknowledgeErrorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(failed.acquiredRecords).toEqual([]);
    // Reloaded: the accept never became durable, so 0-1 (acquired once) are available again.
    const again = await m.acquire(ref, 'n', 10, 1, 1 << 20);
    expect(again.acquiredRecords).toEqual([{ firstOffset: 0n, lastOffset: 1n, deliveryCount: 2 }, { firstOffset: 2n, lastOffset: 5n, deliveryCount: 1 }]);
  });

  it('a new leader epoch reloads the window: held records come back with their counts', async () => {
    const p = new MemoryPersister();
    const m = manager(p);
    await m.acquire(ref, 'm', 6, 1, 1 << 20);
    replica.leaderEpoch = 1;
    const out = await m.acquire(ref, 'n', 6, 1, 1 << 20);
    expect(out.leaderEpoch).toBe(1);
    expect(out.acquiredRecords).toEqual([{ firstOffset: 0n, lastOffset: 5n, deliveryCount: 2 }]);
  });
});
