import { writevSync } from 'node:fs';
import { open, rename, writeFile, type FileHandle } from 'node:fs/promises';
import { LogError } from './log-error';
import type { ReadBufferPool } from './read-buffer-pool';

/**
 * Positional read that loops over short reads; returns the bytes actually present. With a pool
 * the buffer is leased from it (the caller releases it); a failed read gives it back.
 */
export async function readAt(fh: FileHandle, position: number, length: number, pool?: ReadBufferPool): Promise<Buffer> {
  const buf = pool ? pool.acquire(length) : Buffer.allocUnsafe(length);
  let done = 0;
  try {
    while (done < length) {
      const { bytesRead } = await fh.read(buf, done, length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
  } catch (err) {
    pool?.release(buf);
    throw err;
  }
  return done === length ? buf : buf.subarray(0, done);
}

/** Positional gather write that loops over short writes. */
export async function writeAllAt(fh: FileHandle, buffers: Buffer[], position: number): Promise<void> {
  let total = 0;
  for (const b of buffers) total += b.length;
  let written = 0;
  let pending = buffers;
  while (written < total) {
    const { bytesWritten } = await fh.writev(pending, position + written);
    if (bytesWritten <= 0) throw new LogError('storage', 'writev wrote no bytes');
    written += bytesWritten;
    if (written < total) pending = dropPrefix(pending, bytesWritten);
  }
}

/** writeAllAt on a raw descriptor, synchronously (page-cache writes without fsync). */
export function writeAllAtSync(fd: number, buffers: Buffer[], position: number): void {
  let total = 0;
  for (const b of buffers) total += b.length;
  let written = 0;
  let pending = buffers;
  while (written < total) {
    const bytesWritten = writevSync(fd, pending, position + written);
    if (bytesWritten <= 0) throw new LogError('storage', 'writev wrote no bytes');
    written += bytesWritten;
    if (written < total) pending = dropPrefix(pending, bytesWritten);
  }
}

function dropPrefix(buffers: Buffer[], n: number): Buffer[] {
  const out: Buffer[] = [];
  let skip = n;
  for (const b of buffers) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    out.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}

/** The I/O steps of the write path a fault can be injected into (see setIoFaultHook). */
export type IoOperation = 'write' | 'sync' | 'checkpoint';

/** Called before each such step; throwing (e.g. an Error with code 'ENOSPC') makes the step fail. */
export type IoFaultHook = (op: IoOperation, path: string) => void;

let faultHook: IoFaultHook | undefined;

/**
 * Test seam for the disk failures a test cannot cause on demand (EIO, ENOSPC at one exact step):
 * the hook runs before every data write, fsync and checkpoint write of every log in the process.
 * Undefined (the default) removes it.
 */
export function setIoFaultHook(hook: IoFaultHook | undefined): void {
  faultHook = hook;
}

/** Runs the fault hook, if any, for one step of the write path. */
export function checkIoFault(op: IoOperation, path: string): void {
  faultHook?.(op, path);
}

/** Atomic rewrite of a small checkpoint file: temp file (fsynced when asked), then rename over. */
export async function writeCheckpointFile(path: string, text: string, fsync: boolean): Promise<void> {
  checkIoFault('checkpoint', path);
  await writeFile(path + '.tmp', text);
  if (fsync) {
    const fh = await open(path + '.tmp', 'r+');
    await fh.sync().finally(() => fh.close());
  }
  await rename(path + '.tmp', path);
}
