import type { FastifyInstance } from 'fastify';
import { buildRecordBatch, CompressionType } from '@dms/kafka-codec';
import { partitionForKey } from '@dms/kafka-client';
import { sessionOf } from '../http-server';
import type { MessageQuery } from '../message-search';
import { parseBytes } from '../render-value';

type Format = 'text' | 'json' | 'hex';
const formatOf = (v: unknown): Format => {
  if (v === undefined || v === null || v === '') return 'text';
  if (v === 'text' || v === 'json' || v === 'hex') return v;
  throw new RangeError(`format must be text, json or hex, got '${String(v)}'`);
};

const partitionList = (v: unknown): number[] | undefined => {
  if (v === undefined || v === null || v === '') return undefined;
  const list = Array.isArray(v) ? v : String(v).split(',');
  return list.map((x) => {
    const n = Number(x);
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`bad partition '${String(x)}'`);
    return n;
  });
};

const timeOf = (v: unknown, name: string): number => {
  const n = typeof v === 'number' ? v : /^\d+$/.test(String(v)) ? Number(v) : Date.parse(String(v));
  if (!Number.isFinite(n)) throw new RangeError(`${name} must be epoch milliseconds or an ISO-8601 time, got '${String(v)}'`);
  return n;
};

/** Parses the browser's search form into a query of one of the three modes. */
export function parseQuery(b: Record<string, unknown>): MessageQuery {
  const topic = b.topic;
  if (typeof topic !== 'string' || topic === '') throw new RangeError('topic is required');
  const limit = b.limit === undefined || b.limit === '' ? 50 : Number(b.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got '${String(b.limit)}'`);
  switch (b.mode) {
    case 'offset': {
      const partition = Number(b.partition);
      if (!Number.isInteger(partition) || partition < 0) throw new RangeError(`partition must be a partition number, got '${String(b.partition)}'`);
      const offset = String(b.offset ?? '0').trim();
      if (!/^\d+$/.test(offset)) throw new RangeError(`offset must be a non-negative integer, got '${offset}'`);
      return { mode: 'offset', topic, partition, offset: BigInt(offset), limit };
    }
    case 'time':
      return { mode: 'time', topic, partitions: partitionList(b.partitions), fromMs: timeOf(b.from, 'from'), toMs: b.to === undefined || b.to === '' ? Date.now() : timeOf(b.to, 'to'), limit };
    case 'key':
      if (typeof b.key !== 'string') throw new RangeError('key is required');
      return { mode: 'key', topic, key: b.key, partitions: partitionList(b.partitions), fromMs: b.from === undefined || b.from === '' ? undefined : timeOf(b.from, 'from'), limit };
    default:
      throw new RangeError(`mode must be offset, time or key, got '${String(b.mode)}'`);
  }
}

/** The message browser (three query modes) and the producer form. */
export function registerMessageRoutes(api: FastifyInstance): void {
  api.post('/messages/search', async (req) => {
    const q = parseQuery((req.body ?? {}) as Record<string, unknown>);
    return sessionOf(req).resources.search.search(q);
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
