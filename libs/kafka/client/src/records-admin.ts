import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { ApiKey } from '@dms/kafka-schema';
import type { KafkaClient } from './client';
import type { KafkaConnection } from './connection';

/** DeleteRecords (what `dms records delete` calls); CreatePartitions is KafkaClient.createPartitions. */

export interface DeleteRecordsSpec {
  topic: string;
  partition: number;
  /** Records before this offset are deleted; -1 means the high watermark. */
  offset: bigint;
}

export interface DeleteRecordsResult {
  topic: string;
  partition: number;
  lowWatermark: bigint;
  errorCode: number;
}

/** DeleteRecords, each partition sent to the broker that leads it (as Kafka's admin client does). */
export async function deleteRecords(client: KafkaClient, specs: DeleteRecordsSpec[], timeoutMs = 30_000): Promise<DeleteRecordsResult[]> {
  const byConn = new Map<KafkaConnection, DeleteRecordsSpec[]>();
  const results: DeleteRecordsResult[] = [];
  for (const s of specs) {
    let conn: KafkaConnection;
    try {
      conn = await client.leaderConnection(s.topic, s.partition);
    } catch (e) {
      results.push({ ...s, lowWatermark: -1n, errorCode: e instanceof KafkaError ? e.code : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
      continue;
    }
    byConn.set(conn, [...(byConn.get(conn) ?? []), s]);
  }
  for (const [conn, list] of byConn) {
    const topics = new Map<string, { partitionIndex: number; offset: bigint }[]>();
    for (const s of list) topics.set(s.topic, [...(topics.get(s.topic) ?? []), { partitionIndex: s.partition, offset: s.offset }]);
    const res = await conn.request<any>(ApiKey.DeleteRecords, { topics: [...topics].map(([name, partitions]) => ({ name, partitions })), timeoutMs }, { timeoutMs: timeoutMs + 5_000 });
    for (const t of res.topics as any[]) {
      for (const p of t.partitions as any[]) results.push({ topic: t.name, partition: p.partitionIndex, lowWatermark: p.lowWatermark, errorCode: p.errorCode });
    }
  }
  return results.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}

/** kafka-delete-records.sh's --offset-json-file: {"partitions":[{"topic":"t","partition":0,"offset":10}],"version":1}. */
export function parseOffsetJson(text: string): DeleteRecordsSpec[] {
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`the offset JSON file is not valid JSON: ${(e as Error).message}`);
  }
  if (!doc || !Array.isArray(doc.partitions) || doc.partitions.length === 0) throw new Error('the offset JSON file needs a non-empty "partitions" list');
  const seen = new Set<string>();
  return doc.partitions.map((p: any, i: number) => {
    if (typeof p?.topic !== 'string' || !Number.isInteger(p.partition) || p.partition < 0) throw new Error(`partitions[${i}] needs "topic" and a "partition" >= 0`);
    const raw = typeof p.offset === 'string' ? p.offset : Number.isInteger(p.offset) ? String(p.offset) : undefined;
    if (raw === undefined || !/^-?\d+$/.test(raw) || BigInt(raw) < -1n) throw new Error(`partitions[${i}] needs an "offset" >= -1`);
    const key = `${p.topic}-${p.partition}`;
    if (seen.has(key)) throw new Error(`partition ${key} appears more than once in the offset JSON file`);
    seen.add(key);
    return { topic: p.topic, partition: p.partition, offset: BigInt(raw) };
  });
}
