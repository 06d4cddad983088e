import { writeAllAt, writeAllAtSync } from './file-io';
import { LogError } from './log-error';
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
  /** A rolled segment's seal was processed (indexes persisted; synced too with fsync). */
  onSealed?: (segment: Segment) => void;
}

/**
 * Group commit: items queue up while a write is in flight and the next cycle writes every
 * queued run for one segment with a single writev, then completes them all.
 * A failed write fails the queue for good: the log's bytes and its in-memory view may
 * disagree, and only a reopen (recovery) may resolve that.
 *
 * Without fsync (the default) a cycle only copies bytes into the page cache, which takes
 * microseconds: it runs synchronously on the segment's descriptor once the current turn's
 * appends have queued (process.nextTick after the microtasks that made them), instead of a
 * thread-pool hop and its promises per cycle (docs/decisions/0014). A cycle that must open
 * files or seal a segment, and every cycle with fsync on, stays asynchronous.
 */
export class WriteQueue {
  private queue: QueueItem[] = [];
  private running = false;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];
  failure?: LogError;
  /** writev calls so far: fewer than appends when group commit works. */
  writeCalls = 0;

  constructor(private readonly hooks: WriteQueueHooks) {}

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

  private async run(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0) {
      const items = this.queue.splice(0);
      try {
        if (!this.hooks.fsync && this.writableNow(items)) this.writeCycleSync(items);
        else await this.writeCycle(items);
        const after = this.hooks.afterCycle();
        if (after) await after;
        for (const it of items) if (it.kind === 'write') it.done();
      } catch (e) {
        this.failure = new LogError('storage', `log write failed: ${(e as Error).message}`, { cause: e });
        for (const it of [...items, ...this.queue.splice(0)]) if (it.kind === 'write') it.done(this.failure);
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
  private writeCycleSync(items: QueueItem[]): void {
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
      writeAllAtSync(first.segment.openLogFd()!, buffers, first.position);
      first.segment.markWritten(last.position + last.data.length, last.endOffset);
      for (let k = start; k < j; k++) first.segment.rememberWritten((items[k] as WriteItem).position, buffers[k - start]!);
      this.hooks.onWritten(last.endOffset, first.segment);
    }
  }

  private async writeCycle(items: QueueItem[]): Promise<void> {
    let i = 0;
    while (i < items.length) {
      const first = items[i]!;
      if (first.kind === 'seal') {
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
      await writeAllAt(fh, buffers, first.position);
      if (this.hooks.fsync) {
        await fh.datasync();
        await first.segment.syncDirOnce();
      }
      first.segment.markWritten(last.position + last.data.length, last.endOffset);
      for (let k = 0; k < buffers.length; k++) first.segment.rememberWritten(positions[k]!, buffers[k]!);
      this.hooks.onWritten(last.endOffset, first.segment);
      // Index entries stay in memory until the segment is sealed, flushed or closed (Kafka
      // does not write its mmapped index per append either): recovery rebuilds the active
      // segment's indexes from its batches, so writing them per cycle bought nothing.
    }
  }
}
