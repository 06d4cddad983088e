import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRecordBatch, decodeRecordBatches } from '@dms/kafka-codec';
import {
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  GroupCoordinator,
} from '@dms/groups';
import { cleanableRange, compactLog, OffsetMap, PartitionLog } from '@dms/log';
import { ErrorCode } from '@dms/kafka-errors';
import { COMPACTION_DEFAULTS } from './compaction-settings';
import { readCoordinatorLog, readCoordinatorRecords } from './coordinator-log-reader';

const T0 = 1_700_000_000_000;
const settings = { ...COMPACTION_DEFAULTS, deleteRetentionMs: 1_000, fileDeleteDelayMs: 0 };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dms-offsets-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const commit = (group: string, topic: string, partition: number, offset: bigint) => ({
  key: encodeOffsetCommitKey(group, topic, partition),
  value: encodeOffsetCommitValue({ offset, leaderEpoch: 0, metadata: '', commitTimestamp: BigInt(T0) }),
});
const deleteOffset = (group: string, topic: string, partition: number) => ({ key: encodeOffsetCommitKey(group, topic, partition), value: null });
const groupMeta = (group: string) => ({
  key: encodeGroupMetadataKey(group),
  value: encodeGroupMetadataValue({ protocolType: 'consumer', generation: 3, protocol: 'range', leader: null, currentStateTimestamp: BigInt(T0), members: [] }),
});
const deleteGroup = (group: string) => ({ key: encodeGroupMetadataKey(group), value: null });

async function write(log: PartitionLog, records: { key: Buffer; value: Buffer | null }[]) {
  await log.append(await buildRecordBatch({ records: records.map((r) => ({ ...r, timestamp: T0 })) }), { leaderEpoch: 0 });
  log.highWatermark = log.logEndOffset;
}

async function load(log: PartitionLog) {
  const c = new GroupCoordinator({ log: { append: async () => ({ errorCode: 0, baseOffset: 0n }) }, numPartitions: () => 1 });
  await c.loadPartition(0, 0, readCoordinatorLog(log));
  const fetch = (groupId: string) =>
    c.offsetFetch({ groupId, allTopics: true, topics: [] }).topics.flatMap((t) => t.partitions.map((p) => `${t.name}-${p.partitionIndex}@${p.committedOffset}`));
  const view = {
    groups: c.listGroups([]).groups.map((g) => g.groupId).sort(),
    g1: fetch('g1'),
    g2: fetch('g2'),
    g3: fetch('g3'),
  };
  c.close();
  return view;
}

async function clean(log: PartitionLog, now: number, checkpoint?: bigint, sweepTombstones = false) {
  const range = await cleanableRange(log, checkpoint, settings, now);
  return compactLog(log, new OffsetMap(1 << 20), range, settings, now, { indexIntervalBytes: 4096, sweepTombstones });
}

describe('group coordinator load over a compacted __consumer_offsets log', () => {
  it('replays offset gaps and tombstones: deleted groups and offsets stay deleted', async () => {
    const log = await PartitionLog.open(dir, { segmentBytes: 300 });
    await write(log, [groupMeta('g1'), commit('g1', 't', 0, 10n), commit('g1', 't', 1, 5n)]);
    for (const o of [20n, 30n, 40n]) await write(log, [commit('g1', 't', 0, o)]);
    await write(log, [groupMeta('g2'), commit('g2', 't', 0, 7n)]);
    await write(log, [commit('g3', 't', 0, 1n), commit('g3', 't', 1, 2n)]);
    // DeleteGroups of g2 and OffsetDelete of g3's t-0, as the coordinator writes them.
    await write(log, [deleteOffset('g2', 't', 0), deleteGroup('g2')]);
    await write(log, [deleteOffset('g3', 't', 0)]);
    for (let i = 0; i < 6; i++) await write(log, [commit('g1', 'u', i, BigInt(i))]);
    const expected = {
      groups: ['g1', 'g3'],
      g1: ['t-0@40', 't-1@5', 'u-0@0', 'u-1@1', 'u-2@2', 'u-3@3', 'u-4@4', 'u-5@5'],
      g2: [],
      g3: ['t-1@2'],
    };
    expect(await load(log)).toEqual(expected);

    const first = await clean(log, T0 + 10_000);
    expect(first.recordsKept).toBeLessThan(first.recordsRead);
    expect(await load(log)).toEqual(expected);

    // After delete.retention.ms the tombstones themselves go; the view is the same.
    const second = await clean(log, T0 + 20_000, first.endOffset, true);
    expect(second.nextDeleteHorizonMs).toBeUndefined();
    expect(second.recordsKept).toBeLessThan(second.recordsRead);
    const { records } = await log.read(0n, 1 << 20, { upperBound: log.activeSegmentBaseOffset, minOneBatch: true });
    const cleaned = (await decodeRecordBatches(records)).flatMap((b) => b.records);
    expect(cleaned.length).toBeGreaterThan(0);
    expect(cleaned.filter((r) => r.value === null)).toEqual([]);
    expect(await load(log)).toEqual(expected);
    await log.close();
  });
});

describe('replay of transactional offset commits', () => {
  // As the group coordinator appends them (coordinator origin: no sequence) and as WriteTxnMarkers does.
  const txn = async (log: PartitionLog, producerId: bigint, records: { key: Buffer; value: Buffer | null }[]) => {
    const batch = await buildRecordBatch({ transactional: true, producerId, producerEpoch: 0, baseSequence: -1, records: records.map((r) => ({ ...r, timestamp: T0 })) });
    await log.append(batch, { leaderEpoch: 0, origin: 'coordinator' });
    log.highWatermark = log.logEndOffset;
  };
  const marker = async (log: PartitionLog, producerId: bigint, type: 'commit' | 'abort') => {
    await log.appendControl({ producerId, producerEpoch: 0, committed: type === 'commit', coordinatorEpoch: 0 }, { leaderEpoch: 0, timestamp: BigInt(T0) });
    log.highWatermark = log.logEndOffset;
  };

  it('hands the replay each record\'s producer and offset and each marker, so transactions resolve as they did live', async () => {
    const log = await PartitionLog.open(dir, {});
    await write(log, [commit('g1', 't', 0, 1n), commit('g1', 't', 1, 1n)]);
    await txn(log, 7n, [commit('g1', 't', 0, 10n)]);
    await txn(log, 8n, [commit('g1', 't', 1, 20n)]);
    await marker(log, 8n, 'abort');
    await marker(log, 7n, 'commit');
    await txn(log, 7n, [commit('g1', 't', 1, 30n)]);

    const entries = [];
    for await (const e of readCoordinatorLog(log)) entries.push('marker' in e ? `${e.marker}:${e.producerId}@${e.offset}` : `${e.transactional ? 'txn' : 'plain'}:${e.producerId}@${e.offset}`);
    expect(entries).toEqual(['plain:-1@0', 'plain:-1@1', 'txn:7@2', 'txn:8@3', 'abort:8@4', 'commit:7@5', 'txn:7@6']);

    // Shards without transactions read the keyed records alone.
    const plain = [];
    for await (const r of readCoordinatorRecords(log)) plain.push(r);
    expect(plain).toHaveLength(5);

    const c = new GroupCoordinator({ log: { append: async () => ({ errorCode: 0, baseOffset: 0n }) }, numPartitions: () => 1 });
    await c.loadPartition(0, 0, readCoordinatorLog(log));
    const fetch = (requireStable: boolean) => c.offsetFetch({ groupId: 'g1', allTopics: false, requireStable, topics: [{ name: 't', partitionIndexes: [0, 1] }] })
      .topics[0].partitions.map((p) => [p.committedOffset, p.errorCode]);
    expect(fetch(false)).toEqual([[10n, 0], [1n, 0]]);
    // The last transaction of producer 7 has no marker yet: still pending.
    expect(fetch(true)).toEqual([[10n, 0], [-1n, ErrorCode.UNSTABLE_OFFSET_COMMIT]]);
    c.onTxnMarker(0, 7n, true, 7n);
    expect(fetch(true)).toEqual([[10n, 0], [30n, 0]]);
    c.close();
    await log.close();
  });
});
