import { BATCH, BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD } from '@dms/kafka-codec';
import { ErrorCode } from '@dms/kafka-errors';
import type { PartitionLog } from '@dms/log';
import type { QueryRecord, QueryRequest, QueryResponse, QueryStats } from '@dms/rpc';
import { decodeQueryBatches, keepRecord, type RecordFilter, toQueryRecord } from './query-records';

export const DEFAULT_MAX_RECORDS = 100;
export const MAX_RECORDS = 10_000;
export const DEFAULT_MAX_BYTES = 4 << 20;
export const MAX_BYTES = 64 << 20;
/** Bytes asked of the log per read while scanning. */
const SCAN_READ_BYTES = 1 << 20;
const READ_COMMITTED = 1;

/** A refusal with its Kafka error code (the handler answers it, never throws it further). */
export class QueryRefused extends Error {
  constructor(readonly errorCode: number, message: string) {
    super(message);
  }
}

interface Budget {
  maxRecords: number;
  maxBytes: number;
}

/** What one answer collected so far. */
class Collector {
  readonly records: QueryRecord[] = [];
  readonly stats: QueryStats = { batchesRead: 0, bytesRead: 0n, elapsedUs: 0n, segmentsSearched: 0, usedKeyIndex: false };
  /** Set when the answer stopped early: the offset to continue from. */
  next: bigint | undefined;

  constructor(readonly budget: Budget) {}

  get full(): boolean {
    return this.records.length >= this.budget.maxRecords;
  }

  get bytesLeft(): number {
    return this.budget.maxBytes - Number(this.stats.bytesRead);
  }

  /** Decodes whole batches and keeps the records the filter wants, up to the record budget. */
  async take(batches: Buffer, count: number, filter: RecordFilter): Promise<void> {
    this.stats.batchesRead += count;
    this.stats.bytesRead += BigInt(batches.length);
    for (const batch of await decodeQueryBatches(batches, filter.key)) {
      for (const r of batch.records) {
        if (!keepRecord(batch, r, filter)) continue;
        if (this.full) {
          this.next ??= r.offset;
          return;
        }
        this.records.push(toQueryRecord(batch, r));
      }
    }
  }
}

/**
 * Answers one message query on a partition this broker leads: by offset window, by time range
 * or by key (through the key index, or a full scan when asked or when the topic has it off).
 * Reads stop at the high watermark (read_committed: the last stable offset, aborted records
 * left out); an answer holds at most max_records records and reads about max_bytes of batches,
 * and names the offset to continue from in next_cursor.
 */
export async function runQuery(log: PartitionLog, req: QueryRequest): Promise<Omit<QueryResponse, 'leaderEpoch'>> {
  const started = process.hrtime.bigint();
  const budget: Budget = {
    maxRecords: clamp(req.maxRecords || DEFAULT_MAX_RECORDS, 1, MAX_RECORDS),
    maxBytes: clamp(req.maxBytes || DEFAULT_MAX_BYTES, 1, MAX_BYTES),
  };
  const out = new Collector(budget);
  const hw = log.highWatermark;
  const upper = req.isolationLevel === READ_COMMITTED ? log.lastStableOffset(hw) : hw;
  const start = log.logStartOffset;
  const cursor = parseCursor(req.cursor);
  const aborted = req.isolationLevel === READ_COMMITTED ? (from: bigint) => log.abortedTransactions(from, upper) : () => undefined;

  if (req.byOffset) {
    const { offset, before, after } = req.byOffset;
    if (offset < start || offset >= upper) throw new QueryRefused(ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${offset} is outside [${start}, ${upper}) of this partition`);
    if (before < 0 || after < 0) throw new QueryRefused(ErrorCode.INVALID_REQUEST, 'before and after must not be negative');
    const from = maxBig(cursor ?? offset - BigInt(before), start);
    const to = minBig(offset + BigInt(after) + 1n, upper);
    await scan(log, out, { fromOffset: from, toOffset: to, aborted: aborted(from) }, upper);
  } else if (req.byTime) {
    const { startMs, endMs } = req.byTime;
    if (endMs >= 0n && endMs < startMs) throw new QueryRefused(ErrorCode.INVALID_REQUEST, `end ${endMs} is before start ${startMs}`);
    const range = await timeRange(log, startMs, endMs, upper);
    const from = maxBig(cursor ?? range.from, start);
    await scan(log, out, { fromOffset: from, toOffset: range.to, startMs, endMs: endMs >= 0n ? endMs : undefined, aborted: aborted(from) }, upper);
  } else if (req.byKey) {
    const { key, startMs, endMs, fullScan } = req.byKey;
    if (endMs >= 0n && startMs >= 0n && endMs < startMs) throw new QueryRefused(ErrorCode.INVALID_REQUEST, `end ${endMs} is before start ${startMs}`);
    const range = startMs >= 0n || endMs >= 0n ? await timeRange(log, startMs >= 0n ? startMs : 0n, endMs, upper) : { from: start, to: upper };
    const from = maxBig(cursor ?? range.from, start);
    const filter: RecordFilter = {
      fromOffset: from,
      toOffset: range.to,
      startMs: startMs >= 0n ? startMs : undefined,
      endMs: endMs >= 0n ? endMs : undefined,
      key: Buffer.from(key),
      aborted: aborted(from),
    };
    const indexed = !fullScan && (await byIndex(log, out, filter));
    if (!indexed) await scan(log, out, filter, upper);
  } else {
    throw new QueryRefused(ErrorCode.INVALID_REQUEST, 'a query needs one of by_offset, by_time or by_key');
  }
  out.stats.elapsedUs = (process.hrtime.bigint() - started) / 1000n;
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: '',
    records: out.records,
    nextCursor: out.next === undefined ? '' : out.next.toString(),
    stats: out.stats,
    logStartOffset: start,
    highWatermark: hw,
    logEndOffset: log.logEndOffset,
  };
}

/**
 * Offsets to scan for [startMs, endMs]: from the first record at or after startMs (time index)
 * to the first record after endMs, or the bound when none is.
 */
async function timeRange(log: PartitionLog, startMs: bigint, endMs: bigint, upper: bigint): Promise<{ from: bigint; to: bigint }> {
  const from = (await log.offsetForTimestamp(startMs, upper))?.offset ?? upper;
  const to = endMs >= 0n ? ((await log.offsetForTimestamp(endMs + 1n, upper))?.offset ?? upper) : upper;
  return { from, to: maxBig(from, to) };
}

/** Reads batches in offset order from filter.fromOffset until filter.toOffset or the budget. */
async function scan(log: PartitionLog, out: Collector, filter: RecordFilter, upper: bigint): Promise<void> {
  let pos = filter.fromOffset;
  while (pos < filter.toOffset) {
    if (out.full || out.bytesLeft <= 0) {
      out.next ??= pos;
      return;
    }
    const { records } = await log.read(pos, Math.min(SCAN_READ_BYTES, out.bytesLeft), { upperBound: upper, minOneBatch: true });
    if (records.length === 0) return;
    const { count, end, bytes } = batchesBelow(records, filter.toOffset);
    if (count === 0) return;
    await out.take(records.subarray(0, bytes), count, filter);
    if (out.next !== undefined) return;
    pos = end;
  }
}

/** Key lookup through the index; false when the log has its key index off. */
async function byIndex(log: PartitionLog, out: Collector, filter: RecordFilter): Promise<boolean> {
  let from = filter.fromOffset;
  for (;;) {
    const found = await log.keyIndex.lookup(filter.key!, { fromOffset: from, upperBound: filter.toOffset, minTimestamp: filter.startMs, maxBytes: Math.max(1, out.bytesLeft) });
    if (!found) return false;
    out.stats.usedKeyIndex = true;
    out.stats.segmentsSearched += found.segmentsSearched;
    if (found.batches.length > 0) await out.take(Buffer.concat(found.batches), found.batches.length, filter);
    if (out.next !== undefined) return true;
    if (found.nextOffset === undefined) return true;
    if (out.full || out.bytesLeft <= 0) {
      out.next = found.nextOffset;
      return true;
    }
    from = found.nextOffset;
  }
}

/** The whole batches of a read that start below `to`: how many, their bytes, the offset after them. */
function batchesBelow(records: Buffer, to: bigint): { count: number; end: bigint; bytes: number } {
  let at = 0;
  let count = 0;
  let end = 0n;
  while (at + BATCH_HEADER_SIZE <= records.length) {
    const base = records.readBigInt64BE(at + BATCH.baseOffset);
    if (base >= to) break;
    end = base + BigInt(records.readInt32BE(at + BATCH.lastOffsetDelta)) + 1n;
    at += records.readInt32BE(at + BATCH.batchLength) + BATCH_LOG_OVERHEAD;
    count++;
  }
  return { count, end, bytes: at };
}

function parseCursor(cursor: string): bigint | undefined {
  if (!cursor) return undefined;
  if (!/^\d{1,19}$/.test(cursor)) throw new QueryRefused(ErrorCode.INVALID_REQUEST, `bad cursor '${cursor}'`);
  return BigInt(cursor);
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Math.floor(n)));
}

function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
