// JSON values of the etcd contract. Decoders validate the shape because etcd is shared and a
// value written by another (older, buggy, hand-edited) writer must never crash a reader:
// a bad value decodes to undefined and the caller logs and skips it.

export interface BrokerRegistration {
  id: number;
  host: string;
  /** gRPC port. */
  port: number;
  rack: string | null;
  startTimeMs: number;
  /** The broker's static values of broker config keys (non-default only), for DescribeConfigs. */
  configs?: Record<string, string>;
  /** Log dirs taken offline after an I/O error (Kafka's log dir failure); absent when none. */
  offlineLogDirs?: string[];
  /**
   * Replicas assigned to this broker that live on an offline log dir, topic -> partitions: the
   * controller treats them as not alive (out of the ISR, never elected) until they are back.
   */
  offlineReplicas?: Record<string, number[]>;
}

/** Whether broker `reg` may hold an in-sync replica of the partition: registered, and its log dir for it online. */
export function replicaOnline(reg: BrokerRegistration | undefined, topic: string, partition: number): boolean {
  return reg !== undefined && !(reg.offlineReplicas?.[topic]?.includes(partition) ?? false);
}

export interface GatewayRegistration {
  id: number;
  host: string;
  /** Kafka PLAINTEXT port. */
  port: number;
  rack: string | null;
  listeners: Record<string, string>;
  startTimeMs: number;
}

export interface ControllerRegistration {
  id: number;
  host: string;
  port: number;
  startTimeMs: number;
  /** The controller's static values of broker config keys (non-default only), for DescribeConfigs. */
  configs?: Record<string, string>;
}

export interface ControllerLeader {
  id: number;
  host: string;
  port: number;
  /** The leader key's createRevision (its fencing token); 0 until the new leader has rewritten it. */
  epoch: number;
}

export interface TopicRecord {
  topicId: string;
  partitions: number;
  replicationFactor: number;
  configs: Record<string, string>;
  createdAtMs: number;
}

export interface PartitionState {
  replicas: number[];
  leader: number;
  leaderEpoch: number;
  isr: number[];
  partitionEpoch: number;
  /**
   * A reassignment in progress (KIP-455): `replicas` is the target followed by the original
   * replicas not in it; these name the target's new replicas and the originals leaving. Both
   * absent (or empty) when no reassignment runs.
   */
  addingReplicas?: number[];
  removingReplicas?: number[];
}

export interface ClusterIdRecord {
  clusterId: string;
}

export interface ValueCodec<T> {
  encode(value: T): string;
  /** undefined when the bytes are not valid JSON of the expected shape. */
  decode(raw: string | Buffer | null | undefined): T | undefined;
}

type Obj = Record<string, unknown>;
type Check<T> = (o: Obj) => T | undefined;

const isInt = (v: unknown, min = -0x80000000, max = 0x7fffffff): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isId = (v: unknown): v is number => isInt(v, 0);
const isPort = (v: unknown): v is number => isInt(v, 0, 65535);
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isRack = (v: unknown): v is string | null => v === null || typeof v === 'string';
const isIdList = (v: unknown): v is number[] => Array.isArray(v) && v.every(isId);
const isStrMap = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every(isStr);

function codec<T>(check: Check<T>): ValueCodec<T> {
  return {
    encode: (value) => JSON.stringify(value),
    decode(raw) {
      if (raw === null || raw === undefined) return undefined;
      let parsed: unknown;
      try {
        parsed = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
      } catch {
        return undefined;
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
      return check(parsed as Obj);
    },
  };
}

const isStrList = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr);
const isPartitionMap = (v: unknown): v is Record<string, number[]> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((ps) => Array.isArray(ps) && ps.every((p) => isInt(p, 0)));

export const brokerRegistration = codec<BrokerRegistration>((o) =>
  isId(o.id) && isNonEmpty(o.host) && isPort(o.port) && isRack(o.rack ?? null) && isTime(o.startTimeMs) && isStrMap(o.configs ?? {}) &&
  isStrList(o.offlineLogDirs ?? []) && isPartitionMap(o.offlineReplicas ?? {})
    ? {
        id: o.id, host: o.host, port: o.port, rack: (o.rack as string | null) ?? null, startTimeMs: o.startTimeMs,
        ...(o.configs ? { configs: { ...(o.configs as Record<string, string>) } } : {}),
        ...(o.offlineLogDirs ? { offlineLogDirs: [...(o.offlineLogDirs as string[])] } : {}),
        ...(o.offlineReplicas ? { offlineReplicas: clonePartitionMap(o.offlineReplicas as Record<string, number[]>) } : {}),
      }
    : undefined,
);

function clonePartitionMap(m: Record<string, number[]>): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [topic, ps] of Object.entries(m)) out[topic] = [...ps];
  return out;
}

export const gatewayRegistration = codec<GatewayRegistration>((o) =>
  isId(o.id) && isNonEmpty(o.host) && isPort(o.port) && isRack(o.rack ?? null) && isTime(o.startTimeMs) &&
  (o.listeners === undefined || isStrMap(o.listeners))
    ? {
        id: o.id,
        host: o.host,
        port: o.port,
        rack: (o.rack as string | null) ?? null,
        listeners: { ...((o.listeners as Record<string, string> | undefined) ?? {}) },
        startTimeMs: o.startTimeMs,
      }
    : undefined,
);

export const controllerRegistration = codec<ControllerRegistration>((o) =>
  isId(o.id) && isNonEmpty(o.host) && isPort(o.port) && isTime(o.startTimeMs) && isStrMap(o.configs ?? {})
    ? { id: o.id, host: o.host, port: o.port, startTimeMs: o.startTimeMs, ...(o.configs ? { configs: { ...(o.configs as Record<string, string>) } } : {}) }
    : undefined,
);

export const controllerLeader = codec<ControllerLeader>((o) =>
  isId(o.id) && isNonEmpty(o.host) && isPort(o.port) && isTime(o.epoch)
    ? { id: o.id, host: o.host, port: o.port, epoch: o.epoch }
    : undefined,
);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const topicRecord = codec<TopicRecord>((o) =>
  isNonEmpty(o.topicId) && UUID.test(o.topicId) && isInt(o.partitions, 1) && isInt(o.replicationFactor, 1) &&
  isStrMap(o.configs ?? {}) && isTime(o.createdAtMs)
    ? {
        topicId: o.topicId,
        partitions: o.partitions,
        replicationFactor: o.replicationFactor,
        configs: { ...((o.configs as Record<string, string> | undefined) ?? {}) },
        createdAtMs: o.createdAtMs,
      }
    : undefined,
);

export const partitionState = codec<PartitionState>((o) =>
  isIdList(o.replicas) && o.replicas.length > 0 && isInt(o.leader, -1) && isInt(o.leaderEpoch, 0) &&
  isIdList(o.isr) && isInt(o.partitionEpoch, 0) && isIdList(o.addingReplicas ?? []) && isIdList(o.removingReplicas ?? [])
    ? {
        replicas: [...o.replicas],
        leader: o.leader,
        leaderEpoch: o.leaderEpoch,
        isr: [...o.isr],
        partitionEpoch: o.partitionEpoch,
        ...((o.addingReplicas as number[] | undefined)?.length ? { addingReplicas: [...(o.addingReplicas as number[])] } : {}),
        ...((o.removingReplicas as number[] | undefined)?.length ? { removingReplicas: [...(o.removingReplicas as number[])] } : {}),
      }
    : undefined,
);

const CLUSTER_ID = /^[A-Za-z0-9_-]{22}$/;

/**
 * A topic deletion some replica brokers have not acted on yet (`topic-deletions/<topicId>`):
 * written by DeleteTopics in the transaction that removes the topic, so a broker deletes a
 * partition directory only when a record names its topic id. Each broker in `brokers` removes
 * itself once its directories are gone; the last one removes the record.
 */
export interface TopicDeletionRecord {
  topicId: string;
  name: string;
  partitions: number;
  /** Replica brokers that have not yet deleted their directories of this topic. */
  brokers: number[];
  deletedAtMs: number;
}

export const topicDeletionRecord = codec<TopicDeletionRecord>((o) =>
  isNonEmpty(o.topicId) && UUID.test(o.topicId) && isNonEmpty(o.name) && isInt(o.partitions, 0) && isIdList(o.brokers) && isTime(o.deletedAtMs)
    ? { topicId: o.topicId, name: o.name, partitions: o.partitions, brokers: [...o.brokers], deletedAtMs: o.deletedAtMs }
    : undefined,
);

/**
 * A replica directory a reassignment took off a broker (`replica-deletions/<topicId>/<partition>/<brokerId>`):
 * written by the controller in the transaction that drops the broker from the partition's replicas
 * (a completed or cancelled move), so the broker deletes its directory only on this record, never
 * on a guess. The broker removes the record once its directory is gone (or is in use again).
 */
export interface ReplicaDeletionRecord {
  topicId: string;
  name: string;
  partition: number;
  brokerId: number;
  createdAtMs: number;
}

export const replicaDeletionRecord = codec<ReplicaDeletionRecord>((o) =>
  isNonEmpty(o.topicId) && UUID.test(o.topicId) && isNonEmpty(o.name) && isInt(o.partition, 0) && isId(o.brokerId) && isTime(o.createdAtMs)
    ? { topicId: o.topicId, name: o.name, partition: o.partition, brokerId: o.brokerId, createdAtMs: o.createdAtMs }
    : undefined,
);

export const clusterIdRecord = codec<ClusterIdRecord>((o) =>
  isStr(o.clusterId) && CLUSTER_ID.test(o.clusterId) ? { clusterId: o.clusterId } : undefined,
);

/** SCRAM credentials of one user, per mechanism; byte fields base64. Never the password. */
export interface ScramCredentialRecord {
  salt: string;
  iterations: number;
  storedKey: string;
  serverKey: string;
}
export interface UserRecord {
  scram: Record<string, ScramCredentialRecord>;
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;
const isB64 = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length < 4096 && B64.test(v);
const isScramCred = (v: unknown): v is ScramCredentialRecord => {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Obj;
  return isB64(c.salt) && isInt(c.iterations, 1) && isB64(c.storedKey) && isB64(c.serverKey);
};

export const userRecord = codec<UserRecord>((o) => {
  const scram = o.scram;
  if (typeof scram !== 'object' || scram === null || Array.isArray(scram)) return undefined;
  const out: Record<string, ScramCredentialRecord> = {};
  for (const [m, c] of Object.entries(scram)) {
    if (m !== 'SCRAM-SHA-256' && m !== 'SCRAM-SHA-512') return undefined;
    if (!isScramCred(c)) return undefined;
    out[m] = { salt: c.salt, iterations: c.iterations, storedKey: c.storedKey, serverKey: c.serverKey };
  }
  return { scram: out };
});

/** One ACL binding; numeric fields carry Kafka's wire codes. */
export interface AclRecord {
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

export const aclRecord = codec<AclRecord>((o) =>
  isInt(o.resourceType, 2, 7) && isNonEmpty(o.resourceName) && (o.patternType === 3 || o.patternType === 4) &&
  isNonEmpty(o.principal) && isNonEmpty(o.host) && isInt(o.operation, 2, 14) && (o.permissionType === 2 || o.permissionType === 3)
    ? {
        resourceType: o.resourceType,
        resourceName: o.resourceName,
        patternType: o.patternType,
        principal: o.principal,
        host: o.host,
        operation: o.operation,
        permissionType: o.permissionType,
      }
    : undefined,
);

/** Dynamic broker config overrides of one entity (a broker or the cluster default). */
export interface BrokerConfigRecord {
  configs: Record<string, string>;
}

export const brokerConfigRecord = codec<BrokerConfigRecord>((o) =>
  isStrMap(o.configs) ? { configs: { ...(o.configs as Record<string, string>) } } : undefined,
);

/**
 * The latest block of producer ids handed out: [blockStart, blockStart + blockLen). Ids are
 * int64, kept as decimal strings so JSON never rounds them.
 */
export interface ProducerIdBlockRecord {
  /** The gateway or broker the block went to. */
  assignedTo: number;
  blockStart: string;
  blockLen: number;
}

const DECIMAL_INT64 = /^(0|[1-9][0-9]{0,18})$/;

export const producerIdBlockRecord = codec<ProducerIdBlockRecord>((o) =>
  isInt(o.assignedTo, -1) && isStr(o.blockStart) && DECIMAL_INT64.test(o.blockStart) && BigInt(o.blockStart) <= 0x7fffffffffffffffn &&
  isInt(o.blockLen, 1)
    ? { assignedTo: o.assignedTo, blockStart: o.blockStart, blockLen: o.blockLen }
    : undefined,
);

/** A cordoned broker (`dms brokers cordon`): automatic placement puts no new replica on it. */
export interface BrokerCordonRecord {
  brokerId: number;
  cordonedAtMs: number;
}

export const brokerCordonRecord = codec<BrokerCordonRecord>((o) =>
  isId(o.brokerId) && isTime(o.cordonedAtMs) ? { brokerId: o.brokerId, cordonedAtMs: o.cordonedAtMs } : undefined,
);

/**
 * The cluster's finalized feature levels (Kafka's FeatureLevelRecords), written by the controller
 * on UpdateFeatures. A feature absent from `levels` is at level 0 (disabled); the key's mod
 * revision is the finalized-features epoch ApiVersions reports.
 */
export interface FinalizedFeaturesRecord {
  levels: Record<string, number>;
}

const isLevelMap = (v: unknown): v is Record<string, number> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((l) => isInt(l, 1) && (l as number) <= 0x7fff);

export const finalizedFeaturesRecord = codec<FinalizedFeaturesRecord>((o) =>
  isLevelMap(o.levels) ? { levels: { ...(o.levels as Record<string, number>) } } : undefined,
);
