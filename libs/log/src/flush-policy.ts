import type { Segment } from './segment';

export interface FlushSettings {
  /** Kafka's flush.messages; Infinity: never. */
  flushMessages: number;
  /** Kafka's flush.ms; Infinity: never. */
  flushMs: number;
}

/**
 * Kafka's flush.messages / flush.ms for one log: counts records written since the last flush
 * and fsyncs the segments written meanwhile once enough records or time accumulated. With both
 * unset (Kafka's defaults) it keeps no state and costs one check per write: the OS flushes.
 */
export class FlushPolicy {
  private unflushedMessages = 0;
  private readonly unflushedSegments = new Set<Segment>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly settings: () => FlushSettings,
    private readonly onError: (err: Error) => void,
  ) {}

  get active(): boolean {
    const { flushMessages, flushMs } = this.settings();
    return flushMessages !== Infinity || flushMs !== Infinity;
  }

  /** A write cycle put bytes in `segment`. */
  segmentWritten(segment: Segment): void {
    if (this.active) this.unflushedSegments.add(segment);
  }

  /** An append of `records` records completed; resolves after the flush it triggers, if any. */
  recordsWritten(records: bigint): Promise<void> | undefined {
    if (!this.active) return undefined;
    const { flushMessages, flushMs } = this.settings();
    this.unflushedMessages += Number(records);
    if (this.unflushedMessages >= flushMessages) return this.flush();
    if (flushMs !== Infinity && !this.timer) {
      this.timer = setTimeout(() => void this.flush().catch((err: Error) => this.onError(err)), flushMs);
      this.timer.unref();
    }
    return undefined;
  }

  /** The settings changed: forget pending work when flushing is off now. */
  settingsChanged(): void {
    if (this.active) return;
    this.unflushedMessages = 0;
    this.unflushedSegments.clear();
    this.cancelTimer();
  }

  close(): void {
    this.closed = true;
    this.cancelTimer();
  }

  private async flush(): Promise<void> {
    this.cancelTimer();
    this.unflushedMessages = 0;
    const segments = [...this.unflushedSegments];
    this.unflushedSegments.clear();
    if (this.closed) return;
    for (const s of segments) await s.sync();
  }

  private cancelTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
