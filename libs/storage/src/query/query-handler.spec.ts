import { buildRecordBatch, CompressionType } from '@dms/kafka-codec';
import { ErrorCode } from '@dms/kafka-errors';
import { keyHash, PartitionLog } from '@dms/log';
import type { QueryRequest } from '@dms/rpc';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryRefused, runQuery } from './query-handler';

const T0 = 1_700_000_000_000n;
/** Two keys with the same FNV-1a hash: the index names the batches of both. */
const COLLIDING = ['key-901258', 'key-1540052'];

function request(q: Partial<QueryRequest>): QueryRequest {
  return { topic: 't', partition: 0, maxRecords: 0, maxBytes: 0, cursor: '', isolationLevel: 0, traceContext: {}, ...q };
}

async function withLog(fn: (log: PartitionLog) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'dms-query-'));
  const log = await PartitionLog.open(dir, { segmentBytes: 2048, fileDeleteDelayMs: 0 });
  try {
    await fn(log);
  } finally {
    await log.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * 60 batches of 4 records; batch b at T0 + 1000b, record i 1 ms later each; keys k-<n % 9>, and
 * every 10th batch also carries one of the colliding keys; gzip every 3rd batch.
 */
async function fill(log: PartitionLog): Promise<void> {
  for (let b = 0; b < 60; b++) {
    const keys = Array.from({ length: 4 }, (_, i) => (i === 3 && b % 10 === 0 ? COLLIDING[(b / 10) % 2]! : `k-${(b * 4 + i) % 9}`));
    const batch = await buildRecordBatch({
      compression: b % 3 === 0 ? CompressionType.Gzip : CompressionType.None,
      records: keys.map((k, i) => ({ key: k, value: `v${b * 4 + i}`, headers: [{ key: 'h', value: `b${b}` }], timestamp: T0 + BigInt(b * 1000 + i) })),
    });
    await log.append(batch, { leaderEpoch: 3 });
  }
  log.highWatermark = log.logEndOffset;
}

describe('runQuery', () => {
  it('keeps only exact key matches when two keys share a hash', () =>
    withLog(async (log) => {
      expect(keyHash(Buffer.from(COLLIDING[0]!))).toBe(keyHash(Buffer.from(COLLIDING[1]!)));
      await fill(log);
      const res = await runQuery(log, request({ byKey: { key: Buffer.from(COLLIDING[0]!), startMs: -1n, endMs: -1n, fullScan: false } }));
      // Batches 0, 20, 40 hold the first key; the index also names 10, 30, 50 (the other key).
      expect(res.records.map((r) => r.offset)).toEqual([3n, 83n, 163n]);
      expect(res.records.every((r) => r.key.toString() === COLLIDING[0])).toBe(true);
      expect(res.stats!.usedKeyIndex).toBe(true);
      expect(res.stats!.batchesRead).toBe(6);
      expect(res.records[0]).toMatchObject({ compression: 'gzip', value: Buffer.from('v3'), timestamp: T0 + 3n, timestampType: 'CreateTime', partitionLeaderEpoch: 3, batchBaseOffset: 0n });
      expect(res.records[0]!.headers).toEqual([{ key: 'h', value: Buffer.from('b0'), valueNull: false }]);
    }));

  it('answers a key query through the index with the records a full scan finds, reading fewer batches', () =>
    withLog(async (log) => {
      await fill(log);
      const key = { key: Buffer.from('k-4'), startMs: -1n, endMs: -1n };
      const indexed = await runQuery(log, request({ byKey: { ...key, fullScan: false }, maxRecords: 1000 }));
      const scanned = await runQuery(log, request({ byKey: { ...key, fullScan: true }, maxRecords: 1000 }));
      expect(indexed.records.map((r) => r.offset)).toEqual(scanned.records.map((r) => r.offset));
      expect(indexed.records.length).toBeGreaterThan(20);
      expect(scanned.stats!.batchesRead).toBe(60);
      expect(indexed.stats!.batchesRead).toBeLessThan(60);
      // Within a time range: batches 30..39 only.
      const ranged = await runQuery(log, request({ byKey: { ...key, startMs: T0 + 30_000n, endMs: T0 + 39_999n, fullScan: false }, maxRecords: 1000 }));
      expect(ranged.records.map((r) => r.offset)).toEqual(scanned.records.map((r) => r.offset).filter((o) => o >= 120n && o < 160n));
    }));

  it('continues from its cursor until every record was returned', () =>
    withLog(async (log) => {
      await fill(log);
      for (const fullScan of [false, true]) {
        const seen: bigint[] = [];
        let cursor = '';
        for (let i = 0; i < 100; i++) {
          const res = await runQuery(log, request({ byKey: { key: Buffer.from('k-2'), startMs: -1n, endMs: -1n, fullScan }, maxRecords: 3, cursor }));
          expect(res.records.length).toBeLessThanOrEqual(3);
          seen.push(...res.records.map((r) => r.offset));
          cursor = res.nextCursor;
          if (!cursor) break;
        }
        const all = await runQuery(log, request({ byKey: { key: Buffer.from('k-2'), startMs: -1n, endMs: -1n, fullScan }, maxRecords: 1000 }));
        expect(seen).toEqual(all.records.map((r) => r.offset));
      }
    }));

  it('reads an offset window, clipped to the log, and refuses an offset outside it', () =>
    withLog(async (log) => {
      await fill(log);
      const res = await runQuery(log, request({ byOffset: { offset: 100n, before: 2, after: 3 } }));
      expect(res.records.map((r) => r.offset)).toEqual([98n, 99n, 100n, 101n, 102n, 103n]);
      expect(res.nextCursor).toBe('');
      const edge = await runQuery(log, request({ byOffset: { offset: 1n, before: 5, after: 0 } }));
      expect(edge.records.map((r) => r.offset)).toEqual([0n, 1n]);
      await expect(runQuery(log, request({ byOffset: { offset: 240n, before: 0, after: 0 } }))).rejects.toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE });
      await expect(runQuery(log, request({}))).rejects.toBeInstanceOf(QueryRefused);
      await expect(runQuery(log, request({ byOffset: { offset: 1n, before: 0, after: 0 }, cursor: 'x' }))).rejects.toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST });
    }));

  it('reads a time range from the time index to the end time, and stops at the high watermark', () =>
    withLog(async (log) => {
      await fill(log);
      const res = await runQuery(log, request({ byTime: { startMs: T0 + 10_002n, endMs: T0 + 12_001n }, maxRecords: 1000 }));
      // Batch 10 records 2, 3; batch 11 all four; batch 12 records 0, 1.
      expect(res.records.map((r) => r.offset)).toEqual([42n, 43n, 44n, 45n, 46n, 47n, 48n, 49n]);
      expect(res.stats!.batchesRead).toBeLessThanOrEqual(4);
      log.highWatermark = 100n;
      const open = await runQuery(log, request({ byTime: { startMs: T0 + 20_000n, endMs: -1n }, maxRecords: 1000 }));
      expect(open.records.map((r) => r.offset)).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(80 + i)));
    }));

  it('read_committed stops at the last stable offset and leaves aborted records out; control batches never show', () =>
    withLog(async (log) => {
      const txn = (pid: bigint, key: string) =>
        buildRecordBatch({ producerId: pid, producerEpoch: 0, baseSequence: 0, transactional: true, records: [{ key, value: 'a' }, { key, value: 'b' }] });
      await log.append(await buildRecordBatch({ records: [{ key: 'plain', value: 'p' }] }), { leaderEpoch: 0 }); // 0
      await log.append(await txn(2n, 'aborted'), { leaderEpoch: 0 }); // 1-2
      await log.append(await txn(3n, 'committed'), { leaderEpoch: 0 }); // 3-4
      await log.appendControl({ producerId: 2n, producerEpoch: 0, committed: false, coordinatorEpoch: 1 }, { leaderEpoch: 0, timestamp: T0 }); // 5
      await log.append(await txn(4n, 'open'), { leaderEpoch: 0 }); // 6-7
      await log.appendControl({ producerId: 3n, producerEpoch: 0, committed: true, coordinatorEpoch: 1 }, { leaderEpoch: 0, timestamp: T0 }); // 8
      log.highWatermark = log.logEndOffset;
      const window = (isolationLevel: number) => runQuery(log, request({ byOffset: { offset: 0n, before: 0, after: 20 }, isolationLevel }));
      expect((await window(0)).records.map((r) => r.offset)).toEqual([0n, 1n, 2n, 3n, 4n, 6n, 7n]);
      // The open transaction of producer 4 holds the last stable offset at 6.
      expect((await window(1)).records.map((r) => `${r.offset}:${r.key}`)).toEqual(['0:plain', '3:committed', '4:committed']);
      const byKey = await runQuery(log, request({ byKey: { key: Buffer.from('aborted'), startMs: -1n, endMs: -1n, fullScan: false }, isolationLevel: 1 }));
      expect(byKey.records).toEqual([]);
      expect((await runQuery(log, request({ byKey: { key: Buffer.from('committed'), startMs: -1n, endMs: -1n, fullScan: false }, isolationLevel: 1 }))).records[0]!.transactional).toBe(true);
    }));
});
