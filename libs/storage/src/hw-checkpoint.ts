import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir } from '@dms/log';

/** Kafka's name for the per-log-dir high watermark file. */
export const HW_CHECKPOINT_FILE = 'replication-offset-checkpoint';
/** Kafka's per-log-dir file of log start offsets (moved by DeleteRecords and retention). */
export const LOG_START_OFFSET_CHECKPOINT_FILE = 'log-start-offset-checkpoint';
const VERSION = 0;

export interface HwEntry {
  topic: string;
  partition: number;
  offset: bigint;
}

/**
 * Kafka's replication-offset-checkpoint: version, count, then `topic partition offset` lines.
 * A restarted broker starts each partition at its checkpointed high watermark instead of 0, so a
 * re-elected leader keeps serving what was committed before its followers have fetched again.
 */
export function encodeHwCheckpoint(entries: readonly HwEntry[]): string {
  return `${VERSION}\n${entries.length}\n${entries.map((e) => `${e.topic} ${e.partition} ${e.offset}`).join('\n')}${entries.length ? '\n' : ''}`;
}

/** Entries by `topic\0partition`; a missing, torn or foreign file reads as empty (HW 0, as before). */
export function decodeHwCheckpoint(text: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  const lines = text.split('\n').filter((l) => l.length > 0);
  if (lines[0] !== String(VERSION) || !/^\d+$/.test(lines[1] ?? '')) return out;
  const count = Number(lines[1]);
  if (lines.length - 2 !== count) return out;
  for (const line of lines.slice(2)) {
    // Topic names hold no spaces, so the last two fields are partition and offset.
    const m = /^(\S+) (\d+) (\d+)$/.exec(line);
    if (!m) return new Map();
    out.set(hwKey(m[1], Number(m[2])), BigInt(m[3]));
  }
  return out;
}

export const hwKey = (topic: string, partition: number): string => `${topic}\0${partition}`;

export function readHwCheckpoint(logDir: string): Promise<Map<string, bigint>> {
  return readOffsetCheckpoint(logDir, HW_CHECKPOINT_FILE);
}

export function writeHwCheckpoint(logDir: string, entries: readonly HwEntry[]): Promise<void> {
  return writeOffsetCheckpoint(logDir, HW_CHECKPOINT_FILE, entries);
}

/** Any of Kafka's per-log-dir offset checkpoints (same layout): replication-offset, log-start-offset. */
export async function readOffsetCheckpoint(logDir: string, fileName: string): Promise<Map<string, bigint>> {
  try {
    return decodeHwCheckpoint(await readFile(join(logDir, fileName), 'utf8'));
  } catch {
    return new Map();
  }
}

/** Written to a temp file, fsynced and renamed over the old one: a crash leaves one or the other. */
export async function writeOffsetCheckpoint(logDir: string, fileName: string, entries: readonly HwEntry[]): Promise<void> {
  const path = join(logDir, fileName);
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(encodeHwCheckpoint(entries));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  // The file was fsynced: its new name is durable once the directory is too.
  await fsyncDir(logDir);
}
