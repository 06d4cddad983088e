import { appendFile, open, readdir, readFile, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BATCH } from '@dms/kafka-codec';
import type { LogConfig } from './log-config';
import { PartitionLog } from './partition-log';
import { recordKeys, testBatch, withTempDir } from './testing/test-batches';

const all = { upperBound: 1n << 62n, minOneBatch: true };
const ACTIVE = '00000000000000000000.log';

interface Logged {
  level: string;
  message: string;
  fields?: Record<string, unknown>;
}

/** Five batches of two records (offsets 0..9) in one segment, closed; returns batch size. */
async function writeFive(dir: string): Promise<number> {
  const log = await PartitionLog.open(dir, {});
  let size = 0;
  for (let i = 0; i < 5; i++) {
    const b = await testBatch({ records: 2, tag: `r${i}` });
    size = b.length;
    await log.append(b, { leaderEpoch: i });
  }
  await log.close();
  return size;
}

async function reopen(dir: string, config: LogConfig = {}) {
  const logged: Logged[] = [];
  const log = await PartitionLog.open(dir, { ...config, logger: (level, message, fields) => logged.push({ level, message, fields }) });
  return { log, logged };
}

async function offsetsIn(log: PartitionLog): Promise<bigint[]> {
  return (await recordKeys((await log.read(log.logStartOffset, 1 << 20, all)).records)).map((k) => k.offset);
}

describe('PartitionLog recovery', () => {
  it('truncates a batch cut short by a crash and carries on after the last good batch', () =>
    withTempDir(async (dir) => {
      const size = await writeFive(dir);
      await truncate(join(dir, ACTIVE), size * 5 - 7);
      const { log, logged } = await reopen(dir);
      expect(log.logEndOffset).toBe(8n);
      expect((await stat(join(dir, ACTIVE))).size).toBe(size * 4);
      expect(logged).toEqual([
        expect.objectContaining({
          level: 'warn',
          fields: expect.objectContaining({ truncatedBytes: size - 7, at: size * 4, reason: 'truncated' }),
        }),
      ]);
      // The epoch of the lost batch goes too.
      expect(log.leaderEpochs.map((e) => e.epoch)).toEqual([0, 1, 2, 3]);
      expect(await readFile(join(dir, 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n4\n0 0\n1 2\n2 4\n3 6\n');
      const res = await log.append(await testBatch({ records: 2 }), { leaderEpoch: 9 });
      expect(res.baseOffset).toBe(8n);
      expect(await offsetsIn(log)).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n]);
      await log.close();
    }));

  it('drops garbage appended after the last batch', () =>
    withTempDir(async (dir) => {
      const size = await writeFive(dir);
      await appendFile(join(dir, ACTIVE), Buffer.from('not a record batch, just some trailing garbage bytes....'));
      const { log, logged } = await reopen(dir);
      expect(log.logEndOffset).toBe(10n);
      expect((await stat(join(dir, ACTIVE))).size).toBe(size * 5);
      expect(logged).toHaveLength(1);
      await log.close();
    }));

  it('truncates at the first batch whose CRC does not match', () =>
    withTempDir(async (dir) => {
      const size = await writeFive(dir);
      const fh = await open(join(dir, ACTIVE), 'r+');
      const at = size * 2 + BATCH.crc + 1;
      const byte = Buffer.alloc(1);
      await fh.read(byte, 0, 1, at);
      byte[0] = byte[0]! ^ 0xff;
      await fh.write(byte, 0, 1, at);
      await fh.close();
      const { log, logged } = await reopen(dir);
      expect(log.logEndOffset).toBe(4n);
      expect(logged[0]?.fields).toMatchObject({ reason: 'bad-crc', at: size * 2 });
      expect(await offsetsIn(log)).toEqual([0n, 1n, 2n, 3n]);
      await log.close();
    }));

  it('recovers an active segment that is entirely torn to an empty log at its base offset', () =>
    withTempDir(async (dir) => {
      await writeFive(dir);
      await truncate(join(dir, ACTIVE), 30);
      const { log } = await reopen(dir);
      expect(log.logEndOffset).toBe(0n);
      expect((await log.read(0n, 100, all)).records.length).toBe(0);
      expect(log.leaderEpochs).toEqual([]);
      await log.close();
    }));

  it('rebuilds missing or torn indexes of older segments and the active one', () =>
    withTempDir(async (dir) => {
      const size = (await testBatch({ records: 2, tag: 'x00' })).length;
      const log = await PartitionLog.open(dir, { segmentBytes: size * 4, indexIntervalBytes: 1 });
      for (let i = 0; i < 10; i++) {
        const batch = await testBatch({ records: 2, tag: `x${String(i).padStart(2, '0')}`, timestamp: BigInt(1000 + i * 10) });
        await log.append(batch, { leaderEpoch: 0 });
      }
      await log.close();
      const names = (await readdir(dir)).sort();
      expect(names.filter((n) => n.endsWith('.log'))).toHaveLength(3);
      const goodIndex = await readFile(join(dir, '00000000000000000000.index'));
      const goodTimeIndex = await readFile(join(dir, '00000000000000000000.timeindex'));
      const goodActiveIndex = await readFile(join(dir, '00000000000000000016.index'));
      expect(goodIndex.length).toBe(3 * 8); // every batch but the first
      expect(goodTimeIndex.length).toBe(3 * 12); // with the index entries; the roll adds none: max already indexed

      await unlink(join(dir, '00000000000000000000.index'));
      await appendFile(join(dir, '00000000000000000008.timeindex'), Buffer.from([1, 2, 3]));
      await writeFile(join(dir, '00000000000000000016.index'), Buffer.alloc(8, 0xff));

      const { log: reopened, logged } = await reopen(dir, { segmentBytes: size * 4, indexIntervalBytes: 1 });
      expect(logged.filter((l) => l.message.includes('rebuilt'))).toHaveLength(2);
      expect(await readFile(join(dir, '00000000000000000000.index'))).toEqual(goodIndex);
      expect(await readFile(join(dir, '00000000000000000000.timeindex'))).toEqual(goodTimeIndex);
      expect((await readFile(join(dir, '00000000000000000008.timeindex'))).length % 12).toBe(0);
      expect(await readFile(join(dir, '00000000000000000016.index'))).toEqual(goodActiveIndex);
      for (let o = 0n; o < 20n; o++) {
        expect((await reopened.read(o, 1, all)).records.readBigInt64BE(0)).toBe(o - (o % 2n));
      }
      await reopened.close();
    }));
});
