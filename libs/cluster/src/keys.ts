// The one module that knows the etcd key layout (see the cluster contract). Every other module
// builds and parses keys through these functions so the layout can change in one place.

const CLUSTER_NAME = /^[a-zA-Z0-9._-]{1,128}$/;
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
const NODE_ID = /^(0|[1-9][0-9]{0,9})$/;

/** `/dms/<name>/`. A name that could escape its prefix (a slash, empty) is refused. */
export function clusterPrefix(cluster: string): string {
  if (!CLUSTER_NAME.test(cluster)) throw new Error(`invalid cluster name '${cluster}': use [a-zA-Z0-9._-], 1..128 chars`);
  return `/dms/${cluster}/`;
}

export const clusterIdKey = (cluster: string): string => `${clusterPrefix(cluster)}cluster/id`;
export const controllerLeaderKey = (cluster: string): string => `${clusterPrefix(cluster)}controller/leader`;
/** The latest block of producer ids handed out (Kafka's /latest_producer_id_block). */
export const producerIdBlockKey = (cluster: string): string => `${clusterPrefix(cluster)}producer-ids/latest-block`;
/** 32 random bytes (base64) from which gateways derive the SCRAM salts told to unknown users. */
export const scramUnknownUserSecretKey = (cluster: string): string => `${clusterPrefix(cluster)}security/scram-unknown-user-secret`;

export const brokersPrefix = (cluster: string): string => `${clusterPrefix(cluster)}brokers/`;
export const gatewaysPrefix = (cluster: string): string => `${clusterPrefix(cluster)}gateways/`;
export const controllersPrefix = (cluster: string): string => `${clusterPrefix(cluster)}controllers/`;
/** Pending topic deletions by topic id (see TopicDeletionRecord). */
export const topicDeletionsPrefix = (cluster: string): string => `${clusterPrefix(cluster)}topic-deletions/`;
/** Replica directories a broker must delete after a reassignment removed it (see ReplicaDeletionRecord). */
export const replicaDeletionsPrefix = (cluster: string): string => `${clusterPrefix(cluster)}replica-deletions/`;
export const topicsPrefix = (cluster: string): string => `${clusterPrefix(cluster)}topics/`;
export const partitionsPrefix = (cluster: string): string => `${clusterPrefix(cluster)}partitions/`;
/** Trailing slash matters: `partitions/foo/` must not match `partitions/foo.bar/`. */
export const topicPartitionsPrefix = (cluster: string, topic: string): string =>
  `${partitionsPrefix(cluster)}${checkTopic(topic)}/`;

export const topicDeletionKey = (cluster: string, topicId: string): string => `${topicDeletionsPrefix(cluster)}${checkTopicId(topicId)}`;
/** `replica-deletions/<topicId>/<partition>/<brokerId>`. */
export const replicaDeletionKey = (cluster: string, topicId: string, partition: number, brokerId: number): string =>
  `${replicaDeletionsPrefix(cluster)}${checkTopicId(topicId)}/${checkId(partition)}/${checkId(brokerId)}`;
export const brokerKey = (cluster: string, id: number): string => `${brokersPrefix(cluster)}${checkId(id)}`;
/** Cordoned brokers (no new replicas placed on them): controller-owned, one key per broker id. */
export const brokerCordonsPrefix = (cluster: string): string => `${clusterPrefix(cluster)}broker-cordons/`;
export const brokerCordonKey = (cluster: string, id: number): string => `${brokerCordonsPrefix(cluster)}${checkId(id)}`;
/** Brokers being decommissioned (emptied by the controller): controller-owned, one key per broker id. */
export const brokerDecommissionsPrefix = (cluster: string): string => `${clusterPrefix(cluster)}broker-decommissions/`;
export const brokerDecommissionKey = (cluster: string, id: number): string => `${brokerDecommissionsPrefix(cluster)}${checkId(id)}`;
/** Each storage broker's log bytes per replica, under its lease (the self-balancer's disk input). */
export const brokerLoadsPrefix = (cluster: string): string => `${clusterPrefix(cluster)}broker-loads/`;
export const brokerLoadKey = (cluster: string, id: number): string => `${brokerLoadsPrefix(cluster)}${checkId(id)}`;
/** The self-balancer's state and last plan, written by the controller leader each round. */
export const balanceStatusKey = (cluster: string): string => `${clusterPrefix(cluster)}balance/status`;
export const gatewayKey = (cluster: string, id: number): string => `${gatewaysPrefix(cluster)}${checkId(id)}`;
export const controllerKey = (cluster: string, id: number): string => `${controllersPrefix(cluster)}${checkId(id)}`;
export const topicKey = (cluster: string, topic: string): string => `${topicsPrefix(cluster)}${checkTopic(topic)}`;
export const partitionKey = (cluster: string, topic: string, partition: number): string =>
  `${topicPartitionsPrefix(cluster, topic)}${checkId(partition)}`;

function checkId(id: number): number {
  if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff) throw new Error(`invalid id ${id} in an etcd key`);
  return id;
}

function checkTopic(topic: string): string {
  if (!TOPIC_NAME.test(topic) || topic === '.' || topic === '..') throw new Error(`invalid topic name '${topic}' in an etcd key`);
  return topic;
}

const TOPIC_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function checkTopicId(id: string): string {
  if (!TOPIC_ID.test(id)) throw new Error(`invalid topic id '${id}' in an etcd key`);
  return id;
}

export function parseTopicDeletionKey(cluster: string, key: string): string | undefined {
  const prefix = topicDeletionsPrefix(cluster);
  if (!key.startsWith(prefix)) return undefined;
  const id = key.slice(prefix.length);
  return TOPIC_ID.test(id) ? id : undefined;
}

export function parseReplicaDeletionKey(cluster: string, key: string): { topicId: string; partition: number; brokerId: number } | undefined {
  const prefix = replicaDeletionsPrefix(cluster);
  if (!key.startsWith(prefix)) return undefined;
  const [topicId, p, b, ...rest] = key.slice(prefix.length).split('/');
  if (rest.length > 0 || topicId === undefined || !TOPIC_ID.test(topicId) || p === undefined || b === undefined) return undefined;
  const partition = parseId(p);
  const brokerId = parseId(b);
  return partition === undefined || brokerId === undefined ? undefined : { topicId, partition, brokerId };
}

function parseId(s: string): number | undefined {
  if (!NODE_ID.test(s)) return undefined;
  const n = Number(s);
  return n <= 0x7fffffff ? n : undefined;
}

function idUnder(prefix: string, key: string): number | undefined {
  return key.startsWith(prefix) ? parseId(key.slice(prefix.length)) : undefined;
}

export const parseBrokerKey = (cluster: string, key: string): number | undefined => idUnder(brokersPrefix(cluster), key);
export const parseGatewayKey = (cluster: string, key: string): number | undefined => idUnder(gatewaysPrefix(cluster), key);
export const parseControllerKey = (cluster: string, key: string): number | undefined =>
  idUnder(controllersPrefix(cluster), key);

export function parseTopicKey(cluster: string, key: string): string | undefined {
  const prefix = topicsPrefix(cluster);
  if (!key.startsWith(prefix)) return undefined;
  const name = key.slice(prefix.length);
  return TOPIC_NAME.test(name) && name !== '.' && name !== '..' ? name : undefined;
}

export function parsePartitionKey(cluster: string, key: string): { topic: string; partition: number } | undefined {
  const prefix = partitionsPrefix(cluster);
  if (!key.startsWith(prefix)) return undefined;
  const rest = key.slice(prefix.length);
  const slash = rest.lastIndexOf('/');
  if (slash <= 0) return undefined;
  const topic = rest.slice(0, slash);
  const partition = parseId(rest.slice(slash + 1));
  if (partition === undefined || !TOPIC_NAME.test(topic) || topic === '.' || topic === '..') return undefined;
  return { topic, partition };
}

// Dynamic broker configs (Kafka's model): per broker and the cluster default, written by the
// controller leader. `<default>` cannot clash with a broker id.
export const brokerConfigsPrefix = (cluster: string): string => `${clusterPrefix(cluster)}configs/brokers/`;
export const DEFAULT_BROKER_ENTITY = '<default>';
/** `configs/brokers/<id>`, or `configs/brokers/<default>` for id null (the cluster default). */
export const brokerConfigKey = (cluster: string, id: number | null): string =>
  `${brokerConfigsPrefix(cluster)}${id === null ? DEFAULT_BROKER_ENTITY : checkId(id)}`;

/** The broker id of a broker-config key: a number, null for the cluster default, undefined for other keys. */
export function parseBrokerConfigKey(cluster: string, key: string): number | null | undefined {
  const prefix = brokerConfigsPrefix(cluster);
  if (!key.startsWith(prefix)) return undefined;
  const rest = key.slice(prefix.length);
  return rest === DEFAULT_BROKER_ENTITY ? null : parseId(rest);
}

/** The finalized feature levels (one key; its mod revision is the features epoch). */
export const finalizedFeaturesKey = (cluster: string): string => `${clusterPrefix(cluster)}features/finalized`;

// Client-metrics subscriptions (Kafka's CLIENT_METRICS config resources), one key per name,
// URI-encoded so no name can escape the prefix.
export const clientMetricsConfigsPrefix = (cluster: string): string => `${clusterPrefix(cluster)}configs/client-metrics/`;
export function clientMetricsConfigKey(cluster: string, name: string): string {
  if (!name || name.length > 1024) throw new Error('invalid client-metrics resource name in an etcd key');
  return `${clientMetricsConfigsPrefix(cluster)}${encodeURIComponent(name)}`;
}

export function parseClientMetricsConfigKey(cluster: string, key: string): string | undefined {
  const prefix = clientMetricsConfigsPrefix(cluster);
  if (!key.startsWith(prefix)) return undefined;
  try {
    const name = decodeURIComponent(key.slice(prefix.length));
    return name.length > 0 && encodeURIComponent(name) === key.slice(prefix.length) ? name : undefined;
  } catch {
    return undefined;
  }
}

// Per-group configs (Kafka's GROUP config resources), one key per group id, URI-encoded like the
// client-metrics names. They outlive the group, as in Kafka.
export const groupConfigsPrefix = (cluster: string): string => `${clusterPrefix(cluster)}configs/groups/`;
export function groupConfigKey(cluster: string, groupId: string): string {
  if (!groupId || groupId.length > 1024) throw new Error('invalid group id in an etcd key');
  return `${groupConfigsPrefix(cluster)}${encodeURIComponent(groupId)}`;
}

export function parseGroupConfigKey(cluster: string, key: string): string | undefined {
  const prefix = groupConfigsPrefix(cluster);
  if (!key.startsWith(prefix)) return undefined;
  try {
    const id = decodeURIComponent(key.slice(prefix.length));
    return id.length > 0 && encodeURIComponent(id) === key.slice(prefix.length) ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Every key of the contract, classified; undefined for anything else under (or outside) the prefix. */
export type ParsedKey =
  | { kind: 'clusterId' }
  | { kind: 'controllerLeader' }
  | { kind: 'producerIdBlock' }
  | { kind: 'broker'; id: number }
  | { kind: 'gateway'; id: number }
  | { kind: 'controller'; id: number }
  | { kind: 'topic'; topic: string }
  | { kind: 'partition'; topic: string; partition: number }
  | { kind: 'brokerConfig'; id: number | null }
  | { kind: 'finalizedFeatures' }
  | { kind: 'clientMetricsConfig'; name: string }
  | { kind: 'groupConfig'; groupId: string }
  | { kind: 'topicDeletion'; topicId: string }
  | { kind: 'replicaDeletion'; topicId: string; partition: number; brokerId: number }
  | { kind: 'brokerCordon'; id: number };

export function parseKey(cluster: string, key: string): ParsedKey | undefined {
  if (key === clusterIdKey(cluster)) return { kind: 'clusterId' };
  if (key === controllerLeaderKey(cluster)) return { kind: 'controllerLeader' };
  if (key === producerIdBlockKey(cluster)) return { kind: 'producerIdBlock' };
  if (key === finalizedFeaturesKey(cluster)) return { kind: 'finalizedFeatures' };
  const clientMetrics = parseClientMetricsConfigKey(cluster, key);
  if (clientMetrics !== undefined) return { kind: 'clientMetricsConfig', name: clientMetrics };
  const groupId = parseGroupConfigKey(cluster, key);
  if (groupId !== undefined) return { kind: 'groupConfig', groupId };
  let id: number | undefined;
  if ((id = parseBrokerKey(cluster, key)) !== undefined) return { kind: 'broker', id };
  if ((id = parseGatewayKey(cluster, key)) !== undefined) return { kind: 'gateway', id };
  if ((id = parseControllerKey(cluster, key)) !== undefined) return { kind: 'controller', id };
  const topic = parseTopicKey(cluster, key);
  if (topic !== undefined) return { kind: 'topic', topic };
  const tp = parsePartitionKey(cluster, key);
  if (tp) return { kind: 'partition', ...tp };
  const configId = parseBrokerConfigKey(cluster, key);
  if (configId !== undefined) return { kind: 'brokerConfig', id: configId };
  const deletedId = parseTopicDeletionKey(cluster, key);
  if (deletedId !== undefined) return { kind: 'topicDeletion', topicId: deletedId };
  const replica = parseReplicaDeletionKey(cluster, key);
  if (replica) return { kind: 'replicaDeletion', ...replica };
  if (key.startsWith(brokerCordonsPrefix(cluster))) {
    const cordoned = parseId(key.slice(brokerCordonsPrefix(cluster).length));
    if (cordoned !== undefined) return { kind: 'brokerCordon', id: cordoned };
  }
  return undefined;
}

// Security state (written by the controller on admin request, cached by every gateway).
// User names and ACL ids are URI-encoded so no name can escape its prefix.
export const usersPrefix = (cluster: string): string => `${clusterPrefix(cluster)}users/`;
export const aclsPrefix = (cluster: string): string => `${clusterPrefix(cluster)}acls/`;

export function userKey(cluster: string, name: string): string {
  if (!name || name.length > 1024) throw new Error('invalid user name in an etcd key');
  return `${usersPrefix(cluster)}${encodeURIComponent(name)}`;
}
export const aclKey = (cluster: string, id: string): string => `${aclsPrefix(cluster)}${encodeURIComponent(id)}`;

function decodedUnder(prefix: string, key: string): string | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const rest = key.slice(prefix.length);
  if (!rest || rest.includes('/')) return undefined;
  try {
    return decodeURIComponent(rest);
  } catch {
    return undefined;
  }
}
export const parseUserKey = (cluster: string, key: string): string | undefined => decodedUnder(usersPrefix(cluster), key);
export const parseAclKey = (cluster: string, key: string): string | undefined => decodedUnder(aclsPrefix(cluster), key);
