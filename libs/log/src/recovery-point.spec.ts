// Recovery past the recovery point: after an unclean shutdown every segment holding offsets at or
// past it is verified (a torn one is truncated, the segments after it removed); segments below it
// are trusted. And how the point itself moves.
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogConfig } from './log-config';
import { PartitionLog } from './partition-log';
import { recordKeys, testBatch, withTempDir } from './testing/test-batches';

const all = { upperBound: 1n << 62n, minOneBatch: true };

/** Six batches of two records, one per segment (offsets 0..11, segments based 0, 2, 4, ...). */
async function writeSix(dir: string, config: LogConfig = {}): Promise<PartitionLog> {
  const one = (await testBatch({ records: 2, tag: 'x0' })).length;
  const log = await PartitionLog.open(dir, { segmentBytes: one + 10, ...config });
  for (let i = 0; i < 6; i++) await log.append(await testBatch({ records: 2, tag: `x${i}` }), { leaderEpoch: 0 });
  expect(log.segmentList().map((s) => s.baseOffset)).toEqual([0n, 2n, 4n, 6n, 8n, 10n]);
  return log;
}

const segmentFile = (base: number) => `${String(base).padStart(20, '0')}.log`;

/** Flips one byte inside the records of the segment's first batch: its CRC no longer matches. */
async function corrupt(dir: string, base: number): Promise<void> {
  const fh = await open(join(dir, segmentFile(base)), 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, 70);
    b[0] ^= 0xff;
    await fh.write(b, 0, 1, 70);
  } finally {
    await fh.close();
  }
}

async function reopen(dir: string, recoveryPoint: bigint | undefined) {
  const warnings: Array<{ message: string; fields?: Record<string, unknown> }> = [];
  const log = await PartitionLog.open(dir, { recoveryPoint, logger: (level, message, fields) => void (level === 'warn' && warnings.push({ message, fields })) });
  return { log, warnings };
}

/** Every offset readable, segment by segment. */
async function offsets(log: PartitionLog): Promise<bigint[]> {
  const out: bigint[] = [];
  for (let at = log.logStartOffset; at < log.logEndOffset; ) {
    const got = (await recordKeys((await log.read(at, 1 << 20, all)).records)).map((k) => k.offset);
    if (got.length === 0) break;
    out.push(...got);
    at = got[got.length - 1]! + 1n;
  }
  return out;
}

describe('recovery past the recovery point', () => {
  it('verifies a closed segment past the recovery point: truncates it at the bad batch and drops the later segments', () =>
    withTempDir(async (dir) => {
      await (await writeSix(dir)).close();
      await corrupt(dir, 4);
      const { log, warnings } = await reopen(dir, 3n);
      expect(log.logEndOffset).toBe(4n);
      expect(await offsets(log)).toEqual([0n, 1n, 2n, 3n]);
      expect((await readdir(dir)).filter((n) => n.endsWith('.log')).sort()).toEqual([segmentFile(0), segmentFile(2), segmentFile(4)]);
      expect(warnings.map((w) => w.message)).toContain('truncated a torn or corrupt segment past the recovery point; later segments removed');
      // Appends carry on from the cut.
      const r = await log.append(await testBatch({ records: 1, tag: 'after' }), { leaderEpoch: 1 });
      expect(r.baseOffset).toBe(4n);
      await log.close();
    }));

  it('trusts a closed segment below the recovery point (only the active one is verified)', () =>
    withTempDir(async (dir) => {
      await (await writeSix(dir)).close();
      await corrupt(dir, 4);
      const { log, warnings } = await reopen(dir, 8n);
      expect(log.logEndOffset).toBe(12n);
      expect(log.segmentList()).toHaveLength(6);
      expect(warnings).toEqual([]);
      await log.close();
    }));

  it('trusts every closed segment when the owner passes no recovery point (a clean shutdown)', () =>
    withTempDir(async (dir) => {
      await (await writeSix(dir)).close();
      await corrupt(dir, 2);
      const { log } = await reopen(dir, undefined);
      expect(log.logEndOffset).toBe(12n);
      await log.close();
    }));

  it('verifies every segment from 0 when the point is 0 (no checkpoint entry)', () =>
    withTempDir(async (dir) => {
      await (await writeSix(dir)).close();
      await corrupt(dir, 0);
      const { log } = await reopen(dir, 0n);
      expect(log.logEndOffset).toBe(0n);
      expect(log.segmentList()).toHaveLength(1);
      await log.close();
    }));
});

describe('the recovery point', () => {
  it('with fsync always follows every append', () =>
    withTempDir(async (dir) => {
      const log = await writeSix(dir, { fsync: 'always' });
      expect(log.recoveryPoint).toBe(12n);
      await log.truncateTo(5n);
      expect(log.recoveryPoint).toBe(4n);
      await log.close();
    }));

  it('without fsync moves at each roll once the rolled segment is synced, and to the end on flush and close', () =>
    withTempDir(async (dir) => {
      const log = await writeSix(dir);
      // Segments rolled at 2, 4, ... 10 are synced in the background; the active one (10..11) is not.
      for (let i = 0; i < 200 && log.recoveryPoint < 10n; i++) await new Promise((r) => setTimeout(r, 10));
      expect(log.recoveryPoint).toBe(10n);
      await log.flush();
      expect(log.recoveryPoint).toBe(12n);
      await log.append(await testBatch({ records: 2, tag: 'late' }), { leaderEpoch: 0 });
      expect(log.recoveryPoint).toBe(12n);
      await log.close();
      expect(log.recoveryPoint).toBe(14n);
    }));
});
