import { ErrorCode } from '@dms/kafka-errors';
import { GroupCoordinator } from './coordinator';
import { groupPartition } from './placement';
import { MemoryLog } from './testing/memory-log';
import type { JoinGroupInput, TxnOffsetCommitInput } from './types';

const N = 4;
const PID = 1000n;

async function coordinator(log = new MemoryLog(), now?: () => number, config = {}) {
  const c = new GroupCoordinator({ log, numPartitions: () => N, now, config: { initialRebalanceDelayMs: 0, minSessionTimeoutMs: 10, ...config } });
  for (let p = 0; p < N; p++) await c.loadPartition(p, 0, log.read(p));
  return c;
}

const txnCommit = (groupId: string, offsets: Record<number, bigint>, extra: Partial<TxnOffsetCommitInput> = {}): TxnOffsetCommitInput => ({
  transactionalId: 'tx',
  groupId,
  producerId: PID,
  producerEpoch: 0,
  generationId: -1,
  memberId: '',
  topics: [{ name: 't', partitions: Object.entries(offsets).map(([p, o]) => ({ partitionIndex: Number(p), committedOffset: o, committedLeaderEpoch: 0 })) }],
  ...extra,
});

const fetch = (c: GroupCoordinator, groupId: string, requireStable = false) =>
  c.offsetFetch({ groupId, allTopics: false, requireStable, topics: [{ name: 't', partitionIndexes: [0, 1] }] }).topics[0].partitions
    .map((p) => (p.errorCode === ErrorCode.UNSTABLE_OFFSET_COMMIT ? `${p.partitionIndex}:unstable` : `${p.partitionIndex}@${p.committedOffset}`));

const codes = (r: { topics: { partitions: { errorCode: number }[] }[] }) => r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));

const join = (groupId: string): JoinGroupInput => ({
  groupId, memberId: '', clientId: 'c', clientHost: '/127.0.0.1', sessionTimeoutMs: 5_000, rebalanceTimeoutMs: 5_000,
  protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.from('sub') }], requireKnownMemberId: false,
});

describe('transactional offset commits', () => {
  let c: GroupCoordinator;
  afterEach(() => c?.close());

  it('keeps them pending until the COMMIT marker, then they are the committed offsets', async () => {
    const log = new MemoryLog();
    c = await coordinator(log);
    const p = groupPartition('g', N);
    await c.offsetCommit({ groupId: 'g', generationId: -1, memberId: '', topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: 0 }] }] });
    expect(codes(await c.txnOffsetCommit(txnCommit('g', { 0: 10n, 1: 20n })))).toEqual([0, 0]);
    expect(fetch(c, 'g')).toEqual(['0@5', '1@-1']);
    expect(fetch(c, 'g', true)).toEqual(['0:unstable', '1:unstable']);
    // A marker of another producer, or on another partition, changes nothing.
    c.onTxnMarker(p, PID + 1n, true, log.marker(p, PID + 1n, true));
    c.onTxnMarker((p + 1) % N, PID, true, 99n);
    expect(fetch(c, 'g', true)).toEqual(['0:unstable', '1:unstable']);
    c.onTxnMarker(p, PID, true, log.marker(p, PID, true));
    expect(fetch(c, 'g', true)).toEqual(['0@10', '1@20']);
  });

  it('drops them on the ABORT marker: the offsets committed before stay', async () => {
    const log = new MemoryLog();
    c = await coordinator(log);
    const p = groupPartition('g', N);
    await c.offsetCommit({ groupId: 'g', generationId: -1, memberId: '', topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: 0 }] }] });
    await c.txnOffsetCommit(txnCommit('g', { 0: 10n, 1: 20n }));
    c.onTxnMarker(p, PID, false, log.marker(p, PID, false));
    expect(fetch(c, 'g', true)).toEqual(['0@5', '1@-1']);
  });

  it('a marker ends only the transaction written before it, not the producer\'s next one', async () => {
    const log = new MemoryLog();
    c = await coordinator(log);
    const p = groupPartition('g', N);
    await c.txnOffsetCommit(txnCommit('g', { 0: 10n }));
    const first = log.marker(p, PID, true);
    c.onTxnMarker(p, PID, true, first);
    await c.txnOffsetCommit(txnCommit('g', { 0: 30n }));
    // The first marker again (a retried WriteTxnMarkers): the open transaction stays open.
    c.onTxnMarker(p, PID, true, first);
    expect(fetch(c, 'g', true)).toEqual(['0:unstable', '1@-1']);
    expect(fetch(c, 'g')).toEqual(['0@10', '1@-1']);
    c.onTxnMarker(p, PID, false, log.marker(p, PID, false));
    expect(fetch(c, 'g', true)).toEqual(['0@10', '1@-1']);
  });

  it('a plain commit written after the transactional one wins when the transaction commits', async () => {
    const log = new MemoryLog();
    c = await coordinator(log);
    const p = groupPartition('g', N);
    await c.txnOffsetCommit(txnCommit('g', { 0: 10n, 1: 11n }));
    await c.offsetCommit({ groupId: 'g', generationId: -1, memberId: '', topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 50n, committedLeaderEpoch: 0 }] }] });
    c.onTxnMarker(p, PID, true, log.marker(p, PID, true));
    expect(fetch(c, 'g')).toEqual(['0@50', '1@11']);
    // A reload of the partition comes to the same view.
    const other = await coordinator(log);
    expect(fetch(other, 'g')).toEqual(['0@50', '1@11']);
    other.close();
  });

  it('checks member and generation as Kafka does for v3+, and accepts pre-KIP-447 commits in any state', async () => {
    c = await coordinator();
    const joined = await c.joinGroup(join('g'));
    await c.syncGroup({ groupId: 'g', generationId: joined.generationId, memberId: joined.memberId, assignments: [{ memberId: joined.memberId, assignment: Buffer.alloc(0) }] });
    expect(c.groupState('g')).toBe('Stable');
    // kafkajs and other v0-v2 clients: no generation, no member.
    expect(codes(await c.txnOffsetCommit(txnCommit('g', { 0: 1n })))).toEqual([0]);
    const member = { memberId: joined.memberId, generationId: joined.generationId };
    expect(codes(await c.txnOffsetCommit(txnCommit('g', { 0: 2n }, member)))).toEqual([0]);
    expect(codes(await c.txnOffsetCommit(txnCommit('g', { 0: 2n }, { ...member, generationId: member.generationId + 1 })))).toEqual([ErrorCode.ILLEGAL_GENERATION]);
    expect(codes(await c.txnOffsetCommit(txnCommit('g', { 0: 2n }, { ...member, memberId: 'nobody' })))).toEqual([ErrorCode.UNKNOWN_MEMBER_ID]);
    expect(codes(await c.txnOffsetCommit(txnCommit('g', { 0: 2n }, { ...member, groupInstanceId: 'i-1' })))).toEqual([ErrorCode.UNKNOWN_MEMBER_ID]);
    // A group that does not exist cannot have the generation asked for.
    expect(codes(await c.txnOffsetCommit(txnCommit('new', { 0: 2n }, { generationId: 3, memberId: 'm' })))).toEqual([ErrorCode.ILLEGAL_GENERATION]);
    expect(codes(await c.txnOffsetCommit(txnCommit('', { 0: 2n })))).toEqual([ErrorCode.INVALID_GROUP_ID]);
    const tooLong = txnCommit('g', { 0: 2n });
    tooLong.topics[0].partitions[0].committedMetadata = 'x'.repeat(5000);
    expect(codes(await c.txnOffsetCommit(tooLong))).toEqual([ErrorCode.OFFSET_METADATA_TOO_LARGE]);
  });

  it('answers NOT_COORDINATOR for groups it does not lead and passes the producer\'s own errors through', async () => {
    const log = new MemoryLog();
    c = new GroupCoordinator({ log, numPartitions: () => N });
    expect(codes(await c.txnOffsetCommit(txnCommit('g', { 0: 1n })))).toEqual([ErrorCode.NOT_COORDINATOR]);
    for (let p = 0; p < N; p++) await c.loadPartition(p, 0, log.read(p));
    log.failWith = ErrorCode.INVALID_PRODUCER_EPOCH;
    expect(codes(await c.txnOffsetCommit(txnCommit('g', { 0: 1n })))).toEqual([ErrorCode.INVALID_PRODUCER_EPOCH]);
    log.failWith = ErrorCode.NOT_LEADER_OR_FOLLOWER;
    expect(codes(await c.txnOffsetCommit(txnCommit('g', { 0: 1n })))).toEqual([ErrorCode.NOT_COORDINATOR]);
    // Nothing it could not write is pending.
    expect(fetch(c, 'g', true)).toEqual(['0@-1', '1@-1']);
  });

  it('replays committed, aborted and open transactions on load exactly as they went live', async () => {
    const log = new MemoryLog();
    c = await coordinator(log);
    const p = groupPartition('g', N);
    await c.txnOffsetCommit(txnCommit('g', { 0: 10n }));
    await c.txnOffsetCommit(txnCommit('g', { 1: 21n }, { producerId: PID + 1n }));
    c.onTxnMarker(p, PID + 1n, false, log.marker(p, PID + 1n, false));
    c.onTxnMarker(p, PID, true, log.marker(p, PID, true));
    await c.txnOffsetCommit(txnCommit('g', { 0: 15n, 1: 16n }));
    const live = [fetch(c, 'g'), fetch(c, 'g', true)];
    expect(live).toEqual([['0@10', '1@-1'], ['0:unstable', '1:unstable']]);
    c.close();

    c = await coordinator(log);
    expect([fetch(c, 'g'), fetch(c, 'g', true)]).toEqual(live);
    // The open transaction's marker arrives after the load.
    c.onTxnMarker(p, PID, true, log.marker(p, PID, true));
    expect(fetch(c, 'g', true)).toEqual(['0@15', '1@16']);
  });

  it('applies a marker that arrives while the partition loads once the load is done', async () => {
    const log = new MemoryLog();
    c = await coordinator(log);
    const p = groupPartition('g', N);
    await c.txnOffsetCommit(txnCommit('g', { 0: 10n }));
    c.close();

    c = new GroupCoordinator({ log, numPartitions: () => N });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const loading = c.loadPartition(p, 1, (async function* () {
      await gate;
      yield* log.read(p);
    })());
    c.onTxnMarker(p, PID, true, log.marker(p, PID, true));
    release();
    await loading;
    expect(fetch(c, 'g', true)).toEqual(['0@10', '1@-1']);
  });

  it('OffsetDelete and DeleteGroups drop what open transactions would commit there, live and on reload alike', async () => {
    const log = new MemoryLog();
    c = await coordinator(log);
    const p = groupPartition('g', N);
    const q = groupPartition('h', N);
    await c.txnOffsetCommit(txnCommit('g', { 0: 10n, 1: 11n }));
    expect((await c.offsetDelete({ groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }] })).errorCode).toBe(0);
    await c.txnOffsetCommit(txnCommit('h', { 0: 20n }, { producerId: PID + 1n }));
    expect(await c.deleteGroups(['h'])).toEqual([{ groupId: 'h', errorCode: 0 }]);
    c.onTxnMarker(p, PID, true, log.marker(p, PID, true));
    c.onTxnMarker(q, PID + 1n, true, log.marker(q, PID + 1n, true));
    const live = [fetch(c, 'g', true), fetch(c, 'h', true), c.groupState('h')];
    expect(live).toEqual([['0@-1', '1@11'], ['0@-1', '1@-1'], undefined]);
    c.close();
    c = await coordinator(log);
    expect([fetch(c, 'g', true), fetch(c, 'h', true), c.groupState('h')]).toEqual(live);
  });

  it('does not expire a group whose transaction is still open', async () => {
    let now = 1_000_000;
    const log = new MemoryLog();
    c = await coordinator(log, () => now, { offsetsRetentionMs: 60_000 });
    const p = groupPartition('g', N);
    await c.txnOffsetCommit(txnCommit('g', { 0: 10n }));
    now += 120_000;
    await c.expireOffsets();
    expect(c.groupState('g')).toBe('Empty');
    c.onTxnMarker(p, PID, true, log.marker(p, PID, true));
    expect(fetch(c, 'g')).toEqual(['0@10', '1@-1']);
  });
});
