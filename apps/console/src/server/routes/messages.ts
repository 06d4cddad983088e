import type { FastifyInstance } from 'fastify';
import { buildRecordBatch, CompressionType } from '@dms/kafka-codec';
import { partitionForKey } from '@dms/kafka-client';
import { sessionOf } from '../request-session';
import { parseQuery } from '../message-query';
import { parseBytes } from '../render-value';
import type { ConsoleMetrics } from '../console-metrics';

type Format = 'text' | 'json' | 'hex';
const formatOf = (v: unknown): Format => {
  if (v === undefined || v === null || v === '') return 'text';
  if (v === 'text' || v === 'json' || v === 'hex') return v;
  throw new RangeError(`format must be text, json or hex, got '${String(v)}'`);
};

/** The message browser (three query modes) and the producer form. */
export function registerMessageRoutes(api: FastifyInstance, metrics?: ConsoleMetrics): void {
  api.post('/messages/search', async (req) => {
    const q = parseQuery((req.body ?? {}) as Record<string, unknown>);
    const result = await sessionOf(req).resources.search.search(q);
    metrics?.onSearch(q.mode, result.keyIndex ? 'key_index' : 'fetch', result.scannedBytes);
    return result;
  });

  api.post('/messages/produce', async (req) => {
    const b = (req.body ?? {}) as { topic?: unknown; partition?: unknown; key?: unknown; value?: unknown; valueFormat?: unknown; headers?: unknown };
    if (typeof b.topic !== 'string' || b.topic === '') throw new RangeError('topic is required');
    const { client } = sessionOf(req).resources;
    const key = b.key === undefined || b.key === null || b.key === '' ? null : parseBytes(String(b.key));
    const value = b.value === undefined || b.value === null ? null : parseBytes(String(b.value), formatOf(b.valueFormat));
    const headersIn = b.headers ?? [];
    if (!Array.isArray(headersIn)) throw new RangeError('headers must be a list of {key, value}');
    const headers = headersIn.map((h: { key?: unknown; value?: unknown }) => {
      if (typeof h?.key !== 'string' || h.key === '') throw new RangeError('every header needs a key');
      return { key: h.key, value: h.value === undefined || h.value === null ? null : String(h.value) };
    });
    const count = await client.partitionCount(b.topic);
    let partition: number;
    if (b.partition === undefined || b.partition === null || b.partition === '') {
      // Keyed: where the Java client puts it (murmur2); unkeyed: any partition.
      partition = key !== null ? partitionForKey(key, count) : Math.floor(Math.random() * count);
    } else {
      partition = Number(b.partition);
      if (!Number.isInteger(partition) || partition < 0 || partition >= count) throw new RangeError(`partition must be in 0..${count - 1}, got '${String(b.partition)}'`);
    }
    const batch = await buildRecordBatch({ compression: CompressionType.None, records: [{ key, value, headers, timestamp: BigInt(Date.now()) }] });
    const r = await client.produce(b.topic, partition, batch, -1);
    return { topic: b.topic, partition, offset: r.baseOffset.toString(), timestamp: r.logAppendTimeMs >= 0n ? Number(r.logAppendTimeMs) : null };
  });
}
