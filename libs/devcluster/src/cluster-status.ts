import { Etcd3 } from 'etcd3';
import { ClusterView, brokerCordonRecord, brokerCordonsPrefix, etcdClientOptions } from '@dms/cluster';
import type { EtcdTls } from './etcd-process';

/** One partition as the storage layer sees it (etcd's partition state). */
export interface PartitionStatus {
  topic: string;
  partition: number;
  /** Storage broker id; -1 when the partition is offline. */
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  partitionEpoch: number;
  /** The leader is registered live. */
  leaderLive: boolean;
  /** A reassignment in progress: the target's new replicas and the originals leaving (absent when none). */
  addingReplicas?: number[];
  removingReplicas?: number[];
}

export interface ClusterStatus {
  clusterName: string;
  etcd: string;
  clusterId: string | null;
  controllers: Array<{ id: number; address: string; leader: boolean }>;
  /** Null when no controller leads (election in progress or all controllers down). */
  leader: { id: number; address: string; epoch: number } | null;
  /** `cordoned`: no new replica is placed on it (`dms brokers cordon`). */
  brokers: Array<{ id: number; address: string; rack: string | null; cordoned: boolean }>;
  /** Every cordoned broker id, running or not. */
  cordonedBrokers: number[];
  gateways: Array<{ id: number; address: string; rack: string | null; listeners: Record<string, string> }>;
  topicCount: number;
  partitionCount: number;
  topics: Array<{ name: string; topicId: string; partitions: number; replicationFactor: number }>;
  /** Every partition, sorted by topic then partition. */
  partitions: PartitionStatus[];
  /** Partitions whose ISR is smaller than their replica set. */
  underReplicated: PartitionStatus[];
  /** Partitions without a live leader. */
  offline: PartitionStatus[];
}

/** One consistent read of the cluster's etcd state (a ClusterView snapshot), bounded by `timeoutMs`. */
export async function readClusterStatus(etcdEndpoint: string, clusterName: string, timeoutMs = 5000, tls?: EtcdTls): Promise<ClusterStatus> {
  const client = new Etcd3({
    ...etcdClientOptions({
      'etcd.endpoints': etcdEndpoint.split(','),
      'etcd.tls.ca.location': tls?.caFile,
      'etcd.tls.certificate.location': tls?.certFile,
      'etcd.tls.key.location': tls?.keyFile,
    }),
    dialTimeout: Math.min(timeoutMs, 2000),
  });
  const view = new ClusterView(client, clusterName);
  let timer: NodeJS.Timeout | undefined;
  try {
    view.start();
    await Promise.race([
      view.ready,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`cannot read etcd at ${etcdEndpoint} within ${timeoutMs} ms (is the cluster running?)`)), timeoutMs);
      }),
    ]);
    const leader = view.controllerLeader();
    const cordoned = Object.values(await client.getAll().prefix(brokerCordonsPrefix(clusterName)).strings())
      .map((raw) => brokerCordonRecord.decode(raw)?.brokerId)
      .filter((id): id is number => id !== undefined)
      .sort((a, b) => a - b);
    const partitions: PartitionStatus[] = view
      .allPartitions()
      .map(({ topic, partition, state }) => ({
        topic,
        partition,
        leader: state.leader,
        leaderEpoch: state.leaderEpoch,
        replicas: [...state.replicas],
        isr: [...state.isr],
        partitionEpoch: state.partitionEpoch,
        leaderLive: state.leader >= 0 && view.broker(state.leader) !== undefined,
        ...(state.addingReplicas || state.removingReplicas
          ? { addingReplicas: [...(state.addingReplicas ?? [])], removingReplicas: [...(state.removingReplicas ?? [])] }
          : {}),
      }))
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    const topics = [...view.topics()].sort(([a], [b]) => a.localeCompare(b));
    return {
      clusterName,
      etcd: etcdEndpoint,
      clusterId: view.clusterId() ?? null,
      controllers: view.controllers().map((c) => ({ id: c.id, address: `${c.host}:${c.port}`, leader: leader?.id === c.id })),
      leader: leader ? { id: leader.id, address: `${leader.host}:${leader.port}`, epoch: leader.epoch } : null,
      brokers: view.brokers().map((b) => ({ id: b.id, address: `${b.host}:${b.port}`, rack: b.rack, cordoned: cordoned.includes(b.id) })),
      cordonedBrokers: cordoned,
      gateways: view.gateways().map((g) => ({ id: g.id, address: `${g.host}:${g.port}`, rack: g.rack, listeners: g.listeners })),
      topicCount: topics.length,
      partitionCount: view.allPartitions().length,
      topics: topics.map(([name, t]) => ({ name, topicId: t.topicId, partitions: t.partitions, replicationFactor: t.replicationFactor })),
      partitions,
      // As Kafka counts it during a move: against the original replicas (the adding ones are still copying).
      underReplicated: partitions.filter((p) => p.isr.length < p.replicas.length - (p.addingReplicas?.length ?? 0)),
      offline: partitions.filter((p) => !p.leaderLive),
    };
  } finally {
    clearTimeout(timer);
    await view.close().catch(() => undefined);
    client.close();
  }
}

/** The human rendering used by `dms cluster status`. */
export function formatClusterStatus(s: ClusterStatus): string {
  const lines: string[] = [];
  lines.push(`cluster ${s.clusterName}${s.clusterId ? ` (id ${s.clusterId})` : ''}, etcd ${s.etcd}`);
  lines.push(`controllers: ${s.controllers.length}${s.leader ? `, leader ${s.leader.id} (epoch ${s.leader.epoch})` : ', NO LEADER'}`);
  for (const c of s.controllers) lines.push(`  ${c.id}  ${c.address}${c.leader ? '  leader' : ''}`);
  lines.push(`brokers: ${s.brokers.length}`);
  for (const b of s.brokers) lines.push(`  ${b.id}  ${b.address}  rack=${b.rack ?? '-'}${b.cordoned ? '  cordoned' : ''}`);
  const cordonedDown = s.cordonedBrokers.filter((id) => !s.brokers.some((b) => b.id === id));
  if (cordonedDown.length > 0) lines.push(`  cordoned, not running: ${cordonedDown.join(', ')}`);
  lines.push(`gateways: ${s.gateways.length}`);
  for (const g of s.gateways) lines.push(`  ${g.id}  ${g.address}  rack=${g.rack ?? '-'}`);
  lines.push(`topics: ${s.topicCount}, partitions: ${s.partitionCount}`);
  lines.push(`under-replicated partitions: ${s.underReplicated.length}`);
  for (const p of s.underReplicated) lines.push(`  ${formatPartition(p)}`);
  lines.push(`offline partitions: ${s.offline.length}`);
  for (const p of s.offline) lines.push(`  ${formatPartition(p)}`);
  return lines.join('\n');
}

/** One partition's storage state on a line, as kafka-topics.sh lays it out. */
export function formatPartition(p: PartitionStatus): string {
  return `Topic: ${p.topic}\tPartition: ${p.partition}\tLeader: ${p.leader < 0 ? 'none' : p.leader}${p.leader >= 0 && !p.leaderLive ? ' (down)' : ''}` +
    `\tLeaderEpoch: ${p.leaderEpoch}\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}` +
    // As kafka-topics.sh --describe shows a reassignment in progress.
    (p.addingReplicas || p.removingReplicas ? `\tAdding Replicas: ${(p.addingReplicas ?? []).join(',')}\tRemoving Replicas: ${(p.removingReplicas ?? []).join(',')}` : '');
}
