import type { MessageQuery } from './message-search';

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
