import type { ClusterView, GatewayRegistration, PartitionState } from '@dms/cluster';
import { effectiveTopicConfigs, type BrokerConfigLayers } from '@dms/configs';
import type { AdvertisedNode, ClusterPort, GatewayConfig, PartitionView, TopicView } from '@dms/kafka-handlers';
import { isInternalTopic } from '@dms/kafka-handlers';
import { spreadLeaders } from './leader-spread';

/** ClusterPort over the etcd-backed ClusterView, as seen by gateway `selfId`. */
export class GatewayClusterPort implements ClusterPort {
  private topicsCache: { byName: Map<string, TopicView>; byId: Map<string, TopicView> } | undefined;
  private self: GatewayRegistration | undefined;
  /** Effective topic configs by topic, rebuilt lazily after a metadata change (Produce reads them). */
  private readonly effectiveCache = new Map<string, Record<string, string>>();

  constructor(
    private readonly view: ClusterView,
    private readonly selfId: number,
    readonly config: GatewayConfig,
    /** This gateway's static values of broker config keys (auto.create.topics.enable, ...). */
    private readonly staticConfigs: Readonly<Record<string, string>> = {},
  ) {
    // Invalidate per event, not per revision: one transaction (a topic and its partitions)
    // arrives as several events sharing a revision.
    view.on('change', () => {
      this.topicsCache = undefined;
      this.effectiveCache.clear();
    });
  }

  clusterId(): string | null {
    return this.view.clusterId() ?? null;
  }

  cordonedBrokers(): ReadonlySet<number> {
    return this.view.cordonedBrokers();
  }

  /**
   * This gateway's own registration. While its etcd key is missing (starting, or re-registering
   * after a lost lease) the view would leave out the very gateway answering, and a response naming
   * itself as controller or leader outside its own broker list sends clients into loops.
   */
  setSelf(registration: GatewayRegistration): void {
    this.self = registration;
    this.topicsCache = undefined;
  }

  /** Live gateways as etcd shows them, plus this one. */
  private gateways(): GatewayRegistration[] {
    const all = this.view.gateways();
    if (!this.self || all.some((g) => g.id === this.self!.id)) return all;
    return [...all, this.self].sort((a, b) => a.id - b.id);
  }

  controllerId(): number {
    // Any gateway accepts admin requests, so the gateway a client talks to names itself.
    return this.selfId;
  }

  nodes(listenerName?: string): AdvertisedNode[] {
    const out: AdvertisedNode[] = [];
    for (const g of this.gateways()) {
      const addr = listenerName ? g.listeners[listenerName] : undefined;
      if (listenerName && !addr && Object.keys(g.listeners).length > 0) continue; // not on that listener: Kafka omits it
      const m = addr ? /^(.*):(\d+)$/.exec(addr) : null;
      out.push({ nodeId: g.id, host: m ? m[1] : g.host, port: m ? Number(m[2]) : g.port, rack: g.rack });
    }
    return out;
  }

  brokerConfigLayers(brokerId: number): BrokerConfigLayers {
    const leader = this.view.controllerLeader();
    const controllerStatic = (leader && this.view.controllers().find((c) => c.id === leader.id)?.configs) ?? {};
    return {
      perBroker: this.view.brokerConfigs(brokerId),
      clusterDefault: this.view.brokerConfigs(null),
      // Each service registers the static values of the keys it reads; the storage broker's win.
      static: { ...controllerStatic, ...this.staticConfigs, ...(this.view.broker(brokerId)?.configs ?? {}) },
    };
  }

  topicConfigLayers(topic: string): BrokerConfigLayers {
    const leader = this.view.partitions(topic).get(0)?.leader ?? -1;
    const broker = leader >= 0 ? leader : this.view.brokers()[0]?.id ?? -1;
    if (broker >= 0) return this.brokerConfigLayers(broker);
    const layers = this.brokerConfigLayers(0);
    return { ...layers, perBroker: {} };
  }

  effectiveTopicConfigs(topic: string): Record<string, string> | undefined {
    const cached = this.effectiveCache.get(topic);
    if (cached) return cached;
    const rec = this.view.topic(topic);
    if (!rec) return undefined;
    const configs = effectiveTopicConfigs(rec.configs, this.topicConfigLayers(topic));
    this.effectiveCache.set(topic, configs);
    return configs;
  }

  awaitRevision(revision: bigint, timeoutMs: number): Promise<void> {
    // Answers at the deadline either way: the caller reports what its view holds then.
    return this.awaitView(() => this.view.revision >= revision, timeoutMs).catch(() => undefined);
  }

  finalizedFeatures(): { levels: Readonly<Record<string, number>>; epoch: bigint } | undefined {
    return this.view.finalizedFeatures();
  }

  clientMetricsConfigs(): ReadonlyMap<string, Readonly<Record<string, string>>> {
    return this.view.clientMetricsConfigs();
  }

  groupConfigs(groupId: string): Readonly<Record<string, string>> {
    return this.view.groupConfigs(groupId);
  }

  groupConfigIds(): string[] {
    return this.view.groupConfigIds();
  }

  topics(): TopicView[] {
    return [...this.snapshot().byName.values()];
  }

  topic(name: string): TopicView | undefined {
    return this.snapshot().byName.get(name);
  }

  topicById(topicId: string): TopicView | undefined {
    return this.snapshot().byId.get(topicId);
  }

  awaitTopics(names: string[], present: boolean, timeoutMs: number): Promise<void> {
    const done = () =>
      names.every((n) => {
        const t = this.topic(n);
        if (!present) return t === undefined;
        return t !== undefined && t.partitions.length > 0 && t.partitions.every((p) => p.leaderAvailable);
      });
    return this.awaitView(done, timeoutMs, () => `topics ${names.join(', ')} not ${present ? 'ready' : 'gone'} after ${timeoutMs} ms`);
  }

  awaitPartitionCounts(counts: ReadonlyMap<string, number>, timeoutMs: number): Promise<void> {
    const done = () =>
      [...counts].every(([name, count]) => {
        const t = this.topic(name);
        return t !== undefined && t.partitions.length >= count && t.partitions.every((p) => p.leaderAvailable);
      });
    return this.awaitView(done, timeoutMs, () => `partitions of ${[...counts.keys()].join(', ')} not ready after ${timeoutMs} ms`);
  }

  /** Resolves once `done()` holds for the etcd view (checked on every change); rejects at the deadline. */
  private awaitView(done: () => boolean, timeoutMs: number, timeoutMessage = () => `not reached after ${timeoutMs} ms`): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        this.view.off('change', onChange);
      };
      const onChange = () => {
        if (!done()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(timeoutMessage()));
      }, timeoutMs);
      this.view.on('change', onChange);
    });
  }

  /** Rebuilt only after a change, so Metadata and routing read a cached map. */
  private snapshot() {
    if (this.topicsCache) return this.topicsCache;
    const brokers = new Map(this.view.brokers().map((b) => [b.id, b]));
    const gateways = this.gateways();
    const byName = new Map<string, TopicView>();
    const byId = new Map<string, TopicView>();
    // One pass over the partition states: the view's per-topic lookups scan every key.
    const statesByTopic = new Map<string, Map<number, PartitionState>>();
    for (const { topic, partition, state } of this.view.allPartitions()) {
      let m = statesByTopic.get(topic);
      if (!m) statesByTopic.set(topic, (m = new Map()));
      m.set(partition, state);
    }
    for (const [name, rec] of this.view.topics()) {
      const states = statesByTopic.get(name) ?? new Map<number, PartitionState>();
      const partitions: PartitionView[] = [];
      // Each topic's advertised leaders spread evenly over the live gateways (see leader-spread.ts).
      const spread = spreadLeaders(name, Array.from({ length: rec.partitions }, (_, p) => {
        const s = states.get(p);
        return { partition: p, leaderRack: (s ? brokers.get(s.leader)?.rack : undefined) ?? null };
      }), gateways);
      for (let p = 0; p < rec.partitions; p++) {
        const s = states.get(p);
        const leader = s ? brokers.get(s.leader) : undefined;
        const gw = spread.get(p);
        partitions.push({
          partition: p,
          storageLeader: s?.leader ?? -1,
          advertisedLeader: gw ?? -1,
          leaderAvailable: leader !== undefined && gw !== undefined,
          leaderEpoch: s?.leaderEpoch ?? -1,
          replicas: s?.replicas ?? [],
          isr: s?.isr ?? [],
          addingReplicas: s?.addingReplicas ?? [],
          removingReplicas: s?.removingReplicas ?? [],
        });
      }
      const view: TopicView = { name, topicId: rec.topicId, internal: isInternalTopic(name), configs: rec.configs, partitions };
      byName.set(name, view);
      byId.set(rec.topicId, view);
    }
    this.topicsCache = { byName, byId };
    return this.topicsCache;
  }
}
