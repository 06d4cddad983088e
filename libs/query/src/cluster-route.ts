import { Etcd3 } from 'etcd3';
import {
  brokerRegistration,
  brokersPrefix,
  etcdClientOptions,
  partitionState,
  topicKey,
  topicPartitionsPrefix,
  topicRecord,
  type BrokerRegistration,
  type PartitionState,
} from '@dms/cluster';
import type { ClusterAccess } from './types';

/** Where a topic's partitions are led, read from etcd (the controller's partition states). */
export interface TopicRoute {
  partitions: number;
  /** partition -> "host:port" of its leader's gRPC endpoint; absent when it has no live leader. */
  leaders: Map<number, { brokerId: number; address: string }>;
}

/** Reads topics' partition leaders and broker addresses from etcd; one etcd client, closed by close(). */
export class ClusterRoutes {
  private readonly etcd: Etcd3;

  constructor(private readonly access: ClusterAccess) {
    this.etcd = new Etcd3({
      ...etcdClientOptions({
        'etcd.endpoints': access.etcdEndpoints,
        'etcd.tls.ca.location': access.etcdTls?.caFile,
        'etcd.tls.certificate.location': access.etcdTls?.certFile,
        'etcd.tls.key.location': access.etcdTls?.keyFile,
      }),
      dialTimeout: Math.min(access.timeoutMs ?? 10_000, 5_000),
    });
  }

  /** The topic's route; throws a clear message for a topic that does not exist. */
  async route(topic: string): Promise<TopicRoute> {
    const name = this.access.clusterName;
    const [topicValue, partitionValues, brokerValues] = await Promise.all([
      this.etcd.get(topicKey(name, topic)).string(),
      this.etcd.getAll().prefix(topicPartitionsPrefix(name, topic)).strings(),
      this.etcd.getAll().prefix(brokersPrefix(name)).strings(),
    ]);
    const record = topicValue === null ? undefined : topicRecord.decode(topicValue);
    if (!record) throw new Error(`topic '${topic}' does not exist`);
    const brokers = new Map<number, BrokerRegistration>();
    for (const v of Object.values(brokerValues)) {
      const b = brokerRegistration.decode(v);
      if (b) brokers.set(b.id, b);
    }
    const prefix = topicPartitionsPrefix(name, topic);
    const leaders = new Map<number, { brokerId: number; address: string }>();
    for (const [key, v] of Object.entries(partitionValues)) {
      const p = Number(key.slice(prefix.length));
      const state: PartitionState | undefined = partitionState.decode(v);
      const broker = state && state.leader >= 0 ? brokers.get(state.leader) : undefined;
      if (Number.isInteger(p) && broker) leaders.set(p, { brokerId: broker.id, address: `${broker.host}:${broker.port}` });
    }
    return { partitions: record.partitions, leaders };
  }

  close(): void {
    this.etcd.close();
  }
}
