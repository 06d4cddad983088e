import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeHwCheckpoint, encodeHwCheckpoint, HW_CHECKPOINT_FILE, hwKey, LOG_START_OFFSET_CHECKPOINT_FILE, readHwCheckpoint, readOffsetCheckpoint,
  writeHwCheckpoint, writeOffsetCheckpoint,
} from './hw-checkpoint';

describe('replication-offset-checkpoint', () => {
  it("writes Kafka's layout and reads it back", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dms-hw-'));
    try {
      const entries = [{ topic: 'orders', partition: 0, offset: 42n }, { topic: '__consumer_offsets', partition: 17, offset: 9007199254740993n }];
      await writeHwCheckpoint(dir, entries);
      expect(encodeHwCheckpoint(entries)).toBe('0\n2\norders 0 42\n__consumer_offsets 17 9007199254740993\n');
      const read = await readHwCheckpoint(dir);
      expect(read.get(hwKey('orders', 0))).toBe(42n);
      expect(read.get(hwKey('__consumer_offsets', 17))).toBe(9007199254740993n);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('reads a missing, torn or foreign file as empty', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dms-hw-'));
    try {
      expect((await readHwCheckpoint(dir)).size).toBe(0);
      writeFileSync(join(dir, HW_CHECKPOINT_FILE), '0\n2\norders 0 42\n');
      expect((await readHwCheckpoint(dir)).size).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(decodeHwCheckpoint('1\n0\n').size).toBe(0);
    expect(decodeHwCheckpoint('0\n1\norders x 1\n').size).toBe(0);
    expect(decodeHwCheckpoint('0\n0\n').size).toBe(0);
  });
});

describe('log-start-offset-checkpoint', () => {
  it("is a second file in the same layout, beside replication-offset-checkpoint", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dms-lso-'));
    try {
      await writeOffsetCheckpoint(dir, LOG_START_OFFSET_CHECKPOINT_FILE, [{ topic: 'orders', partition: 3, offset: 17n }]);
      expect(readFileSync(join(dir, 'log-start-offset-checkpoint'), 'utf8')).toBe('0\n1\norders 3 17\n');
      expect((await readOffsetCheckpoint(dir, LOG_START_OFFSET_CHECKPOINT_FILE)).get(hwKey('orders', 3))).toBe(17n);
      expect((await readHwCheckpoint(dir)).size).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
