// Metadata (3)
// Behavior: brokers are the live gateways; each partition's leader is the gateway chosen for it
//   (always one of the listed brokers), replicas/ISR are storage broker ids. Unknown topics are
//   auto-created when the request allows it and auto.create.topics.enable is on, answering
//   LEADER_NOT_AVAILABLE for this round as Kafka does; otherwise UNKNOWN_TOPIC_OR_PARTITION.
// Version notes: v0 with an empty topic list means all topics; v1+ null means all topics.
//   v10+ may name topics by id only. v13 adds a top-level error code (KIP-1102), always NONE here.
//   With an authorizer: an all-topics request lists only topics the principal may DESCRIBE;
//   a named topic it may not describe answers TOPIC_AUTHORIZATION_FAILED; auto-creation needs
//   CREATE on the cluster or the topic (else TOPIC_AUTHORIZATION_FAILED). Brokers are listed at
//   the address of the listener the client came in on.
// Not implemented: authorized operations (reported as unset).
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, clusterAuthorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';
import type { RequestContext, TopicView } from './ports';
import { isValidTopicName } from './topic-names';

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
const UNSET_OPERATIONS = -2147483648;

function topicEntry(t: TopicView, version: number) {
  return {
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.topicId,
    isInternal: t.internal,
    partitions: t.partitions.map((p) => ({
      errorCode: p.leaderAvailable ? ErrorCode.NONE : ErrorCode.LEADER_NOT_AVAILABLE,
      partitionIndex: p.partition,
      leaderId: p.leaderAvailable ? p.advertisedLeader : -1,
      leaderEpoch: p.leaderEpoch,
      replicaNodes: p.replicas,
      isrNodes: p.isr,
      offlineReplicas: [],
    })),
    topicAuthorizedOperations: UNSET_OPERATIONS,
    _version: version,
  };
}

function errorEntry(name: string | null, topicId: string, errorCode: number) {
  return {
    errorCode,
    name,
    topicId,
    isInternal: false,
    partitions: [],
    topicAuthorizedOperations: UNSET_OPERATIONS,
  };
}

async function autoCreate(ctx: RequestContext, names: string[]): Promise<void> {
  if (names.length === 0) return;
  await ctx.controller.createTopics(
    names.map((name) => ({ name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: {} })),
    false,
    10_000,
  );
  // Give the view a moment to show the new partitions so most clients succeed on this round.
  await ctx.cluster.awaitTopics(names, true, 3_000).catch(() => undefined);
}

export const metadataHandler: KafkaHandler = {
  apiKey: 3,
  name: 'Metadata',
  minVersion: 0,
  maxVersion: 13,
  acl: ['TOPIC:DESCRIBE', 'TOPIC:CREATE'],
  async handle(ctx, req: any, version) {
    const { cluster } = ctx;
    const requested: { topicId?: string; name: string | null }[] | null = req.topics;
    const allTopics = requested === null || (version === 0 && requested.length === 0);
    let topics: any[];
    if (allTopics) {
      topics = cluster.topics().filter((t) => authorized(ctx, Operation.DESCRIBE, Resource.TOPIC, t.name)).map((t) => topicEntry(t, version));
    } else {
      const allowAuto = version >= 4 ? req.allowAutoTopicCreation !== false : true;
      const describable = (name: string) => authorized(ctx, Operation.DESCRIBE, Resource.TOPIC, name);
      const missing: string[] = [];
      for (const t of requested) {
        if (t.name === null || t.name === undefined || !describable(t.name)) continue;
        if (!cluster.topic(t.name) && isValidTopicName(t.name)) missing.push(t.name);
      }
      const autoCreate_ = allowAuto && cluster.config.autoCreateTopicsEnable;
      const clusterCreate = autoCreate_ && clusterAuthorized(ctx, Operation.CREATE);
      const mayCreate = (name: string) => clusterCreate || authorized(ctx, Operation.CREATE, Resource.TOPIC, name);
      const creating = autoCreate_ ? missing.filter(mayCreate) : [];
      const createRefused = new Set(autoCreate_ ? missing.filter((n) => !creating.includes(n)) : []);
      if (creating.length > 0) await autoCreate(ctx, creating).catch(() => undefined);
      topics = requested.map((t) => {
        if (t.name === null || t.name === undefined) {
          const byId = t.topicId ? cluster.topicById(t.topicId) : undefined;
          if (byId && !describable(byId.name)) return errorEntry(null, t.topicId ?? ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
          return byId ? topicEntry(byId, version) : errorEntry(null, t.topicId ?? ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_ID);
        }
        if (!describable(t.name) || createRefused.has(t.name)) return errorEntry(t.name, ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
        const view = cluster.topic(t.name);
        if (view) return topicEntry(view, version);
        if (!isValidTopicName(t.name)) return errorEntry(t.name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION);
        const code = creating.includes(t.name) ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        return errorEntry(t.name, ZERO_UUID, code);
      });
    }
    for (const t of topics) delete t._version;
    return {
      throttleTimeMs: 0,
      brokers: cluster.nodes(ctx.session?.listenerName).map((n) => ({ nodeId: n.nodeId, host: n.host, port: n.port, rack: n.rack })),
      clusterId: cluster.clusterId(),
      controllerId: cluster.controllerId(),
      topics,
      clusterAuthorizedOperations: UNSET_OPERATIONS,
      // v13 (KIP-1102): a top-level error, e.g. REBOOTSTRAP_REQUIRED; a gateway always knows the cluster.
      errorCode: ErrorCode.NONE,
    };
  },
};
