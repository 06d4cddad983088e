import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { ApiKey } from '@dms/kafka-schema';
import type { KafkaClient } from './client';

/** DeleteRecords through the Kafka admin API (what `dms records delete` calls). */

export interface RecordsToDelete {
  topic: string;
  partition: number;
  /** Records below this offset go; -1 means the high watermark. */
  offset: bigint;
}

export interface DeletedRecords {
  topic: string;
  partition: number;
  errorCode: number;
  /** The partition's new low watermark (log start offset); -1 on error. */
  lowWatermark: bigint;
}

/**
 * kafka-delete-records.sh's --offset-json-file format:
 * `{"partitions":[{"topic":"t","partition":0,"offset":3}],"version":1}`. Throws a message naming
 * what is wrong, as the Kafka tool refuses such files (duplicates included).
 */
export function parseOffsetJson(text: string): RecordsToDelete[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`the offset JSON file is not valid JSON: ${(e as Error).message}`);
  }
  const root = doc as { version?: unknown; partitions?: unknown };
  if (typeof root !== 'object' || root === null) throw new Error('the offset JSON file must hold an object');
  if (root.version !== undefined && root.version !== 1) throw new Error(`unsupported offset JSON version ${String(root.version)}; expected 1`);
  if (!Array.isArray(root.partitions)) throw new Error('the offset JSON file lacks a "partitions" array');
  const seen = new Set<string>();
  return root.partitions.map((p: unknown, i: number) => {
    const e = p as { topic?: unknown; partition?: unknown; offset?: unknown };
    if (typeof e?.topic !== 'string' || e.topic === '') throw new Error(`partitions[${i}]: "topic" must be a non-empty string`);
    if (typeof e.partition !== 'number' || !Number.isInteger(e.partition) || e.partition < 0) throw new Error(`partitions[${i}]: "partition" must be an integer >= 0`);
    const offset = typeof e.offset === 'number' && Number.isInteger(e.offset) ? BigInt(e.offset) : typeof e.offset === 'string' && /^-?\d+$/.test(e.offset) ? BigInt(e.offset) : undefined;
    if (offset === undefined || offset < -1n) throw new Error(`partitions[${i}]: "offset" must be an integer >= -1`);
    const key = `${e.topic}-${e.partition}`;
    if (seen.has(key)) throw new Error(`the offset JSON file contains duplicate topic partitions: ${key}`);
    seen.add(key);
    return { topic: e.topic, partition: e.partition, offset };
  });
}

/** One DeleteRecords request (any gateway routes each partition to its leader); one answer per partition asked. */
export async function deleteRecords(client: KafkaClient, partitions: readonly RecordsToDelete[], timeoutMs = 30_000): Promise<DeletedRecords[]> {
  const byTopic = new Map<string, { partitionIndex: number; offset: bigint }[]>();
  for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), { partitionIndex: p.partition, offset: p.offset }]);
  const res = await client.adminRequest<any>(
    ApiKey.DeleteRecords,
    { topics: [...byTopic].map(([name, ps]) => ({ name, partitions: ps })), timeoutMs },
    timeoutMs + 5_000,
  );
  const answers = new Map<string, DeletedRecords>();
  for (const t of res.topics as any[]) {
    for (const p of t.partitions as any[]) {
      answers.set(`${t.name}\0${p.partitionIndex}`, { topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode, lowWatermark: p.lowWatermark });
    }
  }
  return partitions.map((p) => {
    const a = answers.get(`${p.topic}\0${p.partition}`);
    if (!a) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `DeleteRecords answer lacks ${p.topic}-${p.partition}`);
    return a;
  });
}
