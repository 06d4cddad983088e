import { LogError } from './log-error';

export interface EpochEntry {
  epoch: number;
  startOffset: bigint;
}

/** Kafka's sentinels for "no such epoch" in OffsetForLeaderEpoch answers. */
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1n;

/**
 * Which leader epoch started at which offset: the data behind OffsetForLeaderEpoch and
 * follower truncation. Pure state; the log persists it with `encodeCheckpoint`.
 */
export class LeaderEpochCache {
  private list: EpochEntry[];

  constructor(entries: EpochEntry[] = []) {
    this.list = entries.map((e) => ({ ...e }));
  }

  get entries(): readonly EpochEntry[] {
    return this.list;
  }

  latest(): EpochEntry | undefined {
    return this.list[this.list.length - 1];
  }

  /**
   * Records that `epoch` starts at `startOffset`. Like Kafka, entries that conflict (same or
   * higher epoch, same or higher start offset) are replaced. Returns whether anything changed.
   */
  assign(epoch: number, startOffset: bigint): boolean {
    const last = this.latest();
    if (last && last.epoch === epoch && last.startOffset <= startOffset) return false;
    this.list = this.list.filter((e) => e.epoch < epoch && e.startOffset < startOffset);
    this.list.push({ epoch, startOffset });
    return true;
  }

  /** Drops epochs that start at or after endOffset (the log was truncated there). */
  truncateFromEnd(endOffset: bigint): boolean {
    const before = this.list.length;
    this.list = this.list.filter((e) => e.startOffset < endOffset);
    return this.list.length !== before;
  }

  /**
   * The log now starts at startOffset: epochs wholly below it go, and the last one that
   * started below it is moved up to start there (Kafka's truncateFromStart).
   */
  truncateFromStart(startOffset: bigint): boolean {
    let lastBelow = -1;
    for (let i = 0; i < this.list.length; i++) if (this.list[i]!.startOffset <= startOffset) lastBelow = i;
    if (lastBelow < 0) return false;
    const kept = this.list[lastBelow]!;
    if (lastBelow === 0 && kept.startOffset === startOffset) return false;
    this.list = [{ epoch: kept.epoch, startOffset }, ...this.list.slice(lastBelow + 1)];
    return true;
  }

  /**
   * Kafka's OffsetForLeaderEpoch answer: the largest epoch <= requested and the offset where
   * the next higher epoch starts (or the log end offset when the requested epoch is current).
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: bigint): { epoch: number; endOffset: bigint } {
    const undefinedAnswer = { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (requestedEpoch === UNDEFINED_EPOCH) return undefinedAnswer;
    const last = this.latest();
    if (last && last.epoch === requestedEpoch) return { epoch: requestedEpoch, endOffset: logEndOffset };
    const higher = this.list.find((e) => e.epoch > requestedEpoch);
    if (!higher) return undefinedAnswer;
    let floor: EpochEntry | undefined;
    for (const e of this.list) if (e.epoch <= requestedEpoch) floor = e;
    return floor
      ? { epoch: floor.epoch, endOffset: higher.startOffset }
      : { epoch: requestedEpoch, endOffset: higher.startOffset };
  }

  /** Kafka's checkpoint text: version line "0", entry count, then "epoch startOffset" lines. */
  encodeCheckpoint(): string {
    return `0\n${this.list.length}\n${this.list.map((e) => `${e.epoch} ${e.startOffset}\n`).join('')}`;
  }

  static parseCheckpoint(text: string): EpochEntry[] {
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    const bad = (why: string) => new LogError('corrupt', `leader-epoch-checkpoint: ${why}`);
    if (lines[0] !== '0') throw bad(`unsupported version ${JSON.stringify(lines[0])}`);
    const count = Number(lines[1]);
    if (!Number.isInteger(count) || count < 0 || lines.length !== count + 2) throw bad('entry count mismatch');
    const entries: EpochEntry[] = [];
    for (const line of lines.slice(2)) {
      const m = /^(\d+) (\d+)$/.exec(line.trim());
      if (!m) throw bad(`malformed line ${JSON.stringify(line)}`);
      entries.push({ epoch: Number(m[1]), startOffset: BigInt(m[2]!) });
    }
    return entries;
  }
}
