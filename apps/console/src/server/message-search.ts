import { ErrorCode, KafkaError, type KafkaClient } from '@dms/kafka-client';
import { partitionBounds, scanPartition, type BrowsedRecord, type ScanStats } from './partition-reader';

/**
 * The message browser's three query modes behind one interface. Offset and time modes read through
 * Fetch (time through ListOffsets by timestamp first); key mode is, for now, a bounded scan through
 * Fetch. A broker-side key index (reached over internal gRPC) replaces `FetchMessageSearch.byKey`
 * here and nowhere else.
 */
export type MessageQuery =
  | { mode: 'offset'; topic: string; partition: number; offset: bigint; limit: number }
  | { mode: 'time'; topic: string; partitions?: number[]; fromMs: number; toMs: number; limit: number }
  | { mode: 'key'; topic: string; key: string; partitions?: number[]; fromMs?: number; limit: number };

export interface MessageSearchResult {
  records: BrowsedRecord[];
  scannedBytes: number;
  scannedRecords: number;
  /** False when a limit (records or bytes) stopped the search before the end of the range. */
  complete: boolean;
  /** Where reading stopped per partition (next offset), for "search further". */
  resumeAt: Record<number, string>;
  /** True when find-by-key was answered by the brokers' key index rather than a scan. */
  keyIndex?: boolean;
}

export interface MessageSearch {
  search(query: MessageQuery): Promise<MessageSearchResult>;
}

export const MAX_RESULTS = 500;

export class FetchMessageSearch implements MessageSearch {
  constructor(
    private readonly client: KafkaClient,
    /** Bytes a key search reads per request (console.key.scan.max.bytes). */
    private readonly keyScanMaxBytes: number,
    /** Bytes an offset or time window reads at most. */
    private readonly windowMaxBytes = 16 << 20,
  ) {}

  search(q: MessageQuery): Promise<MessageSearchResult> {
    const limit = Math.max(1, Math.min(MAX_RESULTS, Math.floor(q.limit)));
    switch (q.mode) {
      case 'offset':
        return this.byOffset(q.topic, q.partition, q.offset, limit);
      case 'time':
        return this.byTime(q.topic, q.partitions, q.fromMs, q.toMs, limit);
      case 'key':
        return this.byKey(q.topic, Buffer.from(q.key, 'utf8'), q.partitions, q.fromMs, limit);
    }
  }

  /** A window of `limit` records starting at `offset` (clamped to the log). */
  async byOffset(topic: string, partition: number, offset: bigint, limit: number): Promise<MessageSearchResult> {
    await this.checkPartitions(topic, [partition]);
    const { start, end } = await partitionBounds(this.client, topic, partition);
    const from = offset < start ? start : offset;
    const stats: ScanStats = { scannedBytes: 0, scannedRecords: 0 };
    const records: BrowsedRecord[] = [];
    const next = await scanPartition(this.client, topic, partition, from, end, this.windowMaxBytes, stats, (_r, render) => {
      records.push(render());
      return records.length < limit;
    });
    return { records, ...stats, complete: next >= end, resumeAt: { [partition]: next.toString() } };
  }

  /** Records with a timestamp in [fromMs, toMs], starting at ListOffsets(fromMs) per partition. */
  async byTime(topic: string, partitions: number[] | undefined, fromMs: number, toMs: number, limit: number): Promise<MessageSearchResult> {
    if (!(toMs >= fromMs)) throw new RangeError('the end of the time range is before its start');
    const ps = await this.checkPartitions(topic, partitions);
    const stats: ScanStats = { scannedBytes: 0, scannedRecords: 0 };
    const records: BrowsedRecord[] = [];
    const resumeAt: Record<number, string> = {};
    let complete = true;
    for (const p of ps) {
      const { end } = await partitionBounds(this.client, topic, p);
      const found = await this.client.listOffsets(topic, p, BigInt(fromMs));
      const from = found.offset < 0n ? end : found.offset;
      let passedEnd = false;
      const next = await scanPartition(this.client, topic, p, from, end, this.windowMaxBytes, stats, (r, render) => {
        // Timestamps need not grow with offsets (CreateTime): stop at the first one past the range.
        const ts = Number(r.timestamp);
        if (ts > toMs) {
          passedEnd = true;
          return false;
        }
        if (ts >= fromMs) records.push(render());
        return records.length < limit;
      });
      resumeAt[p] = next.toString();
      if (!passedEnd && next < end) complete = false;
      if (records.length >= limit) {
        complete = false;
        break;
      }
    }
    records.sort((a, b) => a.timestamp - b.timestamp || a.partition - b.partition);
    return { records, ...stats, complete, resumeAt };
  }

  /** Records whose key equals `key`: a scan of at most keyScanMaxBytes, shared among the partitions. */
  async byKey(topic: string, key: Buffer, partitions: number[] | undefined, fromMs: number | undefined, limit: number): Promise<MessageSearchResult> {
    const ps = await this.checkPartitions(topic, partitions);
    const stats: ScanStats = { scannedBytes: 0, scannedRecords: 0 };
    const records: BrowsedRecord[] = [];
    const resumeAt: Record<number, string> = {};
    let complete = true;
    const perPartition = Math.max(1024, Math.floor(this.keyScanMaxBytes / ps.length));
    for (const p of ps) {
      const { start, end } = await partitionBounds(this.client, topic, p);
      let from = start;
      if (fromMs !== undefined) {
        const found = await this.client.listOffsets(topic, p, BigInt(fromMs));
        from = found.offset < 0n ? end : found.offset;
      }
      const next = await scanPartition(this.client, topic, p, from, end, perPartition, stats, (r, render) => {
        if (r.key !== null && r.key.equals(key)) records.push(render());
        return records.length < limit;
      });
      resumeAt[p] = next.toString();
      if (next < end) complete = false;
      if (records.length >= limit) break;
    }
    return { records, ...stats, complete, resumeAt };
  }

  /** The partitions asked for (all when none), each checked to exist. */
  private async checkPartitions(topic: string, partitions: number[] | undefined): Promise<number[]> {
    const count = await this.client.partitionCount(topic);
    const ps = partitions && partitions.length > 0 ? partitions : [...Array(count).keys()];
    const bad = ps.find((p) => !Number.isInteger(p) || p < 0 || p >= count);
    if (bad !== undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${topic}' has no partition ${bad}`);
    return ps;
  }
}
