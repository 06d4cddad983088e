import type { FastifyInstance } from 'fastify';
import { alterConfigs, describeConfigs, ErrorCode, KafkaError, RESOURCE_TOPIC } from '@dms/kafka-client';
import { endOffsets, topicSizes } from '../cluster-reader';
import { checkResult } from '../http-errors';
import { sessionOf } from '../request-session';

const intIn = (v: unknown, name: string, min: number, max: number): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new RangeError(`${name} must be an integer in ${min}..${max}, got '${String(v)}'`);
  return n;
};

const stringMap = (v: unknown, name: string): Record<string, string> => {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new RangeError(`${name} must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean') throw new RangeError(`${name}.${k} must be a string`);
    out[k] = String(x);
  }
  return out;
};

/** Topics: list, detail with configs, create, configure, add partitions, delete. */
export function registerTopicRoutes(api: FastifyInstance): void {
  api.get('/topics', async (req) => {
    const { client } = sessionOf(req).resources;
    const md = await client.metadata();
    const sizes = await topicSizes(client);
    const ok = md.topics.filter((t) => t.errorCode === ErrorCode.NONE);
    const ends = await endOffsets(client, md);
    return ok.map((t) => {
      let messages = 0n;
      for (const p of t.partitions) messages += ends.get(`${t.name}\0${p.partition}`) ?? 0n;
      return {
        name: t.name,
        topicId: t.topicId,
        internal: t.isInternal,
        partitions: t.partitions.length,
        replicationFactor: t.partitions[0]?.replicas.length ?? 0,
        underReplicated: t.partitions.filter((p) => p.leader >= 0 && p.isr.length < p.replicas.length).length,
        offline: t.partitions.filter((p) => p.leader < 0).length,
        sizeBytes: sizes?.get(t.name) ?? (sizes ? 0 : null),
        endOffsetSum: messages.toString(),
      };
    }).sort((a, b) => a.name.localeCompare(b.name));
  });

  api.get('/topics/:topic', async (req) => {
    const { topic } = req.params as { topic: string };
    const { client } = sessionOf(req).resources;
    const md = await client.metadata([topic]);
    const t = md.topics.find((x) => x.name === topic);
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic '${topic}'`);
    checkResult({ errorCode: t.errorCode, errorMessage: `topic '${topic}'` });
    const ends = await endOffsets(client, md);
    const configs = await describeConfigs(client, { type: RESOURCE_TOPIC, name: topic }).catch((e: Error) => e);
    return {
      name: t.name,
      topicId: t.topicId,
      internal: t.isInternal,
      partitions: t.partitions.map((p) => ({ ...p, endOffset: ends.get(`${topic}\0${p.partition}`)?.toString() ?? null })),
      configs: configs instanceof Error ? null : configs,
      configsError: configs instanceof Error ? configs.message : null,
    };
  });

  api.post('/topics', async (req) => {
    const b = (req.body ?? {}) as { name?: unknown; partitions?: unknown; replicationFactor?: unknown; configs?: unknown; validateOnly?: unknown };
    if (typeof b.name !== 'string' || b.name === '') throw new RangeError('name is required');
    const { client } = sessionOf(req).resources;
    const [r] = await client.createTopics([{
      name: b.name,
      numPartitions: b.partitions === undefined || b.partitions === '' ? -1 : intIn(b.partitions, 'partitions', 1, 100_000),
      replicationFactor: b.replicationFactor === undefined || b.replicationFactor === '' ? -1 : intIn(b.replicationFactor, 'replicationFactor', 1, 1000),
      configs: stringMap(b.configs, 'configs'),
    }], 30_000, b.validateOnly === true);
    checkResult(r);
    return { name: r.name, created: b.validateOnly !== true };
  });

  api.put('/topics/:topic/configs', async (req) => {
    const { topic } = req.params as { topic: string };
    const b = (req.body ?? {}) as { set?: unknown; remove?: unknown };
    const remove = b.remove ?? [];
    if (!Array.isArray(remove) || remove.some((k) => typeof k !== 'string')) throw new RangeError('remove must be a list of config names');
    await alterConfigs(sessionOf(req).resources.client, { type: RESOURCE_TOPIC, name: topic }, stringMap(b.set, 'set'), remove as string[]);
    return { ok: true };
  });

  api.post('/topics/:topic/partitions', async (req) => {
    const { topic } = req.params as { topic: string };
    const b = (req.body ?? {}) as { count?: unknown };
    const [r] = await sessionOf(req).resources.client.createPartitions([{ name: topic, count: intIn(b.count, 'count', 1, 100_000) }]);
    checkResult(r);
    return { ok: true };
  });

  api.delete('/topics/:topic', async (req) => {
    const { topic } = req.params as { topic: string };
    const [r] = await sessionOf(req).resources.client.deleteTopics([topic]);
    checkResult(r);
    return { ok: true };
  });
}
