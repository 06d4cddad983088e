import { readFile, stat, writeFile } from 'node:fs/promises';
import { buildRecordBatch, CompressionType, decodeRecordBatches } from '@dms/kafka-codec';
import { PartitionLog } from '../partition-log';
import { withTempDir } from '../testing/test-batches';
import { keyHash } from './key-hash';
import { KeyIndexCache } from './key-index-cache';
import { KeyIndexer } from './key-indexer';
import { SegmentKeyIndex } from './segment-key-index';

const T0 = 1_700_000_000_000n;
const everything = { fromOffset: 0n, upperBound: 1n << 62n, maxBytes: 1 << 30 };

/** A batch of `keys.length` records (value = key + '#' + n), one ms apart from `ts`. */
function batch(keys: (string | null)[], opts: { ts?: bigint; compression?: CompressionType } = {}): Promise<Buffer> {
  const ts = opts.ts ?? T0;
  return buildRecordBatch({
    compression: opts.compression,
    records: keys.map((k, i) => ({ key: k, value: `${k}#${i}`, timestamp: ts + BigInt(i) })),
  });
}

/** Offsets of the records with exactly this key in the batches a lookup returned. */
async function offsetsWithKey(batches: Buffer[], key: string): Promise<bigint[]> {
  const decoded = await decodeRecordBatches(Buffer.concat(batches));
  return decoded.flatMap((b) => b.records.filter((r) => r.key?.toString() === key).map((r) => r.offset));
}

/** 40 batches of 5 records over small segments; key `user-<n % 7>`. Returns each key's offsets. */
async function fillKeyed(log: PartitionLog, batches = 40, compression?: CompressionType): Promise<Map<string, bigint[]>> {
  const expected = new Map<string, bigint[]>();
  let offset = 0n;
  for (let b = 0; b < batches; b++) {
    const keys = Array.from({ length: 5 }, (_, i) => `user-${(b * 5 + i) % 7}`);
    await log.append(await batch(keys, { ts: T0 + BigInt(b * 10), compression }), { leaderEpoch: 0 });
    for (const k of keys) {
      expected.set(k, [...(expected.get(k) ?? []), offset]);
      offset++;
    }
  }
  return expected;
}

const smallSegments = { segmentBytes: 1024, fileDeleteDelayMs: 0 };

describe('key index', () => {
  it('finds every record of a key across sealed segments and the active tail, reading only hash-named batches', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, smallSegments);
      const expected = await fillKeyed(log);
      log.highWatermark = log.logEndOffset;
      expect(log.segmentList().length).toBeGreaterThan(4);
      for (const [key, offsets] of expected) {
        const res = (await log.keyIndex.lookup(Buffer.from(key), everything))!;
        expect(await offsetsWithKey(res.batches, key)).toEqual(offsets);
        // Each batch has 5 of 7 keys: a key is in at most ~5/7 of the batches, never all 40.
        expect(res.batches.length).toBeLessThan(40);
      }
      const none = (await log.keyIndex.lookup(Buffer.from('nobody'), everything))!;
      expect(none.batches).toEqual([]);
      await log.close();
    }));

  it('persists the index of a sealed segment beside it, reuses it after a reopen and rebuilds a corrupt one', () =>
    withTempDir(async (dir) => {
      let log = await PartitionLog.open(dir, smallSegments);
      const expected = await fillKeyed(log);
      await log.keyIndex.settled();
      const first = log.segmentList()[0]!;
      const path = first.paths.keyIndex;
      const file = await readFile(path);
      const decoded = SegmentKeyIndex.decode(file, first.baseOffset);
      expect(typeof decoded).not.toBe('string');
      expect((decoded as SegmentKeyIndex).coverage.size).toBe(first.writtenSize);
      await log.close();

      // Reopen: the file is read, not rewritten.
      const before = (await stat(path)).mtimeMs;
      log = await PartitionLog.open(dir, smallSegments);
      await log.keyIndex.settled();
      expect((await stat(path)).mtimeMs).toBe(before);
      const key = 'user-3';
      expect(await offsetsWithKey((await log.keyIndex.lookup(Buffer.from(key), everything))!.batches, key)).toEqual(expected.get(key));
      await log.close();

      // Corrupt one byte of the body and cut another file short: both are rebuilt on open.
      file[file.length - 3] ^= 0xff;
      await writeFile(path, file);
      const second = log.segmentList()[1]!.paths.keyIndex;
      await writeFile(second, (await readFile(second)).subarray(0, 20));
      log = await PartitionLog.open(dir, smallSegments);
      await log.keyIndex.settled();
      expect(SegmentKeyIndex.decode(await readFile(path), first.baseOffset)).toBeInstanceOf(SegmentKeyIndex);
      expect(SegmentKeyIndex.decode(await readFile(second), log.segmentList()[1]!.baseOffset)).toBeInstanceOf(SegmentKeyIndex);
      for (const [k, offsets] of expected) {
        expect(await offsetsWithKey((await log.keyIndex.lookup(Buffer.from(k), everything))!.batches, k)).toEqual(offsets);
      }
      await log.close();
    }));

  it('rebuilds a missing index and deletes the file with its segment', () =>
    withTempDir(async (dir) => {
      let log = await PartitionLog.open(dir, smallSegments);
      const expected = await fillKeyed(log);
      await log.keyIndex.settled();
      const [first, second] = log.segmentList();
      await log.close();
      await writeFile(first!.paths.keyIndex, '').then(() => require('node:fs').unlinkSync(first!.paths.keyIndex));
      log = await PartitionLog.open(dir, smallSegments);
      await log.keyIndex.settled();
      await expect(stat(first!.paths.keyIndex)).resolves.toBeDefined();
      const k = 'user-0';
      expect(await offsetsWithKey((await log.keyIndex.lookup(Buffer.from(k), everything))!.batches, k)).toEqual(expected.get(k));

      // Retention / DeleteRecords: the first two segments go, their key indexes too.
      await log.deleteRecordsBefore(log.segmentList()[2]!.baseOffset);
      await expect(stat(first!.paths.keyIndex)).rejects.toThrow(/ENOENT/);
      await expect(stat(second!.paths.keyIndex)).rejects.toThrow(/ENOENT/);
      const res = (await log.keyIndex.lookup(Buffer.from(k), { ...everything, fromOffset: log.logStartOffset }))!;
      expect(await offsetsWithKey(res.batches, k)).toEqual(expected.get(k)!.filter((o) => o >= log.logStartOffset));
      await log.close();
    }));

  it('hashes keys of compressed batches and skips null keys', () =>
    withTempDir(async (dir) => {
      for (const compression of [CompressionType.Gzip, CompressionType.Lz4, CompressionType.Zstd, CompressionType.Snappy]) {
        const log = await PartitionLog.open(`${dir}/${compression}`, smallSegments);
        const expected = await fillKeyed(log, 20, compression);
        await log.append(await batch([null, null, 'user-1']), { leaderEpoch: 0 });
        const k = 'user-1';
        const res = (await log.keyIndex.lookup(Buffer.from(k), everything))!;
        expect(await offsetsWithKey(res.batches, k)).toEqual([...expected.get(k)!, 102n]);
        await log.close();
      }
    }));

  it('follows truncation: batches cut off and rewritten are indexed anew', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, smallSegments);
      await fillKeyed(log);
      await log.keyIndex.lookup(Buffer.from('user-1'), everything); // indexes every segment
      await log.keyIndex.settled();
      await log.truncateTo(12n);
      expect(log.logEndOffset).toBe(10n);
      await log.append(await batch(['other', 'other', 'other', 'other', 'other']), { leaderEpoch: 0 });
      for (let i = 0; i < 10; i++) await log.append(await batch(['late', 'user-1']), { leaderEpoch: 0 });
      const res = (await log.keyIndex.lookup(Buffer.from('user-1'), everything))!;
      const offsets = await offsetsWithKey(res.batches, 'user-1');
      expect(offsets.filter((o) => o >= 10n)).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(16 + 2 * i)));
      expect(await offsetsWithKey((await log.keyIndex.lookup(Buffer.from('other'), everything))!.batches, 'other')).toHaveLength(5);
      await log.close();
    }));

  it('bounds an answer by bytes and says where to continue; skips batches older than minTimestamp', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, smallSegments);
      const expected = await fillKeyed(log);
      const k = 'user-2';
      const found: bigint[] = [];
      let from = 0n;
      for (let rounds = 0; rounds < 100; rounds++) {
        const res = (await log.keyIndex.lookup(Buffer.from(k), { ...everything, fromOffset: from, maxBytes: 1 }))!;
        expect(res.batches.length).toBeLessThanOrEqual(1);
        found.push(...(await offsetsWithKey(res.batches, k)).filter((o) => o >= from));
        if (res.nextOffset === undefined) break;
        from = res.nextOffset;
      }
      expect(found).toEqual(expected.get(k));
      // Batch b has timestamps T0 + 10b ..: from T0 + 300 only batches 30.. (offsets 150..) remain.
      const recent = (await log.keyIndex.lookup(Buffer.from(k), { ...everything, minTimestamp: T0 + 300n }))!;
      expect(await offsetsWithKey(recent.batches, k)).toEqual(expected.get(k)!.filter((o) => o >= 150n));
      await log.close();
    }));

  it('answers the same when the shared cache evicts indexes (they are read again from their files), and sweeps temp files', () =>
    withTempDir(async (dir) => {
      let log = await PartitionLog.open(dir, smallSegments);
      const expected = await fillKeyed(log);
      await log.keyIndex.settled();
      await log.close();
      await writeFile(`${dir}/00000000000000000000.keyidx.tmp`, 'half written');
      log = await PartitionLog.open(dir, smallSegments);
      const tiny = new KeyIndexCache(1);
      const indexer = new KeyIndexer({ segments: () => log.segmentList(), fsync: false, logger: () => {} }, tiny);
      for (const [key, offsets] of expected) {
        expect(await offsetsWithKey((await indexer.lookup(Buffer.from(key), everything))!.batches, key)).toEqual(offsets);
        expect(tiny.heldBytes).toBeLessThan(2 * 1024);
      }
      await log.keyIndex.settled();
      await expect(stat(`${dir}/00000000000000000000.keyidx.tmp`)).rejects.toThrow(/ENOENT/);
      await log.close();
    }));

  it('is off when disabled: lookups answer undefined', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, smallSegments);
      log.keyIndex.enabled = false;
      await fillKeyed(log, 5);
      expect(await log.keyIndex.lookup(Buffer.from('user-1'), everything)).toBeUndefined();
      await log.close();
    }));

  it('keyHash is FNV-1a (format version 1 depends on it)', () => {
    expect(keyHash(Buffer.from(''))).toBe(0x811c9dc5);
    expect(keyHash(Buffer.from('a'))).toBe(0xe40c292c);
    expect(keyHash(Buffer.from('xay'), 1, 2)).toBe(0xe40c292c);
  });
});
