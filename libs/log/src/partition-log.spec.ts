import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ATTR_TIMESTAMP_TYPE, BATCH, batchCrcMatches, decodeRecordBatches, validateBatches } from '@dms/kafka-codec';
import { LogError } from './log-error';
import { PartitionLog } from './partition-log';
import { recordKeys, testBatch, withTempDir } from './testing/test-batches';

const all = { upperBound: 1n << 62n, minOneBatch: true };

async function expectLogError(p: Promise<unknown>, kind: string) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LogError);
  expect((err as LogError).kind).toBe(kind);
}

/** Size of one batch as `fill` makes them. */
const sizeOf = async (records: number, valueBytes = 20) => (await testBatch({ records, valueBytes, tag: 'b000' })).length;

/** Appends `count` batches of `records` records each, one append per batch. */
async function fill(log: PartitionLog, count: number, records = 3, valueBytes = 20, epoch = 0) {
  for (let i = 0; i < count; i++) {
    await log.append(await testBatch({ records, valueBytes, tag: `b${String(i).padStart(3, '0')}` }), { leaderEpoch: epoch });
  }
}

describe('PartitionLog', () => {
  it('assigns offsets and leader epoch in place and reads the batches back', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, {});
      const a = await testBatch({ records: 3, tag: 'a' });
      const b = await testBatch({ records: 2, tag: 'b' });
      const r1 = await log.append(a, { leaderEpoch: 5 });
      const r2 = await log.append(b, { leaderEpoch: 5 });
      expect(r1).toEqual({ baseOffset: 0n, lastOffset: 2n, logAppendTime: -1n, logStartOffset: 0n });
      expect(r2.baseOffset).toBe(3n);
      expect(r2.lastOffset).toBe(4n);
      expect(log.logEndOffset).toBe(5n);

      const { records } = await log.read(0n, 1 << 20, all);
      const decoded = await decodeRecordBatches(records); // verifies CRCs
      expect(decoded.map((d) => [d.header.baseOffset, d.header.partitionLeaderEpoch])).toEqual([
        [0n, 5],
        [3n, 5],
      ]);
      expect((await recordKeys(records)).map((r) => `${r.offset}:${r.key}`)).toEqual([
        '0:a-0',
        '1:a-1',
        '2:a-2',
        '3:b-0',
        '4:b-1',
      ]);
      await log.close();
    }));

  it('stamps LogAppendTime: timestamp type, maxTimestamp and a recomputed CRC', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, {});
      const res = await log.append(await testBatch({ timestamp: 1000n }), { leaderEpoch: 0, logAppendTime: 5555n });
      expect(res.logAppendTime).toBe(5555n);
      const { records } = await log.read(0n, 1 << 20, all);
      expect(records.readInt16BE(BATCH.attributes) & ATTR_TIMESTAMP_TYPE).toBe(ATTR_TIMESTAMP_TYPE);
      expect(records.readBigInt64BE(BATCH.maxTimestamp)).toBe(5555n);
      expect(batchCrcMatches(records, 0)).toBe(true);
      expect(log.maxTimestampOffset()).toEqual({ offset: 2n, timestamp: 5555n });
      await log.close();
    }));

  it('uses Kafka file names and rolls segments at segmentBytes, reading across them', () =>
    withTempDir(async (dir) => {
      const one = await sizeOf(2, 100);
      const log = await PartitionLog.open(dir, { segmentBytes: one * 3 + 10, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' });
      await fill(log, 10, 2, 100, 0);
      // Sealed segments get their key index in the background (see key-index/).
      await log.keyIndex.settled();
      await log.close();
      const files = (await readdir(dir)).sort();
      expect(files).toEqual([
        '00000000000000000000.index',
        '00000000000000000000.keyidx',
        '00000000000000000000.log',
        '00000000000000000000.timeindex',
        '00000000000000000006.index',
        '00000000000000000006.keyidx',
        '00000000000000000006.log',
        '00000000000000000006.timeindex',
        '00000000000000000012.index',
        '00000000000000000012.keyidx',
        '00000000000000000012.log',
        '00000000000000000012.snapshot',
        '00000000000000000012.timeindex',
        '00000000000000000018.index',
        '00000000000000000018.log',
        '00000000000000000018.snapshot',
        '00000000000000000018.timeindex',
        // Producer state at the last rolls and at the clean close; the newest three are kept.
        '00000000000000000020.snapshot',
        'leader-epoch-checkpoint',
        'partition.metadata',
      ]);
      expect((await stat(join(dir, '00000000000000000000.log'))).size).toBe(one * 3);
      expect(await readFile(join(dir, 'partition.metadata'), 'utf8')).toBe('version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAA');

      const reopened = await PartitionLog.open(dir, {});
      expect(reopened.logEndOffset).toBe(20n);
      expect(reopened.size()).toBe(one * 10);
      // A read stays within one segment; following nextOffset walks the whole log.
      const seen: bigint[] = [];
      let offset = 0n;
      while (offset < reopened.logEndOffset) {
        const { records } = await reopened.read(offset, 1 << 20, all);
        expect(records.length).toBeGreaterThan(0);
        const keys = await recordKeys(records);
        seen.push(...keys.map((k) => k.offset));
        offset = keys[keys.length - 1]!.offset + 1n;
      }
      expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(i)));
      await reopened.close();
    }));

  it('reads at the log end from the in-memory tail exactly as from disk, across eviction and truncation', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, { indexIntervalBytes: 300 });
      // More batches than the tail keeps, so old offsets are found on disk, new ones in memory.
      await Promise.all(Array.from({ length: 700 }, async (_, i) => log.append(await testBatch({ records: 2, valueBytes: 8, tag: `t${i}` }), { leaderEpoch: 0 })));
      const firstOffsetAt = async (offset: bigint) => {
        const { records } = await log.read(offset, 1, all);
        return (await recordKeys(records))[0]?.offset;
      };
      for (const offset of [0n, 1n, 2n, 501n, 800n, 888n, 889n, 1397n, 1398n, 1399n]) {
        expect(await firstOffsetAt(offset)).toBe(offset >= 1400n ? undefined : offset - (offset % 2n));
      }
      expect((await log.read(1400n, 1 << 20, all)).records.length).toBe(0);
      await log.truncateTo(1201n); // inside the batch 1200..1201
      expect(log.logEndOffset).toBe(1200n);
      expect(await firstOffsetAt(1199n)).toBe(1198n);
      expect((await log.read(1200n, 1 << 20, all)).records.length).toBe(0);
      await log.append(await testBatch({ records: 3, tag: 'after' }), { leaderEpoch: 1 });
      expect(await firstOffsetAt(1201n)).toBe(1200n);
      await log.close();
      const reopened = await PartitionLog.open(dir, { indexIntervalBytes: 300 });
      expect(reopened.logEndOffset).toBe(1203n);
      for (const offset of [0n, 777n, 1202n]) {
        const { records } = await reopened.read(offset, 1, all);
        expect((await recordKeys(records))[0]?.offset).toBe(offset >= 1200n ? 1200n : offset - (offset % 2n));
      }
      await reopened.close();
    }));

  it('finds the batch containing any offset through the sparse index', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, { indexIntervalBytes: 200 });
      await fill(log, 40, 4, 30);
      await log.close();
      const index = await readFile(join(dir, '00000000000000000000.index'));
      expect(index.length % 8).toBe(0);
      expect(index.length / 8).toBeGreaterThan(5);
      // Each entry: relative last offset of a batch and that batch's position.
      const data = await readFile(join(dir, '00000000000000000000.log'));
      for (let at = 0; at < index.length; at += 8) {
        const rel = index.readInt32BE(at);
        const pos = index.readInt32BE(at + 4);
        expect(data.readBigInt64BE(pos) + BigInt(data.readInt32BE(pos + BATCH.lastOffsetDelta))).toBe(BigInt(rel));
      }

      const reopened = await PartitionLog.open(dir, { indexIntervalBytes: 200 });
      for (let o = 0n; o < 160n; o++) {
        const { records } = await reopened.read(o, 1, all);
        const first = validateBatches(records).positions.length;
        expect(first).toBe(1);
        const base = records.readBigInt64BE(0);
        expect(base).toBe(o - (o % 4n));
      }
      await reopened.close();
    }));

  it('respects maxBytes, minOneBatch and the exclusive upperBound', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, {});
      await fill(log, 5, 2, 50);
      const size = await sizeOf(2, 50);

      expect((await log.read(0n, size * 2 + size - 1, all)).records.length).toBe(size * 2);
      expect((await log.read(0n, size - 1, { ...all, minOneBatch: true })).records.length).toBe(size);
      expect((await log.read(0n, size - 1, { ...all, minOneBatch: false })).records.length).toBe(0);

      // upperBound 6 = after the third batch (offsets 4,5); batches reaching 6 are withheld.
      const bounded = await log.read(0n, 1 << 20, { upperBound: 6n, minOneBatch: true });
      expect(bounded.records.length).toBe(size * 3);
      // A batch straddling the bound is withheld too.
      expect((await log.read(0n, 1 << 20, { upperBound: 5n, minOneBatch: true })).records.length).toBe(size * 2);
      expect((await log.read(6n, 1 << 20, { upperBound: 6n, minOneBatch: true })).records.length).toBe(0);
      // Starting mid-batch returns the whole batch containing the offset.
      const mid = await log.read(3n, 1 << 20, all);
      expect(mid.records.readBigInt64BE(0)).toBe(2n);
      expect(mid.records.length).toBe(size * 4);
      await log.close();
    }));

  it('returns an empty read at the log end and throws offset-out-of-range outside the log', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, {});
      await fill(log, 2, 2);
      expect((await log.read(4n, 1000, all)).records.length).toBe(0);
      await expectLogError(log.read(5n, 1000, all), 'offset-out-of-range');
      await expectLogError(log.read(-1n, 1000, all), 'offset-out-of-range');
      await log.deleteRecordsBefore(2n);
      await expectLogError(log.read(1n, 1000, all), 'offset-out-of-range');
      await log.close();
    }));

  it('keeps call order for concurrent appends and group-commits them', () =>
    withTempDir(async (dir) => {
      const one = (await testBatch({ records: 1, valueBytes: 64, tag: 'c00' })).length;
      const log = await PartitionLog.open(dir, { segmentBytes: one * 7 });
      const batches = await Promise.all(
        Array.from({ length: 50 }, (_, i) => testBatch({ records: 1, valueBytes: 64, tag: `c${String(i).padStart(2, '0')}` })),
      );
      const results = await Promise.all(batches.map((b) => log.append(b, { leaderEpoch: 1 })));
      expect(results.map((r) => r.baseOffset)).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(i)));
      // 8 segments need at least 8 writes; queued appends share them.
      expect(log.stats().writeCalls).toBeLessThan(25);
      expect(log.stats().segments).toBe(8);
      const keys: string[] = [];
      let offset = 0n;
      while (offset < 50n) {
        const got = await recordKeys((await log.read(offset, 1 << 20, all)).records);
        keys.push(...got.map((k) => `${k.offset}:${k.key}`));
        offset = got[got.length - 1]!.offset + 1n;
      }
      expect(keys).toEqual(Array.from({ length: 50 }, (_, i) => `${i}:c${String(i).padStart(2, '0')}-0`));
      await log.close();
    }));

  it('does not expose batches whose write has not completed', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, {});
      await fill(log, 1, 2);
      const pending = log.append(await testBatch({ records: 2 }), { leaderEpoch: 0 });
      expect(log.logEndOffset).toBe(2n);
      const during = log.read(2n, 1 << 20, all); // assigned but unwritten: empty, not out of range
      const whole = log.read(0n, 1 << 20, all);
      expect((await during).records.length).toBe(0);
      expect((await recordKeys((await whole).records)).map((k) => k.offset)).toEqual([0n, 1n]);
      await pending;
      expect(log.logEndOffset).toBe(4n);
      expect((await log.read(2n, 1 << 20, all)).records.length).toBeGreaterThan(0);
      await log.close();
    }));

  it('appends several batches in one call, splitting them across a roll', () =>
    withTempDir(async (dir) => {
      const parts = await Promise.all([0, 1, 2, 3, 4].map((i) => testBatch({ records: 2, tag: `m${i}` })));
      const log = await PartitionLog.open(dir, { segmentBytes: parts[0]!.length * 2 });
      const res = await log.append(Buffer.concat(parts), { leaderEpoch: 0 });
      expect(res).toMatchObject({ baseOffset: 0n, lastOffset: 9n });
      await log.close();
      expect((await readdir(dir)).filter((f) => f.endsWith('.log')).sort()).toEqual([
        '00000000000000000000.log',
        '00000000000000000004.log',
        '00000000000000000008.log',
      ]);
    }));

  it('rejects malformed input without touching the log', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, {});
      const b = await testBatch();
      await expectLogError(log.append(Buffer.alloc(0), { leaderEpoch: 0 }), 'invalid-batch');
      await expectLogError(log.append(b.subarray(0, b.length - 3), { leaderEpoch: 0 }), 'invalid-batch');
      expect(log.logEndOffset).toBe(0n);
      await log.append(b, { leaderEpoch: 3 });
      await expectLogError(log.append(await testBatch(), { leaderEpoch: 2 }), 'fenced-leader-epoch');
      await log.close();
      await expectLogError(log.append(await testBatch(), { leaderEpoch: 3 }), 'closed');
    }));

  it('writes the leader-epoch checkpoint in Kafka format and reloads it', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, {});
      await fill(log, 2, 2, 20, 0);
      await fill(log, 1, 2, 20, 3);
      await fill(log, 2, 1, 20, 7);
      expect(await readFile(join(dir, 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n3\n0 0\n3 4\n7 6\n');
      expect(log.endOffsetForEpoch(0)).toEqual({ epoch: 0, endOffset: 4n });
      expect(log.endOffsetForEpoch(5)).toEqual({ epoch: 3, endOffset: 6n });
      expect(log.endOffsetForEpoch(7)).toEqual({ epoch: 7, endOffset: 8n });
      expect(log.endOffsetForEpoch(9)).toEqual({ epoch: -1, endOffset: -1n });
      await log.close();

      const reopened = await PartitionLog.open(dir, {});
      expect(reopened.leaderEpochs).toEqual([
        { epoch: 0, startOffset: 0n },
        { epoch: 3, startOffset: 4n },
        { epoch: 7, startOffset: 6n },
      ]);
      await reopened.assignLeaderEpoch(8, 8n);
      expect(await readFile(join(dir, 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n4\n0 0\n3 4\n7 6\n8 8\n');
      await reopened.close();
    }));

  it('deleteRecordsBefore advances the start offset and deletes whole segments below it', () =>
    withTempDir(async (dir) => {
      const one = await sizeOf(2);
      const log = await PartitionLog.open(dir, { segmentBytes: one * 2 });
      await fill(log, 6, 2, 20, 0); // segments at 0, 4, 8
      await fill(log, 1, 2, 20, 1); // offsets 12..13, epoch 1, segment 12
      expect(await log.deleteRecordsBefore(5n)).toBe(5n);
      expect(log.logStartOffset).toBe(5n);
      expect((await readdir(dir)).filter((f) => f.endsWith('.log')).sort()).toEqual([
        '00000000000000000004.log',
        '00000000000000000008.log',
        '00000000000000000012.log',
      ]);
      // The batch holding offset 5 starts at 4: it is returned whole, as Kafka does.
      expect((await log.read(5n, 1 << 20, all)).records.readBigInt64BE(0)).toBe(4n);
      expect(log.leaderEpochs).toEqual([
        { epoch: 0, startOffset: 5n },
        { epoch: 1, startOffset: 12n },
      ]);
      await expectLogError(log.deleteRecordsBefore(99n), 'offset-out-of-range');
      expect(await log.deleteRecordsBefore(14n)).toBe(14n);
      expect((await readdir(dir)).filter((f) => f.endsWith('.log'))).toEqual(['00000000000000000012.log']);
      expect((await log.read(14n, 100, all)).records.length).toBe(0);
      await log.close();

      const reopened = await PartitionLog.open(dir, { logStartOffset: 14n });
      expect(reopened.logStartOffset).toBe(14n);
      expect(reopened.logEndOffset).toBe(14n);
      await reopened.close();
    }));

  it('truncateTo cuts at a batch boundary, drops later segments and epochs', () =>
    withTempDir(async (dir) => {
      const one = await sizeOf(2);
      const log = await PartitionLog.open(dir, { segmentBytes: one * 2 });
      await fill(log, 3, 2, 20, 0); // 0..5
      await fill(log, 3, 2, 20, 2); // 6..11
      log.highWatermark = 12n;
      await log.truncateTo(7n); // inside the batch 6..7
      expect(log.logEndOffset).toBe(6n);
      expect(log.highWatermark).toBe(6n);
      expect(log.leaderEpochs).toEqual([{ epoch: 0, startOffset: 0n }]);
      expect((await readdir(dir)).filter((f) => f.endsWith('.log')).sort()).toEqual([
        '00000000000000000000.log',
        '00000000000000000004.log',
      ]);
      const res = await log.append(await testBatch({ records: 2, tag: 'new' }), { leaderEpoch: 4 });
      expect(res.baseOffset).toBe(6n);
      const keys = await recordKeys((await log.read(4n, 1 << 20, all)).records);
      expect(keys.map((k) => `${k.offset}:${k.key}`)).toEqual(['4:b002-0', '5:b002-1', '6:new-0', '7:new-1']);
      await log.close();
    }));

  it('truncateTo at the log end drops an epoch this broker led without appending (it would diverge forever)', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, {});
      await fill(log, 2, 2, 20, 0); // 0..3 in epoch 0
      // Led epoch 1 and lost it before appending: the entry starts at the log end.
      await log.assignLeaderEpoch(1, log.logEndOffset);
      expect(log.leaderEpochs).toEqual([{ epoch: 0, startOffset: 0n }, { epoch: 1, startOffset: 4n }]);
      // The new leader (epoch 2) knows epoch 0 up to 4 only: truncating there keeps every record
      // but forgets epoch 1, so the next fetch names epoch 0 and no longer diverges.
      await log.truncateTo(4n);
      expect(log.logEndOffset).toBe(4n);
      expect(log.leaderEpochs).toEqual([{ epoch: 0, startOffset: 0n }]);
      await log.close();
      const reopened = await PartitionLog.open(dir, {});
      expect(reopened.leaderEpochs).toEqual([{ epoch: 0, startOffset: 0n }]);
      await reopened.close();
    }));

  it('appendWithOffsets keeps the leader offsets and epochs and checks continuity', () =>
    withTempDir(async (leaderDir) =>
      withTempDir(async (followerDir) => {
        const leader = await PartitionLog.open(leaderDir, {});
        await fill(leader, 2, 2, 20, 1);
        await fill(leader, 1, 2, 20, 4);
        const { records } = await leader.read(0n, 1 << 20, all);
        const follower = await PartitionLog.open(followerDir, {});
        const res = await follower.appendWithOffsets(Buffer.from(records));
        expect(res).toEqual({ baseOffset: 0n, lastOffset: 5n });
        expect(follower.leaderEpochs).toEqual(leader.leaderEpochs);
        expect((await follower.read(0n, 1 << 20, all)).records.equals(records)).toBe(true);
        await expectLogError(follower.appendWithOffsets(Buffer.from(records)), 'unexpected-offset');
        await leader.close();
        await follower.close();
      }),
    ));

  it('refuses a partition directory of another topic id', () =>
    withTempDir(async (dir) => {
      await (await PartitionLog.open(dir, { topicId: 'AAAAAAAAAAAAAAAAAAAAAA' })).close();
      await expectLogError(PartitionLog.open(dir, { topicId: 'BBBBBBBBBBBBBBBBBBBBBB' }), 'inconsistent-topic-id');
      const again = await PartitionLog.open(dir, {});
      expect(again.topicId).toBe('AAAAAAAAAAAAAAAAAAAAAA');
      await again.close();
      await PartitionLog.delete(dir);
      await expect(readdir(dir)).rejects.toThrow();
    }));

  it('fsync=always still acknowledges and flush completes', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, { fsync: 'always' });
      await fill(log, 3);
      await log.flush();
      expect(log.logEndOffset).toBe(9n);
      await log.close();
    }));
});
