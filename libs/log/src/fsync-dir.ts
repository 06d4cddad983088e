import { open } from 'node:fs/promises';

/**
 * fsyncs a directory, so a file created, renamed or removed in it survives a power loss (POSIX
 * makes a directory entry durable only through its directory's fsync). Platforms that cannot
 * open a directory for fsync (EISDIR, EPERM, EINVAL on some file systems) are skipped; every
 * other error is the caller's.
 */
export async function fsyncDir(path: string): Promise<void> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    if (isUnsupported(e)) return;
    throw e;
  }
  try {
    await fh.sync();
  } catch (e) {
    if (!isUnsupported(e)) throw e;
  } finally {
    await fh.close().catch(() => undefined);
  }
}

function isUnsupported(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'EISDIR' || code === 'EPERM' || code === 'EINVAL';
}
