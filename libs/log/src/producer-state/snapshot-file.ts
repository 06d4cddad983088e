// Producer state snapshots: `<20-digit offset>.snapshot` beside the segments, as Kafka names them,
// holding the producer state after every batch below that offset. Written when a segment rolls and
// when the log closes cleanly; at open the newest one not beyond the recovered log end is loaded and
// only the batches after it are replayed. The format is ours:
//
//   int16  version (1)
//   uint32 CRC-32C of everything after this field
//   int32  producer count, then per producer:
//     int64 producer id, int16 epoch, int32 coordinator epoch, int64 last timestamp,
//     int64 first offset of the open transaction (-1: none), int8 batch count (<= 5), then per batch
//     (oldest first): int32 first sequence, int32 last sequence, int64 first offset,
//     int64 last offset, int64 timestamp
//
// A file that is short, of another version or whose CRC does not match is ignored (and removed):
// the state is then rebuilt from an older snapshot or the log itself.
import { readdir, readFile, rename, unlink, writeFile, open } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { SNAPSHOT_SUFFIX, parseSegmentFileName, segmentFileStem } from '../file-names';
import { fsyncDir } from '../fsync-dir';
import type { BatchMetadata, ProducerEntry } from './producer-entry';

const VERSION = 1;
const HEADER = 2 + 4 + 4;
const ENTRY = 8 + 2 + 4 + 8 + 8 + 1;
const BATCH_SIZE = 4 + 4 + 8 + 8 + 8;

export function snapshotPath(dir: string, offset: bigint): string {
  return join(dir, segmentFileStem(offset) + SNAPSHOT_SUFFIX);
}

export function encodeSnapshot(entries: Iterable<ProducerEntry>): Buffer {
  const list = [...entries];
  let size = HEADER;
  for (const e of list) size += ENTRY + e.batches.length * BATCH_SIZE;
  const buf = Buffer.alloc(size);
  buf.writeInt16BE(VERSION, 0);
  buf.writeInt32BE(list.length, 6);
  let at = HEADER;
  for (const e of list) {
    buf.writeBigInt64BE(e.producerId, at);
    buf.writeInt16BE(e.epoch, at + 8);
    buf.writeInt32BE(e.coordinatorEpoch, at + 10);
    buf.writeBigInt64BE(e.lastTimestamp, at + 14);
    buf.writeBigInt64BE(e.currentTxnFirstOffset, at + 22);
    buf.writeInt8(e.batches.length, at + 30);
    at += ENTRY;
    for (const b of e.batches) {
      buf.writeInt32BE(b.firstSeq, at);
      buf.writeInt32BE(b.lastSeq, at + 4);
      buf.writeBigInt64BE(b.firstOffset, at + 8);
      buf.writeBigInt64BE(b.lastOffset, at + 16);
      buf.writeBigInt64BE(b.timestamp, at + 24);
      at += BATCH_SIZE;
    }
  }
  buf.writeUInt32BE(crc32c(buf.subarray(6)), 2);
  return buf;
}

/** The producers of a snapshot, or undefined when the bytes are not a whole, intact snapshot. */
export function decodeSnapshot(buf: Buffer): ProducerEntry[] | undefined {
  if (buf.length < HEADER || buf.readInt16BE(0) !== VERSION) return undefined;
  if (crc32c(buf.subarray(6)) !== buf.readUInt32BE(2)) return undefined;
  const count = buf.readInt32BE(6);
  const out: ProducerEntry[] = [];
  let at = HEADER;
  for (let i = 0; i < count; i++) {
    if (at + ENTRY > buf.length) return undefined;
    const n = buf.readInt8(at + 30);
    const entry: ProducerEntry = {
      producerId: buf.readBigInt64BE(at),
      epoch: buf.readInt16BE(at + 8),
      coordinatorEpoch: buf.readInt32BE(at + 10),
      lastTimestamp: buf.readBigInt64BE(at + 14),
      currentTxnFirstOffset: buf.readBigInt64BE(at + 22),
      batches: [],
    };
    at += ENTRY;
    if (n < 0 || at + n * BATCH_SIZE > buf.length) return undefined;
    for (let j = 0; j < n; j++) {
      const b: BatchMetadata = {
        firstSeq: buf.readInt32BE(at),
        lastSeq: buf.readInt32BE(at + 4),
        firstOffset: buf.readBigInt64BE(at + 8),
        lastOffset: buf.readBigInt64BE(at + 16),
        timestamp: buf.readBigInt64BE(at + 24),
      };
      entry.batches.push(b);
      at += BATCH_SIZE;
    }
    out.push(entry);
  }
  return at === buf.length ? out : undefined;
}

/** Offsets of the snapshot files in dir, newest first. */
export async function listSnapshots(dir: string): Promise<bigint[]> {
  const names = await readdir(dir);
  return names
    .map((n) => parseSegmentFileName(n, SNAPSHOT_SUFFIX))
    .filter((o): o is bigint => o !== undefined)
    .sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
}

/** Atomic write (temp file + rename), synced when asked. */
export async function writeSnapshot(dir: string, offset: bigint, bytes: Buffer, fsync: boolean): Promise<void> {
  const path = snapshotPath(dir, offset);
  await writeFile(path + '.tmp', bytes);
  if (fsync) {
    const fh = await open(path + '.tmp', 'r+');
    await fh.sync().finally(() => fh.close());
  }
  await rename(path + '.tmp', path);
  if (fsync) await fsyncDir(dir);
}

export async function readSnapshot(dir: string, offset: bigint): Promise<ProducerEntry[] | undefined> {
  try {
    return decodeSnapshot(await readFile(snapshotPath(dir, offset)));
  } catch {
    return undefined;
  }
}

export function deleteSnapshot(dir: string, offset: bigint): Promise<void> {
  return unlink(snapshotPath(dir, offset)).catch(() => {});
}
