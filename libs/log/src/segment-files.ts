// The files of one segment: the `.log` descriptor (opened once, shared by writes and reads, kept
// open for reads in flight past a delete), the two index files, syncs and the delayed delete.
import { constants } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DELETED_SUFFIX, type SegmentPaths } from './file-names';
import { fsyncDir } from './fsync-dir';
import { LogError } from './log-error';

const RW_CREATE = constants.O_RDWR | constants.O_CREAT;

export class SegmentFiles {
  private log?: FileHandle;
  private indexFile?: FileHandle;
  private timeIndexFile?: FileHandle;
  private opening?: Promise<FileHandle>;
  private creating?: Promise<FileHandle>;
  /** Set once create() opened all three files: synchronous writes may use the log's descriptor. */
  private filesOpen = false;
  /** The directory was fsynced after these files were created (first sync()). */
  private dirSynced = false;
  private readers = 0;
  deleted = false;
  /** Replaced by a cleaned segment: never reopened by path. */
  private retired = false;
  /** Set once a deleted segment's grace period is over: the descriptor closes after the last read. */
  private closeAfterReads = false;

  constructor(readonly paths: SegmentPaths) {}

  logFile(): Promise<FileHandle> {
    if (this.log) return Promise.resolve(this.log);
    // A deleted segment must never be re-created by a late reader.
    if (this.deleted || this.retired) return Promise.reject(new LogError('offset-out-of-range', 'segment was deleted'));
    this.opening ??= open(this.paths.log, RW_CREATE).then((fh) => (this.log = fh));
    return this.opening;
  }

  /** Opens the log for writing, creating all three files as Kafka does for a new segment. */
  create(): Promise<FileHandle> {
    this.creating ??= (async () => {
      const fh = await this.logFile();
      this.indexFile ??= await open(this.paths.index, RW_CREATE);
      this.timeIndexFile ??= await open(this.paths.timeIndex, RW_CREATE);
      this.filesOpen = true;
      return fh;
    })();
    return this.creating;
  }

  /** The log's descriptor when create() has opened it and it is still open; undefined otherwise. */
  openLogFd(): number | undefined {
    if (!this.filesOpen || !this.log || this.deleted || this.retired) return undefined;
    const fd = this.log.fd;
    return fd >= 0 ? fd : undefined;
  }

  /** The offset index file, opened (and created) on first need. */
  async indexHandle(): Promise<FileHandle> {
    this.indexFile ??= await open(this.paths.index, RW_CREATE);
    return this.indexFile;
  }

  /** The time index file, opened (and created) on first need. */
  async timeIndexHandle(): Promise<FileHandle> {
    this.timeIndexFile ??= await open(this.paths.timeIndex, RW_CREATE);
    return this.timeIndexFile;
  }

  /** Empties both index files (before they are rewritten from memory). */
  async truncateIndexes(): Promise<void> {
    this.indexFile ??= await open(this.paths.index, RW_CREATE);
    this.timeIndexFile ??= await open(this.paths.timeIndex, RW_CREATE);
    await this.indexFile.truncate(0);
    await this.timeIndexFile.truncate(0);
  }

  async sync(): Promise<void> {
    await this.log?.datasync();
    await this.indexFile?.datasync();
    await this.timeIndexFile?.datasync();
    await this.syncDirOnce();
  }

  /** A file created since is durable by POSIX only once its directory entry is: once per segment. */
  async syncDirOnce(): Promise<void> {
    if (!this.log || this.dirSynced) return;
    await fsyncDir(dirname(this.paths.log));
    this.dirSynced = true;
  }

  /** Closes the index files (entries stay in memory); reopened if ever written again. */
  async closeIndexFiles(): Promise<void> {
    const [a, b] = [this.indexFile, this.timeIndexFile];
    this.indexFile = this.timeIndexFile = undefined;
    await a?.close();
    await b?.close();
  }

  /** See Segment.delete; the caller set `deleted` and dropped what it holds in memory. */
  async delete(delayMs: number): Promise<void> {
    await this.closeIndexFiles();
    const renamed: string[] = [];
    for (const p of [this.paths.log, this.paths.index, this.paths.timeIndex, this.paths.txnIndex, this.paths.keyIndex]) {
      if (delayMs <= 0) {
        await unlink(p).catch(() => {});
        continue;
      }
      try {
        await rename(p, p + DELETED_SUFFIX);
        renamed.push(p + DELETED_SUFFIX);
      } catch {
        // Never created (an empty segment's indexes) or already gone.
      }
    }
    const finish = async () => {
      this.closeAfterReads = true;
      await Promise.all(renamed.map((p) => unlink(p).catch(() => {})));
      if (this.readers === 0) await this.closeLog().catch(() => {});
    };
    if (delayMs <= 0) return finish();
    // Reads holding this segment keep its descriptor (and so its bytes) until the delay is over.
    setTimeout(() => void finish(), delayMs).unref();
  }

  /** See Segment.retire. */
  retire(deletedPaths: readonly string[], delayMs: number): void {
    this.retired = true;
    const timer = setTimeout(() => {
      this.deleted = true;
      this.closeAfterReads = true;
      for (const p of deletedPaths) void unlink(p).catch(() => {});
      if (this.readers === 0) void this.closeLog().catch(() => {});
    }, delayMs);
    timer.unref();
  }

  async close(): Promise<void> {
    await this.closeIndexFiles();
    await this.closeLog();
  }

  private async closeLog(): Promise<void> {
    const fh = this.log ?? (this.opening ? await this.opening.catch(() => undefined) : undefined);
    this.log = undefined;
    this.opening = undefined;
    await fh?.close();
  }

  /** Runs fn on the log's descriptor, which stays open (even past a delete) until fn is done. */
  async withLog<T>(fn: (fh: FileHandle) => Promise<T>): Promise<T> {
    this.readers++;
    try {
      return await fn(await this.logFile());
    } finally {
      this.readers--;
      if (this.closeAfterReads && this.readers === 0) await this.closeLog();
    }
  }
}
