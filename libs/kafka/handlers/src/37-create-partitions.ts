// CreatePartitions (37)
// Behavior: grows topics. The leading controller adds each topic's partitions in one fenced etcd
//   transaction (the topic record's count and the new partition states together), placing the
//   new replicas rack-aware so they continue the topic's spread, or as the request assigns them
//   (one list per added partition, the topic's replication factor, registered distinct brokers,
//   else INVALID_REPLICA_ASSIGNMENT). INVALID_PARTITIONS when the count does not grow,
//   UNKNOWN_TOPIC_OR_PARTITION for an unknown topic, INVALID_REQUEST for a topic named twice and
//   for __consumer_offsets (groups are placed by its partition count). Then waits (within the
//   request timeout) until this gateway's view shows the new partitions led, so the client's next
//   Metadata lists them; storage brokers open the new logs as they see them in etcd.
//   Needs ALTER on each topic, else TOPIC_AUTHORIZATION_FAILED.
// Version notes: v0-v3 differ only in encoding (v2+ flexible); validate_only in every version.
// Not implemented: controller mutation quotas (throttle time is always 0).
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';
import type { NewPartitionsOutcome, NewPartitionsSpec } from './ports';

const MAX_WAIT_MS = 30_000;

export const createPartitionsHandler: KafkaHandler = {
  apiKey: 37,
  name: 'CreatePartitions',
  minVersion: 0,
  maxVersion: 3,
  acl: ['TOPIC:ALTER'],
  async handle(ctx, req: any) {
    const topics = req.topics as any[];
    const seen = new Map<string, number>();
    for (const t of topics) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
    const early = new Map<string, NewPartitionsOutcome>();
    const specs: NewPartitionsSpec[] = [];
    for (const t of topics) {
      if (seen.get(t.name)! > 1) early.set(t.name, { name: t.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' });
      else if (!authorized(ctx, Operation.ALTER, Resource.TOPIC, t.name)) {
        early.set(t.name, { name: t.name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' });
      } else {
        specs.push({ name: t.name, count: t.count, assignments: t.assignments === null ? null : (t.assignments as any[]).map((a) => a.brokerIds as number[]) });
      }
    }
    const outcomes = specs.length > 0 ? await ctx.controller.createPartitions(specs, req.validateOnly ?? false, req.timeoutMs) : [];
    const byName = new Map(outcomes.map((o) => [o.name, o]));
    const grown = new Map(specs.filter((s) => byName.get(s.name)?.errorCode === ErrorCode.NONE).map((s) => [s.name, s.count] as const));
    if (!req.validateOnly && grown.size > 0 && req.timeoutMs > 0) {
      await ctx.cluster.awaitPartitionCounts(grown, Math.min(req.timeoutMs, MAX_WAIT_MS)).catch(() => undefined);
    }
    return {
      throttleTimeMs: 0,
      results: topics.map((t) => {
        const o = early.get(t.name) ?? byName.get(t.name);
        if (!o) return { name: t.name, errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: 'no answer from the controller' };
        return { name: t.name, errorCode: o.errorCode, errorMessage: o.errorCode === ErrorCode.NONE ? null : o.errorMessage };
      }),
    };
  },
};
