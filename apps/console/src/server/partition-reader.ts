import { CompressionType, decodeRecordBatches, type DecodedBatchHeader, type KafkaRecord } from '@dms/kafka-codec';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, type KafkaClient } from '@dms/kafka-client';
import { renderBytes, type RenderedBytes } from './render-value';

/** One record as the message browser shows it. */
export interface BrowsedRecord {
  partition: number;
  offset: string;
  timestamp: number;
  timestampType: string;
  compression: string;
  key: RenderedBytes | null;
  value: RenderedBytes | null;
  headers: { key: string; value: RenderedBytes | null }[];
}

export interface ScanStats {
  scannedBytes: number;
  scannedRecords: number;
}

const FETCH_BYTES = 1 << 20;

/** Log start and end offsets of one partition (ListOffsets EARLIEST and LATEST). */
export async function partitionBounds(client: KafkaClient, topic: string, partition: number): Promise<{ start: bigint; end: bigint }> {
  const [start, end] = await Promise.all([
    client.listOffsets(topic, partition, EARLIEST_TIMESTAMP),
    client.listOffsets(topic, partition, LATEST_TIMESTAMP),
  ]);
  return { start: start.offset, end: end.offset };
}

/** The browser's view of one decoded record. */
export function browsed(partition: number, header: DecodedBatchHeader, r: KafkaRecord): BrowsedRecord {
  return {
    partition,
    offset: r.offset.toString(),
    timestamp: Number(r.timestamp),
    timestampType: header.timestampType,
    compression: CompressionType[header.compression]?.toLowerCase() ?? String(header.compression),
    key: renderBytes(r.key),
    value: renderBytes(r.value),
    headers: r.headers.map((h) => ({ key: h.key, value: renderBytes(h.value) })),
  };
}

/**
 * Reads one partition through Fetch from `from` (inclusive) to `to` (exclusive), handing each
 * non-control record (raw, with a function rendering it for the browser, so a search renders only
 * what it keeps) to `visit` until it returns false, the end is reached or `maxBytes` of batches
 * have been read. Returns the next offset to read (so a caller can report or resume).
 */
export async function scanPartition(
  client: KafkaClient,
  topic: string,
  partition: number,
  from: bigint,
  to: bigint,
  maxBytes: number,
  stats: ScanStats,
  visit: (r: KafkaRecord, render: () => BrowsedRecord) => boolean,
): Promise<bigint> {
  let offset = from;
  let budget = maxBytes;
  let empty = 0;
  while (offset < to && budget > 0 && empty < 3) {
    const res = await client.fetch(topic, partition, offset, Math.min(FETCH_BYTES, Math.max(budget, 1024)), 0, 0);
    budget -= res.records.length;
    stats.scannedBytes += res.records.length;
    const batches = await decodeRecordBatches(res.records);
    empty = batches.length === 0 ? empty + 1 : 0;
    for (const b of batches) {
      const next = b.header.baseOffset + BigInt(b.header.lastOffsetDelta) + 1n;
      if (!b.header.isControl) {
        for (const r of b.records) {
          if (r.offset < offset || r.offset >= to) continue;
          stats.scannedRecords++;
          if (!visit(r, () => browsed(partition, b.header, r))) return r.offset + 1n;
        }
      }
      if (next > offset) offset = next;
    }
  }
  return offset;
}
