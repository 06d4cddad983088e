import { EMPTY_LAYERS } from '@dms/configs';
import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import type {
  ClusterPort,
  ControllerPort,
  GroupPort,
  PartitionView,
  StoragePort,
  TopicOutcome,
  TopicView,
  TransactionPort,
} from '@dms/kafka-handlers';
import type { RelayStore } from './relay-store';

/** The relay is node 0 and leads every partition. */
export const RELAY_NODE_ID = 0;
const MESSAGE_MAX_BYTES = 1_048_588;

/**
 * A port with the methods given; any other call fails with a clear message (the handler's
 * failure closes that connection, as the gateway does on an unexpected error).
 */
function partial<T extends object>(what: string, impl: Partial<T>): T {
  return new Proxy(impl as T, {
    get: (target, name) => (name in target ? (target as any)[name] : () => Promise.reject(new Error(`the relay does not implement ${what}.${String(name)}`))),
  });
}

function topicView(name: string, t: { topicId: string; configs: Record<string, string>; partitions: unknown[] }): TopicView {
  const partitions: PartitionView[] = t.partitions.map((_, partition) => ({
    partition, storageLeader: RELAY_NODE_ID, advertisedLeader: RELAY_NODE_ID, leaderAvailable: true, leaderEpoch: 0,
    replicas: [RELAY_NODE_ID], isr: [RELAY_NODE_ID],
  }));
  return { name, topicId: t.topicId, internal: false, configs: t.configs, partitions };
}

export interface RelayPorts {
  cluster: ClusterPort;
  controller: ControllerPort;
  storage: StoragePort;
  groups: GroupPort;
  transactions: TransactionPort;
}

/**
 * The ports the gateway's Kafka handlers call, answered from memory: one node (the relay
 * itself), topics created at once with one replica whatever the replication factor asked,
 * Produce stored in the partition's ring and acknowledged at once for any acks, Fetch and
 * ListOffsets from the ring, InitProducerId handing out ids (sequences are not checked).
 * Groups, transactions, configs changes, elections and partition changes are not implemented.
 */
export function relayPorts(store: RelayStore, advertised: () => { host: string; port: number }): RelayPorts {
  const view = (name: string) => {
    const t = store.topics.get(name);
    return t ? topicView(name, t) : undefined;
  };
  const cluster: ClusterPort = {
    clusterId: () => 'dms-relay',
    controllerId: () => RELAY_NODE_ID,
    nodes: () => [{ nodeId: RELAY_NODE_ID, ...advertised(), rack: null }],
    topics: () => [...store.topics.keys()].map((n) => view(n)!),
    topic: view,
    topicById: (id) => {
      for (const [name, t] of store.topics) if (t.topicId === id) return topicView(name, t);
      return undefined;
    },
    awaitTopics: async () => undefined,
    awaitPartitionCounts: async () => undefined,
    config: { autoCreateTopicsEnable: false, messageMaxBytes: MESSAGE_MAX_BYTES },
    brokerConfigLayers: () => EMPTY_LAYERS,
    topicConfigLayers: () => EMPTY_LAYERS,
    effectiveTopicConfigs: (name) => store.topics.get(name)?.configs,
    awaitRevision: async () => undefined,
    finalizedFeatures: () => undefined,
    clientMetricsConfigs: () => new Map(),
    groupConfigs: () => ({}),
    groupConfigIds: () => [],
  };
  const controller = partial<ControllerPort>('ControllerPort', {
    createTopics: async (specs, validateOnly) => specs.map((s): TopicOutcome => {
      const numPartitions = s.numPartitions > 0 ? s.numPartitions : Math.max(1, s.assignments.length);
      const replicationFactor = s.replicationFactor > 0 ? s.replicationFactor : 1;
      const base = { name: s.name, numPartitions, replicationFactor, configs: s.configs };
      if (store.topics.has(s.name)) return { ...base, errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, errorMessage: `Topic '${s.name}' already exists.`, topicId: '' };
      const topicId = validateOnly ? '' : store.create(s.name, numPartitions, s.configs);
      return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, topicId };
    }),
    deleteTopics: async (names) => names.map((name): TopicOutcome => {
      const t = store.topics.get(name);
      const deleted = store.topics.delete(name);
      return {
        name, topicId: t?.topicId ?? '', numPartitions: -1, replicationFactor: -1, configs: {},
        errorCode: deleted ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null,
      };
    }),
  });
  const storage = partial<StoragePort>('StoragePort', {
    produce: async (_acks, _timeoutMs, parts) => store.produce(parts),
    fetch: (opts, parts) => store.fetch(opts, parts),
    listOffsets: async (_isolation, parts) => store.listOffsets(parts),
  });
  let nextProducerId = 1000n;
  const transactions = partial<TransactionPort>('TransactionPort', {
    newProducerId: async () => nextProducerId++,
    initProducerId: async () => { throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'the relay has no transaction coordinator'); },
  });
  return { cluster, controller, storage, groups: partial<GroupPort>('GroupPort', {}), transactions };
}
