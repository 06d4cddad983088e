import { EventEmitter } from 'node:events';
import type { Etcd3 } from 'etcd3';
import { clusterPrefix, parseKey, type ParsedKey } from './keys';
import { silentLog, type Log } from './logger';
import {
  brokerConfigRecord,
  brokerCordonRecord,
  brokerRegistration,
  finalizedFeaturesRecord,
  clusterIdRecord,
  controllerLeader,
  controllerRegistration,
  gatewayRegistration,
  partitionState,
  topicDeletionRecord,
  replicaDeletionRecord,
  topicRecord,
  type BrokerRegistration,
  type ControllerLeader,
  type ControllerRegistration,
  type GatewayRegistration,
  type PartitionState,
  type TopicDeletionRecord,
  type ReplicaDeletionRecord,
  type TopicRecord,
} from './types';
import { PrefixWatch, type CacheChange } from './watch-cache';

export type ClusterValue =
  | { kind: 'clusterId'; clusterId: string }
  | { kind: 'controllerLeader'; value: ControllerLeader }
  | { kind: 'broker'; value: BrokerRegistration }
  | { kind: 'gateway'; value: GatewayRegistration }
  | { kind: 'controller'; value: ControllerRegistration }
  | { kind: 'topic'; name: string; value: TopicRecord }
  | { kind: 'partition'; topic: string; partition: number; value: PartitionState }
  | { kind: 'brokerConfig'; id: number | null; configs: Record<string, string> }
  | { kind: 'finalizedFeatures'; levels: Record<string, number> }
  | { kind: 'clientMetricsConfig'; name: string; configs: Record<string, string> }
  | { kind: 'groupConfig'; groupId: string; configs: Record<string, string> }
  | { kind: 'topicDeletion'; value: TopicDeletionRecord }
  | { kind: 'replicaDeletion'; key: string; value: ReplicaDeletionRecord }
  | { kind: 'brokerCordon'; id: number };

export type ClusterChange = CacheChange<ClusterValue>;

function decodeValue(parsed: ParsedKey, raw: Buffer): ClusterValue | undefined {
  switch (parsed.kind) {
    case 'clusterId': {
      const v = clusterIdRecord.decode(raw);
      return v && { kind: 'clusterId', clusterId: v.clusterId };
    }
    case 'controllerLeader': {
      const v = controllerLeader.decode(raw);
      return v && { kind: 'controllerLeader', value: v };
    }
    case 'broker': {
      const v = brokerRegistration.decode(raw);
      return v && v.id === parsed.id ? { kind: 'broker', value: v } : undefined;
    }
    case 'gateway': {
      const v = gatewayRegistration.decode(raw);
      return v && v.id === parsed.id ? { kind: 'gateway', value: v } : undefined;
    }
    case 'controller': {
      const v = controllerRegistration.decode(raw);
      return v && v.id === parsed.id ? { kind: 'controller', value: v } : undefined;
    }
    case 'topic': {
      const v = topicRecord.decode(raw);
      return v && { kind: 'topic', name: parsed.topic, value: v };
    }
    case 'partition': {
      const v = partitionState.decode(raw);
      return v && { kind: 'partition', topic: parsed.topic, partition: parsed.partition, value: v };
    }
    case 'brokerConfig': {
      const v = brokerConfigRecord.decode(raw);
      return v && { kind: 'brokerConfig', id: parsed.id, configs: v.configs };
    }
    case 'finalizedFeatures': {
      const v = finalizedFeaturesRecord.decode(raw);
      return v && { kind: 'finalizedFeatures', levels: v.levels };
    }
    case 'clientMetricsConfig': {
      const v = brokerConfigRecord.decode(raw);
      return v && { kind: 'clientMetricsConfig', name: parsed.name, configs: v.configs };
    }
    case 'groupConfig': {
      const v = brokerConfigRecord.decode(raw);
      return v && { kind: 'groupConfig', groupId: parsed.groupId, configs: v.configs };
    }
    case 'topicDeletion': {
      const v = topicDeletionRecord.decode(raw);
      return v && v.topicId === parsed.topicId ? { kind: 'topicDeletion', value: v } : undefined;
    }
    case 'replicaDeletion': {
      const v = replicaDeletionRecord.decode(raw);
      return v && v.topicId === parsed.topicId && v.partition === parsed.partition && v.brokerId === parsed.brokerId
        ? { kind: 'replicaDeletion', key: `${v.topicId}/${v.partition}/${v.brokerId}`, value: v }
        : undefined;
    }
    case 'brokerCordon': {
      const v = brokerCordonRecord.decode(raw);
      return v && v.brokerId === parsed.id ? { kind: 'brokerCordon', id: v.brokerId } : undefined;
    }
  }
}

/**
 * Everything a gateway, broker or controller needs to know about the cluster, from one watch
 * on the cluster prefix. Reads are synchronous from the cache; 'change' (ClusterChange) fires
 * for every put/delete of a valid value. A malformed value is logged and treated as absent.
 */
export class ClusterView extends EventEmitter {
  private readonly watch: PrefixWatch<ClusterValue>;
  private clusterIdValue: string | undefined;
  private leader: ControllerLeader | undefined;
  private readonly brokerMap = new Map<number, BrokerRegistration>();
  private readonly gatewayMap = new Map<number, GatewayRegistration>();
  private readonly controllerMap = new Map<number, ControllerRegistration>();
  private readonly topicMap = new Map<string, TopicRecord>();
  private readonly partitionMap = new Map<string, Map<number, PartitionState>>();
  /** Dynamic broker configs by broker id; null is the cluster default (`<default>`). */
  private readonly brokerConfigMap = new Map<number | null, Record<string, string>>();
  /** Cordoned broker ids (broker-cordons/<id>). */
  private readonly cordoned = new Set<number>();
  /** Finalized feature levels and the key's mod revision (the features epoch); undefined before any UpdateFeatures. */
  private features: { levels: Record<string, number>; epoch: bigint } | undefined;
  /** Client-metrics subscriptions (CLIENT_METRICS config resources) by name. */
  private readonly clientMetricsMap = new Map<string, Record<string, string>>();
  /** Per-group configs (GROUP config resources) by group id. */
  private readonly groupConfigMap = new Map<string, Record<string, string>>();
  /** Pending topic deletions by topic id, with each key's modRevision (brokers acknowledge by CAS). */
  private readonly deletionMap = new Map<string, { value: TopicDeletionRecord; modRevision: bigint }>();
  /** Replica directories to delete after a reassignment, by `<topicId>/<partition>/<brokerId>`, with modRevision. */
  private readonly replicaDeletionMap = new Map<string, { value: ReplicaDeletionRecord; modRevision: bigint }>();
  /** modRevision of each topic key, for compare-and-set of its configs. */
  private readonly topicRevisions = new Map<string, bigint>();
  /** createRevision of each broker's key: its registration generation (Kafka's broker epoch). */
  private readonly brokerEpochs = new Map<number, bigint>();
  /** modRevision of each partition key, for compare-and-set and "written since" checks. */
  private readonly partitionRevisions = new Map<string, bigint>();
  readonly ready: Promise<void>;

  constructor(
    client: Etcd3,
    readonly clusterName: string,
    log: Log = silentLog,
  ) {
    super();
    const prefix = clusterPrefix(clusterName);
    this.watch = new PrefixWatch<ClusterValue>(client, {
      prefix,
      log,
      decode: (key, raw) => {
        const parsed = parseKey(clusterName, key);
        if (!parsed) return undefined; // keys of other features (acls, users) are not ours to judge
        const value = decodeValue(parsed, raw);
        if (!value) log.warn({ key, value: raw.toString('utf8').slice(0, 200) }, 'ignoring malformed etcd value');
        return value;
      },
    });
    this.watch.on('change', (c: ClusterChange) => {
      this.index(c);
      this.emit('change', c);
    });
    this.ready = this.watch.ready;
  }

  start(): this {
    this.watch.start();
    return this;
  }

  close(): Promise<void> {
    return this.watch.close();
  }

  get revision(): bigint {
    return this.watch.revision;
  }

  clusterId(): string | undefined {
    return this.clusterIdValue;
  }

  /** The leader's value with `epoch` set to the key's createRevision (the fencing token). */
  controllerLeader(): ControllerLeader | undefined {
    return this.leader;
  }

  brokers(): BrokerRegistration[] {
    return [...this.brokerMap.values()].sort((a, b) => a.id - b.id);
  }

  broker(id: number): BrokerRegistration | undefined {
    return this.brokerMap.get(id);
  }

  gateways(): GatewayRegistration[] {
    return [...this.gatewayMap.values()].sort((a, b) => a.id - b.id);
  }

  controllers(): ControllerRegistration[] {
    return [...this.controllerMap.values()].sort((a, b) => a.id - b.id);
  }

  topics(): ReadonlyMap<string, TopicRecord> {
    return this.topicMap;
  }

  topic(name: string): TopicRecord | undefined {
    return this.topicMap.get(name);
  }

  /** Topic deletions not yet acted on by every replica broker, by topic id, with their modRevision. */
  topicDeletions(): ReadonlyMap<string, { value: TopicDeletionRecord; modRevision: bigint }> {
    return this.deletionMap;
  }

  /** Replica directories reassignments took off brokers, not yet deleted by them (see ReplicaDeletionRecord). */
  replicaDeletions(): ReadonlyMap<string, { value: ReplicaDeletionRecord; modRevision: bigint }> {
    return this.replicaDeletionMap;
  }

  /** Partition states of one topic, by partition number (sparse if some values are malformed). */
  partitions(topic: string): ReadonlyMap<number, PartitionState> {
    return this.partitionMap.get(topic) ?? new Map();
  }

  private index(c: ClusterChange): void {
    const v = c.type === 'put' ? c.entry.value : c.previous.value;
    const put = c.type === 'put';
    switch (v.kind) {
      case 'clusterId':
        this.clusterIdValue = put ? v.clusterId : undefined;
        break;
      case 'controllerLeader':
        this.leader = c.type === 'put' ? { ...v.value, epoch: Number(c.entry.createRevision) } : undefined;
        break;
      case 'broker':
        if (c.type === 'put') {
          this.brokerMap.set(v.value.id, v.value);
          this.brokerEpochs.set(v.value.id, c.entry.createRevision);
        } else {
          this.brokerMap.delete(v.value.id);
          this.brokerEpochs.delete(v.value.id);
        }
        break;
      case 'gateway':
        if (put) this.gatewayMap.set(v.value.id, v.value);
        else this.gatewayMap.delete(v.value.id);
        break;
      case 'controller':
        if (put) this.controllerMap.set(v.value.id, v.value);
        else this.controllerMap.delete(v.value.id);
        break;
      case 'topic':
        if (c.type === 'put') {
          this.topicMap.set(v.name, v.value);
          this.topicRevisions.set(v.name, c.entry.modRevision);
        } else {
          this.topicMap.delete(v.name);
          this.topicRevisions.delete(v.name);
        }
        break;
      case 'topicDeletion':
        if (c.type === 'put') this.deletionMap.set(v.value.topicId, { value: v.value, modRevision: c.entry.modRevision });
        else this.deletionMap.delete(v.value.topicId);
        break;
      case 'replicaDeletion':
        if (c.type === 'put') this.replicaDeletionMap.set(v.key, { value: v.value, modRevision: c.entry.modRevision });
        else this.replicaDeletionMap.delete(v.key);
        break;
      case 'brokerConfig':
        if (put) this.brokerConfigMap.set(v.id, v.configs);
        else this.brokerConfigMap.delete(v.id);
        break;
      case 'brokerCordon':
        if (put) this.cordoned.add(v.id);
        else this.cordoned.delete(v.id);
        break;
      case 'finalizedFeatures':
        this.features = c.type === 'put' ? { levels: v.levels, epoch: c.entry.modRevision } : undefined;
        break;
      case 'clientMetricsConfig':
        if (put) this.clientMetricsMap.set(v.name, v.configs);
        else this.clientMetricsMap.delete(v.name);
        break;
      case 'groupConfig':
        if (put) this.groupConfigMap.set(v.groupId, v.configs);
        else this.groupConfigMap.delete(v.groupId);
        break;
      case 'partition': {
        let m = this.partitionMap.get(v.topic);
        if (c.type === 'put') this.partitionRevisions.set(`${v.topic}\0${v.partition}`, c.entry.modRevision);
        else this.partitionRevisions.delete(`${v.topic}\0${v.partition}`);
        if (put) {
          if (!m) this.partitionMap.set(v.topic, (m = new Map()));
          m.set(v.partition, v.value);
        } else if (m) {
          m.delete(v.partition);
          if (m.size === 0) this.partitionMap.delete(v.topic);
        }
        break;
      }
    }
  }

  /**
   * The createRevision of a live broker's registration key, undefined when it is not registered.
   * A broker that re-registers after its key vanished gets a larger one (a new generation).
   */
  brokerEpoch(id: number): bigint | undefined {
    return this.brokerEpochs.get(id);
  }

  /** Ids of the cordoned brokers (`dms brokers cordon`): no new replicas are placed on them. */
  cordonedBrokers(): ReadonlySet<number> {
    return this.cordoned;
  }

  /** The finalized feature levels as etcd holds them, with their epoch; undefined when never written. */
  finalizedFeatures(): { levels: Readonly<Record<string, number>>; epoch: bigint } | undefined {
    return this.features;
  }

  /** Client-metrics subscriptions by name (CLIENT_METRICS resources). */
  clientMetricsConfigs(): ReadonlyMap<string, Readonly<Record<string, string>>> {
    return this.clientMetricsMap;
  }

  /** The configs a group sets for itself (GROUP resource); empty when none. */
  groupConfigs(groupId: string): Readonly<Record<string, string>> {
    return this.groupConfigMap.get(groupId) ?? {};
  }

  /** Ids of the groups that set configs (they may outlive the groups). */
  groupConfigIds(): string[] {
    return [...this.groupConfigMap.keys()];
  }

  /** Dynamic config overrides of broker `id`, or of the cluster default for null (empty when none). */
  brokerConfigs(id: number | null): Readonly<Record<string, string>> {
    return this.brokerConfigMap.get(id) ?? {};
  }

  /** The etcd modRevision of a topic's record (0n when unknown). */
  topicRevision(topic: string): bigint {
    return this.topicRevisions.get(topic) ?? 0n;
  }

  /** The etcd modRevision of a partition's state (0n when unknown). */
  partitionRevision(topic: string, partition: number): bigint {
    return this.partitionRevisions.get(`${topic}\0${partition}`) ?? 0n;
  }

  /** Every partition state, for brokers deciding what they lead. */
  allPartitions(): Array<{ topic: string; partition: number; state: PartitionState }> {
    const out: Array<{ topic: string; partition: number; state: PartitionState }> = [];
    for (const [topic, m] of this.partitionMap) for (const [partition, state] of m) out.push({ topic, partition, state });
    return out;
  }
}
