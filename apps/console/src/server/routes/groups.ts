import type { FastifyInstance } from 'fastify';
import { EARLIEST_TIMESTAMP, ErrorCode, errorName, GroupAdmin, KafkaError, LATEST_TIMESTAMP, type KafkaClient } from '@dms/kafka-client';
import { describeGroupLag } from '../cluster-reader';
import { sessionOf } from '../request-session';
import { checkGroupInactive, parseStrategy, planReset, type PartitionPosition, type ResetStrategy } from '../offset-reset';

/** What a reset needs to know of each partition: log bounds, the committed offset, the offset for a time. */
async function positions(client: KafkaClient, topic: string, partitions: number[], committed: Map<number, bigint>, strategy: ResetStrategy): Promise<PartitionPosition[]> {
  return Promise.all(partitions.map(async (partition) => {
    const [earliest, latest] = await Promise.all([
      client.listOffsets(topic, partition, EARLIEST_TIMESTAMP),
      client.listOffsets(topic, partition, LATEST_TIMESTAMP),
    ]);
    const pos: PartitionPosition = { topic, partition, earliest: earliest.offset, latest: latest.offset, committed: committed.get(partition) ?? null };
    if (strategy.kind === 'time') pos.offsetForTime = (await client.listOffsets(topic, partition, BigInt(strategy.timestampMs))).offset;
    return pos;
  }));
}

/** Consumer groups: list, members and lag, offset reset (dry run, then apply), delete. */
export function registerGroupRoutes(api: FastifyInstance): void {
  api.get('/groups', async (req) => {
    const { client, sampler } = sessionOf(req).resources;
    const groups = await new GroupAdmin(client).listGroups();
    return groups
      .map((g) => ({ ...g, lag: sampler.store.get(`group.lag:${g.groupId}`).at(-1)?.v ?? null }))
      .sort((a, b) => a.groupId.localeCompare(b.groupId));
  });

  api.get('/groups/:group', async (req) => {
    const { group } = req.params as { group: string };
    return describeGroupLag(sessionOf(req).resources.client, group);
  });

  api.post('/groups/:group/reset', async (req) => {
    const { group } = req.params as { group: string };
    const b = (req.body ?? {}) as Record<string, unknown>;
    const strategy = parseStrategy(b);
    if (typeof b.topic !== 'string' || b.topic === '') throw new RangeError('topic is required');
    const topic = b.topic;
    const dryRun = b.dryRun !== false;
    const { client } = sessionOf(req).resources;
    const admin = new GroupAdmin(client);
    const g = await admin.describeGroup(group);
    if (g.errorCode !== ErrorCode.NONE) throw new KafkaError(g.errorCode, `cannot describe group '${group}'`);
    checkGroupInactive(group, g.state, g.members.length);
    const count = await client.partitionCount(topic);
    let partitions = [...Array(count).keys()];
    if (Array.isArray(b.partitions) && b.partitions.length > 0) {
      partitions = b.partitions.map(Number);
      const bad = partitions.find((p) => !Number.isInteger(p) || p < 0 || p >= count);
      if (bad !== undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${topic}' has no partition ${bad}`);
    }
    const committed = new Map((await admin.fetchOffsets(group)).filter((c) => c.topic === topic).map((c) => [c.partition, c.offset]));
    const plan = planReset(strategy, await positions(client, topic, partitions, committed, strategy));
    if (dryRun) return { groupId: group, dryRun: true, plan };
    const results = await admin.commitOffsets(group, plan.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.newOffset })));
    const failed = results.filter((r) => r.errorCode !== ErrorCode.NONE);
    if (failed.length > 0) {
      const f = failed[0];
      throw new KafkaError(f.errorCode, `commit failed for ${f.topic}-${f.partition} (${errorName(f.errorCode)})${failed.length > 1 ? ` and ${failed.length - 1} more` : ''}`);
    }
    return { groupId: group, dryRun: false, plan };
  });

  api.delete('/groups/:group', async (req) => {
    const { group } = req.params as { group: string };
    const code = await new GroupAdmin(sessionOf(req).resources.client).deleteGroup(group);
    if (code !== ErrorCode.NONE) throw new KafkaError(code, `cannot delete group '${group}'`);
    return { ok: true };
  });
}
