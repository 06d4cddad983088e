import { ftruncateSync } from 'node:fs';
import { truncate, unlink } from 'node:fs/promises';
import { checkIoFault, writeAllAt, writeAllAtSync } from './file-io';
import { LogError } from './log-error';
import { type PageCacheWrites, sharedPageCacheWrites } from './page-cache-writes';
import type { Segment } from './segment';

/** Bytes for one segment, already placed at `position` with offsets up to `endOffset`. */
export interface WriteItem {
  kind: 'write';
  segment: Segment;
  position: number;
  data: Buffer;
  endOffset: bigint;
  done: (err?: Error) => void;
}

/** The segment stopped being active: flush its last index entries and close the index files. */
export interface SealItem {
  kind: 'seal';
  segment: Segment;
}

export type QueueItem = WriteItem | SealItem;

export interface WriteQueueHooks {
  fsync: boolean;
  /** Runs after each cycle's writes, before completions (epoch checkpoint); undefined when there is nothing to wait for. */
  afterCycle: () => Promise<void> | undefined;
  onWritten: (endOffset: bigint, segment: Segment) => void;
  /** The queue failed for good (once): the owner takes the log dir offline. */
  onFailure?: (err: LogError) => void;
  /** A rolled segment's seal was processed (indexes persisted; synced too with fsync). */
  onSealed?: (segment: Segment) => void;
  /** Decides when a cycle may write synchronously (default: the process's). */
  pageCache?: PageCacheWrites;
  /** A synchronous cycle's writes took `ms`, and writes leave the event loop for `backoffMs`. */
  onSlowWrites?: (ms: number, backoffMs: number) => void;
}

/** A segment's written extent before a cycle touched it: what a failed cycle rolls back to. */
interface Extent {
  size: number;
  end: bigint;
  /** Rolled to in this cycle: a failure removes its files, so a reopen does not start past the cut. */
  fresh: boolean;
}

/**
 * Group commit: items queue up while a write is in flight and the next cycle writes every
 * queued run for one segment with a single writev, then completes them all.
 * A failed write fails the queue for good: the log's bytes and its in-memory view may
 * disagree, and only a reopen (recovery) may resolve that.
 *
 * Nothing of a cycle becomes readable (the log's end moves, `onWritten`) before all of it is
 * written and the epoch checkpoint (`afterCycle`) is persisted: a cycle that fails anywhere leaves
 * the log end where it was, and its segments are cut back to where they were (best effort), so a
 * failed write is never served, not even after the reopen.
 *
 * Without fsync (the default) a cycle only copies bytes into the page cache, which takes
 * microseconds: it runs synchronously on the segment's descriptor once the current turn's
 * appends have queued (process.nextTick after the microtasks that made them), instead of a
 * thread-pool hop and its promises per cycle (docs/decisions/0014). A cycle that must open
 * files or seal a segment, and every cycle with fsync on, stays asynchronous; so does every cycle
 * for a while after a synchronous one was slow (the kernel throttling writers, see
 * PageCacheWrites).
 */
export class WriteQueue {
  private queue: QueueItem[] = [];
  private running = false;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];
  failure?: LogError;
  /** writev calls so far: fewer than appends when group commit works. */
  writeCalls = 0;
  /** Cycles written synchronously on the event loop so far. */
  syncCycles = 0;
  private readonly pageCache: PageCacheWrites;

  constructor(private readonly hooks: WriteQueueHooks) {
    this.pageCache = hooks.pageCache ?? sharedPageCacheWrites;
  }

  push(items: QueueItem[]): void {
    if (this.failure) {
      for (const it of items) if (it.kind === 'write') it.done(this.failure);
      return;
    }
    for (const it of items) this.queue.push(it);
    if (this.running || this.scheduled) return;
    if (this.hooks.fsync) {
      void this.run();
      return;
    }
    // Appends made in this turn's remaining microtasks join the same cycle.
    this.scheduled = true;
    process.nextTick(this.runScheduled);
  }

  private readonly runScheduled = (): void => {
    this.scheduled = false;
    if (!this.running) void this.run();
  };

  idle(): Promise<void> {
    if (!this.running && !this.scheduled && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Fails the queue for good (first failure wins) and tells the owner once. */
  fail(err: LogError): LogError {
    if (this.failure) return this.failure;
    this.failure = err;
    this.hooks.onFailure?.(err);
    return err;
  }

  private async run(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0) {
      const items = this.queue.splice(0);
      const before = new Map<Segment, Extent>();
      const written: Array<[bigint, Segment]> = [];
      try {
        if (!this.hooks.fsync && this.writableNow(items) && this.pageCache.syncAllowed()) this.writeCycleSync(items, before, written);
        else await this.writeCycle(items, before, written);
        const after = this.hooks.afterCycle();
        if (after) await after;
        for (const [end, segment] of written) this.hooks.onWritten(end, segment);
        for (const it of items) if (it.kind === 'write') it.done();
      } catch (e) {
        // Failed first, so appends made while the cut runs are refused at once.
        const failure = this.fail(e instanceof LogError ? e : new LogError('storage', `log write failed: ${ioMessage(e)}`, { cause: e }));
        await rollBack(before);
        for (const it of [...items, ...this.queue.splice(0)]) if (it.kind === 'write') it.done(failure);
      }
    }
    this.running = false;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Whether every item is a write to a segment whose files are open (a synchronous cycle may run). */
  private writableNow(items: QueueItem[]): boolean {
    for (const it of items) if (it.kind !== 'write' || it.segment.openLogFd() === undefined) return false;
    return true;
  }

  /** writeCycle for writes only, with the segments' files open: page-cache copies, no fsync. */
  private writeCycleSync(items: QueueItem[], before: Map<Segment, Extent>, written: Array<[bigint, Segment]>): void {
    this.syncCycles++;
    let writingMs = 0;
    try {
      writingMs = this.writeRunsSync(items, before, written);
    } finally {
      const backoffMs = this.pageCache.tookSync(writingMs);
      if (backoffMs > 0) this.hooks.onSlowWrites?.(writingMs, backoffMs);
    }
  }

  /** The synchronous cycle's writes, one writev per segment; returns the time spent in them (ms). */
  private writeRunsSync(items: QueueItem[], before: Map<Segment, Extent>, written: Array<[bigint, Segment]>): number {
    let writingMs = 0;
    let i = 0;
    while (i < items.length) {
      const first = items[i] as WriteItem;
      let last = first;
      const start = i;
      let j = i + 1;
      while (j < items.length && (items[j] as WriteItem).segment === first.segment) last = items[j++] as WriteItem;
      const buffers: Buffer[] = new Array(j - start);
      for (let k = start; k < j; k++) buffers[k - start] = (items[k] as WriteItem).data;
      i = j;
      this.writeCalls++;
      remember(before, first.segment, false);
      checkIoFault('write', first.segment.paths.log);
      const started = performance.now();
      writeAllAtSync(first.segment.openLogFd()!, buffers, first.position);
      writingMs += performance.now() - started;
      first.segment.markWritten(last.position + last.data.length, last.endOffset);
      for (let k = start; k < j; k++) first.segment.rememberWritten((items[k] as WriteItem).position, buffers[k - start]!);
      written.push([last.endOffset, first.segment]);
    }
    return writingMs;
  }

  private async writeCycle(items: QueueItem[], before: Map<Segment, Extent>, written: Array<[bigint, Segment]>): Promise<void> {
    let i = 0;
    let rolled = false;
    while (i < items.length) {
      const first = items[i]!;
      if (first.kind === 'seal') {
        rolled = true;
        await first.segment.persistIndexes();
        if (this.hooks.fsync) await first.segment.sync();
        await first.segment.closeIndexFiles();
        this.hooks.onSealed?.(first.segment);
        i++;
        continue;
      }
      const buffers: Buffer[] = [];
      const positions: number[] = [];
      let last = first;
      while (i < items.length) {
        const it = items[i]!;
        if (it.kind !== 'write' || it.segment !== first.segment) break;
        buffers.push(it.data);
        positions.push(it.position);
        last = it;
        i++;
      }
      const fh = await first.segment.files();
      this.writeCalls++;
      remember(before, first.segment, rolled);
      checkIoFault('write', first.segment.paths.log);
      await writeAllAt(fh, buffers, first.position);
      if (this.hooks.fsync) {
        checkIoFault('sync', first.segment.paths.log);
        await fh.datasync();
        await first.segment.syncDirOnce();
      }
      first.segment.markWritten(last.position + last.data.length, last.endOffset);
      for (let k = 0; k < buffers.length; k++) first.segment.rememberWritten(positions[k]!, buffers[k]!);
      written.push([last.endOffset, first.segment]);
      // Index entries stay in memory until the segment is sealed, flushed or closed (Kafka
      // does not write its mmapped index per append either): recovery rebuilds the active
      // segment's indexes from its batches, so writing them per cycle bought nothing.
    }
  }
}

function remember(before: Map<Segment, Extent>, segment: Segment, afterRoll: boolean): void {
  if (!before.has(segment)) before.set(segment, { size: segment.writtenSize, end: segment.writtenEnd, fresh: afterRoll && segment.writtenSize === 0 });
}

/**
 * After a failed cycle: each segment it touched goes back to its extent before the cycle, in
 * memory and on disk, so a reopen's recovery cannot bring back a batch whose append failed.
 * Best effort: on a dead disk the cut may fail too; the log is already refusing everything.
 */
async function rollBack(before: Map<Segment, Extent>): Promise<void> {
  for (const [segment, extent] of before) {
    segment.markWritten(extent.size, extent.end);
    try {
      if (extent.fresh) {
        for (const p of [segment.paths.log, segment.paths.index, segment.paths.timeIndex]) await unlink(p).catch(() => undefined);
        continue;
      }
      const fd = segment.openLogFd();
      // A segment sealed in the cycle has its descriptor for reads only: cut it by path.
      if (fd !== undefined) ftruncateSync(fd, extent.size);
      else await truncate(segment.paths.log, extent.size);
    } catch {
      // The disk refuses even this; recovery then finds the torn or unacknowledged tail.
    }
  }
}

/** An I/O error's message, with its errno code when the message does not already name it. */
export function ioMessage(e: unknown): string {
  const message = (e as Error)?.message ?? String(e);
  const code = (e as NodeJS.ErrnoException)?.code;
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
