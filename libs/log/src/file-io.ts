import { writevSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { LogError } from './log-error';

/** Positional read that loops over short reads; returns the bytes actually present. */
export async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
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
