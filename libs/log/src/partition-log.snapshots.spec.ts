import { readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildRecordBatch } from '@dms/kafka-codec';
import { PartitionLog } from './partition-log';
import { withTempDir } from './testing/test-batches';
import { encodeSnapshot, snapshotPath, decodeSnapshot } from './producer-state/snapshot-file';

const leader = { leaderEpoch: 0 };

const idem = (pid: bigint, seq: number, transactional = false) =>
  buildRecordBatch({
    producerId: pid,
    producerEpoch: 0,
    baseSequence: seq,
    transactional,
    records: [{ key: `k${seq}`, value: Buffer.alloc(100, 'v'), timestamp: 1_700_000_000_000n }],
  });

const snapshotsIn = async (dir: string) => (await readdir(dir)).filter((f) => f.endsWith('.snapshot')).sort();

describe('producer state snapshots', () => {
  it('are written at segment rolls and clean close, and loaded at open instead of replaying the log', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, { segmentBytes: 400 });
      for (let i = 0; i < 6; i++) await log.append(await idem(1n, i), leader);
      expect(log.stats().segments).toBeGreaterThan(1);
      await log.close();
      const names = await snapshotsIn(dir);
      expect(names.length).toBeGreaterThan(1);
      expect(names.length).toBeLessThanOrEqual(3);
      expect(names[names.length - 1]).toBe('00000000000000000006.snapshot');
      const latest = decodeSnapshot(await readFile(join(dir, names[names.length - 1]!)))!;
      expect(latest.map((e) => [e.producerId, e.batches.length])).toEqual([[1n, 5]]);

      // The state at the end comes from the snapshot: a producer only it knows is there.
      await writeFile(snapshotPath(dir, 6n), encodeSnapshot([...latest, { producerId: 99n, epoch: 3, batches: [], lastTimestamp: 5n, coordinatorEpoch: 1, currentTxnFirstOffset: -1n }]));
      const again = await PartitionLog.open(dir, { segmentBytes: 400 });
      expect(again.producers.entry(99n)?.epoch).toBe(3);
      expect(await again.append(await idem(1n, 5), leader)).toMatchObject({ baseOffset: 5n, duplicate: true });
      await again.close();
    }));

  it('ignores and removes a torn snapshot, rebuilding the state from the log', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir);
      await log.append(await idem(1n, 0, true), leader);
      await log.append(await idem(2n, 0), leader);
      await log.close();
      expect(await snapshotsIn(dir)).toEqual(['00000000000000000002.snapshot']);
      await truncate(snapshotPath(dir, 2n), 20);
      const again = await PartitionLog.open(dir);
      expect(await snapshotsIn(dir)).toEqual([]);
      expect(again.producers.entry(1n)?.currentTxnFirstOffset).toBe(0n);
      expect(await again.append(await idem(2n, 0), leader)).toMatchObject({ baseOffset: 1n, duplicate: true });
      await again.close();
    }));

  it('drops snapshots beyond the end after truncation and reloads state from an earlier one', () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, { segmentBytes: 400 });
      for (let i = 0; i < 6; i++) await log.append(await idem(1n, i), leader);
      await log.close();
      const again = await PartitionLog.open(dir, { segmentBytes: 400 });
      await again.truncateTo(4n);
      for (const name of await snapshotsIn(dir)) expect(BigInt(name.slice(0, 20))).toBeLessThanOrEqual(4n);
      expect(again.producers.entry(1n)?.batches.map((b) => b.firstSeq)).toEqual([0, 1, 2, 3]);
      expect(await again.append(await idem(1n, 4), leader)).toMatchObject({ baseOffset: 4n });
      await again.close();
    }));
});
