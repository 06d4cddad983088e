// CreateTopics (19)
// Behavior: validates names here, sends the rest to the controller leader through the
//   controller port, then waits (within the request timeout) until this gateway's view shows
//   the new topics so the client's next Metadata sees them.
// Version notes: v0-v1 (removed by Kafka 4.0, KIP-896) are served: no conversion is involved;
//   v0 has no validate_only (never a dry run) and no error messages. v5+ returns partitions, replication factor and configs of created topics;
//   v7+ the topic id.
//   Needs CREATE on the cluster or on the topic, else TOPIC_AUTHORIZATION_FAILED.
//   v5+ lists every topic config with its effective value and source (DYNAMIC_TOPIC_CONFIG for
//   the ones given, else the broker layers or the default), as DescribeConfigs would.
// Not implemented: nothing known.
import { createdTopicConfigs } from '@dms/configs';
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, clusterAuthorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';
import { isValidTopicName } from './topic-names';

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

export const createTopicsHandler: KafkaHandler = {
  apiKey: 19,
  name: 'CreateTopics',
  minVersion: 0,
  maxVersion: 7,
  acl: ['CLUSTER:CREATE', 'TOPIC:CREATE'],
  async handle(ctx, req: any) {
    const seen = new Map<string, number>();
    for (const t of req.topics as any[]) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
    const clusterCreate = clusterAuthorized(ctx, Operation.CREATE);
    const mayCreate = (name: string) => clusterCreate || authorized(ctx, Operation.CREATE, Resource.TOPIC, name);
    const specs = (req.topics as any[])
      .filter((t) => isValidTopicName(t.name) && seen.get(t.name) === 1 && mayCreate(t.name))
      .map((t) => ({
        name: t.name as string,
        numPartitions: t.numPartitions as number,
        replicationFactor: t.replicationFactor as number,
        assignments: (t.assignments as any[]).map((a) => ({ partition: a.partitionIndex, brokerIds: a.brokerIds })),
        configs: Object.fromEntries((t.configs as any[]).filter((c) => c.value !== null).map((c) => [c.name, c.value])),
      }));
    const outcomes = specs.length > 0 ? await ctx.controller.createTopics(specs, req.validateOnly ?? false, req.timeoutMs) : [];
    const byName = new Map(outcomes.map((o) => [o.name, o]));
    const created = outcomes.filter((o) => o.errorCode === ErrorCode.NONE).map((o) => o.name);
    if (!req.validateOnly && created.length > 0 && req.timeoutMs > 0) {
      await ctx.cluster.awaitTopics(created, true, Math.min(req.timeoutMs, 30_000)).catch(() => undefined);
    }
    return {
      throttleTimeMs: 0,
      topics: (req.topics as any[]).map((t) => {
        const base = { name: t.name, topicId: ZERO_UUID, topicConfigErrorCode: 0, numPartitions: -1, replicationFactor: -1, configs: null as any };
        if (seen.get(t.name)! > 1) return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `topic ${t.name} appears more than once` };
        if (!mayCreate(t.name)) return { ...base, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' };
        if (!isValidTopicName(t.name)) return { ...base, errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: `illegal topic name '${t.name}'` };
        const o = byName.get(t.name);
        if (!o) return { ...base, errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: 'no answer from the controller' };
        if (o.errorCode !== ErrorCode.NONE) return { ...base, errorCode: o.errorCode, errorMessage: o.errorMessage };
        return {
          ...base,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          topicId: o.topicId || ZERO_UUID,
          numPartitions: o.numPartitions,
          replicationFactor: o.replicationFactor,
          configs: createdTopicConfigs(o.configs, ctx.cluster.topicConfigLayers(t.name)).map((c) => ({
            name: c.name, value: c.value, readOnly: c.readOnly, configSource: c.configSource, isSensitive: c.isSensitive,
          })),
        };
      }),
    };
  },
};
