import { constants } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import { writeAllAt } from './file-io';

/** One aborted transaction: its producer, data range (first offset .. marker) and the LSO when it ended. */
export interface AbortedTxn {
  producerId: bigint;
  firstOffset: bigint;
  lastOffset: bigint;
  lastStableOffset: bigint;
}

/** Kafka's `.txnindex` entry: version int16 (0), producer id, first offset, last offset, last stable offset (int64 each). */
export const TXN_INDEX_ENTRY_SIZE = 34;

/**
 * A segment's aborted-transaction index (Kafka's TransactionIndex): entries in marker order, held
 * in memory and appended to the `.txnindex` file beside the segment (created with its first
 * entry). The file is derived data: recovery rebuilds it from the log's markers.
 */
export class TxnIndex {
  entries: AbortedTxn[] = [];
  private persisted = 0;
  /** File writes run one at a time. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string) {}

  /** Reads the entries of an existing file (a segment before the replayed range, trusted). */
  async load(): Promise<void> {
    const bytes = await readFile(this.path).catch(() => undefined);
    this.entries = bytes ? decodeEntries(bytes) : [];
    this.persisted = this.entries.length;
  }

  append(entry: AbortedTxn): void {
    this.entries.push(entry);
  }

  /** Entries whose range overlaps [from, to): last offset >= from and first offset < to. */
  collect(from: bigint, to: bigint, out: AbortedTxn[]): void {
    for (const e of this.entries) if (e.lastOffset >= from && e.firstOffset < to) out.push(e);
  }

  /** Writes the entries not yet in the file. */
  persist(): Promise<void> {
    return this.serial(() => this.writeNew());
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async writeNew(): Promise<void> {
    if (this.persisted >= this.entries.length) return;
    const from = this.persisted;
    const to = this.entries.length;
    const fh = await open(this.path, constants.O_RDWR | constants.O_CREAT);
    try {
      await writeAllAt(fh, [encodeEntries(this.entries.slice(from, to))], from * TXN_INDEX_ENTRY_SIZE);
    } finally {
      await fh.close();
    }
    this.persisted = Math.max(this.persisted, to);
  }

  /**
   * Replaces the entries (recovery, truncation, a cleaned segment) and rewrites the file when its
   * bytes differ; no entries means no file.
   */
  replace(entries: AbortedTxn[]): Promise<void> {
    this.entries = entries;
    this.persisted = 0;
    return this.serial(() => this.rewrite(entries));
  }

  private async rewrite(entries: AbortedTxn[]): Promise<void> {
    const want = encodeEntries(entries);
    const have = await readFile(this.path).catch(() => undefined);
    if (have && have.equals(want)) {
      this.persisted = entries.length;
      return;
    }
    if (entries.length === 0) {
      await unlink(this.path).catch(() => {});
    } else {
      const fh = await open(this.path, 'w');
      try {
        await writeAllAt(fh, [want], 0);
      } finally {
        await fh.close();
      }
    }
    this.persisted = entries.length;
  }
}

export function encodeEntries(entries: readonly AbortedTxn[]): Buffer {
  const buf = Buffer.alloc(entries.length * TXN_INDEX_ENTRY_SIZE);
  entries.forEach((e, i) => {
    const at = i * TXN_INDEX_ENTRY_SIZE;
    buf.writeInt16BE(0, at);
    buf.writeBigInt64BE(e.producerId, at + 2);
    buf.writeBigInt64BE(e.firstOffset, at + 10);
    buf.writeBigInt64BE(e.lastOffset, at + 18);
    buf.writeBigInt64BE(e.lastStableOffset, at + 26);
  });
  return buf;
}

/** Entries of a `.txnindex` file; a torn last entry is ignored. */
export function decodeEntries(buf: Buffer): AbortedTxn[] {
  const out: AbortedTxn[] = [];
  for (let at = 0; at + TXN_INDEX_ENTRY_SIZE <= buf.length; at += TXN_INDEX_ENTRY_SIZE) {
    out.push({
      producerId: buf.readBigInt64BE(at + 2),
      firstOffset: buf.readBigInt64BE(at + 10),
      lastOffset: buf.readBigInt64BE(at + 18),
      lastStableOffset: buf.readBigInt64BE(at + 26),
    });
  }
  return out;
}
