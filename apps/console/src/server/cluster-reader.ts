import { ApiKey } from '@dms/kafka-schema';
import { ErrorCode, GroupAdmin, KafkaError, LATEST_TIMESTAMP, type ClusterMetadata, type KafkaClient } from '@dms/kafka-client';

/** Read-only views of the cluster, each built from public Kafka requests made as the session's user. */

export interface Overview {
  clusterId: string | null;
  controllerId: number;
  brokers: { nodeId: number; host: string; port: number; rack: string | null }[];
  topics: number;
  partitions: number;
  underReplicated: number;
  offline: number;
}

export function overviewOf(md: ClusterMetadata): Overview {
  let partitions = 0;
  let underReplicated = 0;
  let offline = 0;
  for (const t of md.topics) {
    if (t.errorCode !== ErrorCode.NONE) continue;
    for (const p of t.partitions) {
      partitions++;
      if (p.leader < 0) offline++;
      else if (p.isr.length < p.replicas.length) underReplicated++;
    }
  }
  return {
    clusterId: md.clusterId,
    controllerId: md.controllerId,
    brokers: [...md.brokers].sort((a, b) => a.nodeId - b.nodeId),
    topics: md.topics.filter((t) => t.errorCode === ErrorCode.NONE).length,
    partitions,
    underReplicated,
    offline,
  };
}

export interface LogDirInfo {
  logDir: string;
  errorCode: number;
  partitions: number;
  bytes: number;
  totalBytes: number | null;
  usableBytes: number | null;
}

/**
 * The storage brokers' log dirs as DescribeLogDirs reports them through the gateway (one per live
 * storage broker dir): replicas held, their bytes, disk total and free. Null without DESCRIBE on the cluster.
 */
export async function logDirs(client: KafkaClient): Promise<LogDirInfo[] | null> {
  const res = await client.adminRequest<any>(ApiKey.DescribeLogDirs, { topics: null }).catch(() => null);
  if (!res || (res.errorCode ?? 0) !== ErrorCode.NONE) return null;
  return (res.results as any[]).map((d) => {
    let partitions = 0;
    let bytes = 0;
    for (const t of d.topics as any[]) for (const p of t.partitions as any[]) {
      partitions++;
      bytes += Number(p.partitionSize);
    }
    const n = (v: unknown) => (v === undefined || v === null || Number(v) < 0 ? null : Number(v));
    return { logDir: d.logDir, errorCode: d.errorCode, partitions, bytes, totalBytes: n(d.totalBytes), usableBytes: n(d.usableBytes) };
  }).sort((a, b) => a.logDir.localeCompare(b.logDir));
}

/**
 * Bytes on disk per topic (one copy: the largest replica of each partition), from DescribeLogDirs.
 * Empty when the user may not describe the cluster (sizes are then unknown, not zero).
 */
export async function topicSizes(client: KafkaClient): Promise<Map<string, number> | null> {
  let res: any;
  try {
    res = await client.adminRequest<any>(ApiKey.DescribeLogDirs, { topics: null });
  } catch {
    return null;
  }
  if ((res.errorCode ?? 0) !== ErrorCode.NONE) return null;
  const perPartition = new Map<string, number>();
  for (const dir of res.results as any[]) {
    for (const t of dir.topics as any[]) {
      for (const p of t.partitions as any[]) {
        const k = `${t.name}\0${p.partitionIndex}`;
        perPartition.set(k, Math.max(perPartition.get(k) ?? 0, Number(p.partitionSize)));
      }
    }
  }
  const out = new Map<string, number>();
  for (const [k, size] of perPartition) {
    const topic = k.slice(0, k.indexOf('\0'));
    out.set(topic, (out.get(topic) ?? 0) + size);
  }
  return out;
}

/** Log end offset of every partition of the topics (`topic\0partition` → offset); failures left out. */
export async function endOffsets(client: KafkaClient, md: ClusterMetadata, topics?: Set<string>): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  const jobs: Promise<void>[] = [];
  for (const t of md.topics) {
    if (t.errorCode !== ErrorCode.NONE || (topics && !topics.has(t.name))) continue;
    for (const p of t.partitions) {
      jobs.push(client.listOffsets(t.name, p.partition, LATEST_TIMESTAMP).then((o) => { out.set(`${t.name}\0${p.partition}`, o.offset); }, () => undefined));
    }
  }
  await Promise.all(jobs);
  return out;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  committedOffset: string | null;
  logEndOffset: string | null;
  lag: string | null;
  memberId: string | null;
  clientId: string | null;
  host: string | null;
}

export interface GroupDetail {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: { memberId: string; clientId: string; clientHost: string; groupInstanceId: string | null; assignment: { topic: string; partitions: number[] }[] }[];
  offsets: PartitionLag[];
  totalLag: string;
}

/** A group's members and its lag per partition: committed offset (OffsetFetch) vs log end (ListOffsets). */
export async function describeGroupLag(client: KafkaClient, groupId: string): Promise<GroupDetail> {
  const admin = new GroupAdmin(client);
  const g = await admin.describeGroup(groupId);
  if (g.errorCode !== ErrorCode.NONE) throw new KafkaError(g.errorCode, `cannot describe group '${groupId}'`);
  const committed = await admin.fetchOffsets(groupId);
  const owner = new Map<string, (typeof g.members)[number]>();
  const keys = new Map<string, { topic: string; partition: number; committed: bigint | null }>();
  for (const c of committed) keys.set(`${c.topic}\0${c.partition}`, { topic: c.topic, partition: c.partition, committed: c.offset });
  for (const m of g.members) {
    for (const a of m.assignment) {
      for (const p of a.partitions) {
        const k = `${a.topic}\0${p}`;
        owner.set(k, m);
        if (!keys.has(k)) keys.set(k, { topic: a.topic, partition: p, committed: null });
      }
    }
  }
  const rows = [...keys.values()].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  let total = 0n;
  const offsets = await Promise.all(rows.map(async (r): Promise<PartitionLag> => {
    const end = await client.listOffsets(r.topic, r.partition, LATEST_TIMESTAMP).then((o) => o.offset, () => null);
    const lag = r.committed !== null && end !== null ? (end - r.committed > 0n ? end - r.committed : 0n) : null;
    if (lag !== null) total += lag;
    const m = owner.get(`${r.topic}\0${r.partition}`);
    return {
      topic: r.topic,
      partition: r.partition,
      committedOffset: r.committed?.toString() ?? null,
      logEndOffset: end?.toString() ?? null,
      lag: lag?.toString() ?? null,
      memberId: m?.memberId ?? null,
      clientId: m?.clientId ?? null,
      host: m?.clientHost ?? null,
    };
  }));
  return {
    groupId,
    state: g.state,
    protocolType: g.protocolType,
    protocol: g.protocol,
    members: g.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost, groupInstanceId: m.groupInstanceId, assignment: m.assignment })),
    offsets,
    totalLag: total.toString(),
  };
}
